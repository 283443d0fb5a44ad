import type { StorageFailure } from '@rdl/core';
import * as TE from 'fp-ts/lib/TaskEither.js';

/** The `code` of a Node.js system error (`ENOENT`…), or `undefined` for anything else. */
export const errnoOf = (error: unknown): string | undefined => {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
};

/**
 * Thrown inside a storage operation that found, at one of its names, a file it must not touch (R31, R32): a link,
 * another user's file, a hard link, a device. `toStorageFailure` turns it into `UnsafePath`; the file was left as
 * it was.
 */
export class UnsafeFileError extends Error {
  override readonly name = 'UnsafeFileError';

  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${path}: ${reason}`);
  }
}

/**
 * Maps a file-system error to core's storage failure (R29): a full disk and a refused permission are told apart
 * from other I/O failures, because the caller can act on them; a refused file is `UnsafePath` (R31).
 */
export const toStorageFailure =
  (operation: string, path: string) =>
  (error: unknown): StorageFailure => {
    if (error instanceof UnsafeFileError)
      return { _tag: 'UnsafePath', path: error.path, reason: error.reason };
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

/** Runs the file-system operation `run` on `path`, its errors mapped by `toStorageFailure` into a `Left`. */
export const attempt = <A>(
  operation: string,
  path: string,
  run: () => Promise<A>,
): TE.TaskEither<StorageFailure, A> => TE.tryCatch(run, toStorageFailure(operation, path));
