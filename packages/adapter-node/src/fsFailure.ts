import type { StorageFailure } from '@rdl/core';

/** The `code` of a Node.js system error (`ENOENT`…), or `undefined` for anything else. */
export const errnoOf = (error: unknown): string | undefined => {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
};

/**
 * Maps a file-system error to core's storage failure (R29): a full disk and a refused permission are told apart
 * from other I/O failures, because the caller can act on them.
 */
export const toStorageFailure =
  (operation: string, path: string) =>
  (error: unknown): StorageFailure => {
    const code = errnoOf(error);
    const message = `${operation} ${path}: ${error instanceof Error ? error.message : String(error)}`;
    switch (code) {
      case 'ENOSPC':
      case 'EDQUOT':
        return { _tag: 'NoSpace', message };
      case 'EACCES':
      case 'EPERM':
      case 'EROFS':
        return { _tag: 'PermissionDenied', message };
      default:
        return { _tag: 'IoError', message };
    }
  };
