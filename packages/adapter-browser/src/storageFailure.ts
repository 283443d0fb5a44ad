import type { StorageFailure } from '@rdl/core';

/**
 * Maps what a File System Access, IndexedDB or Web Locks call threw to a typed storage failure (R29). Browsers
 * signal a full origin quota with a `DOMException` named `QuotaExceededError`; that one is kept apart so a caller
 * can tell "free some space" from a broken disk.
 */
export const toStorageFailure = (error: unknown, target: string): StorageFailure => {
  const name = error instanceof Error || error instanceof DOMException ? error.name : '';
  const message = error instanceof Error || error instanceof DOMException ? error.message : String(error);
  switch (name) {
    case 'UnsafeTarget':
      return { _tag: 'UnsafePath', path: target, reason: message };
    case 'QuotaExceededError':
      return { _tag: 'QuotaExceeded', message: `${target}: ${message}` };
    case 'NotAllowedError':
    case 'SecurityError':
      return { _tag: 'PermissionDenied', message: `${target}: ${message}` };
    // Another sync access handle (another tab's worker) has the file open.
    case 'NoModificationAllowedError':
      return { _tag: 'TargetBusy', target };
    default:
      return { _tag: 'IoError', message: `${target}: ${name === '' ? '' : `${name}: `}${message}` };
  }
};

/** The failure every call on a closed part file returns (the PartFile contract). */
export const closedFailure = (target: string): StorageFailure => ({
  _tag: 'IoError',
  message: `${target}: the part file is closed`,
});
