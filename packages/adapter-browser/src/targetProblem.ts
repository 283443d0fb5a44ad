import type { DownloadFailure } from '@rdl/core';

/** Why `target` cannot name a file in OPFS, or `null` when it can (R30). */
export const targetProblem = (target: string): DownloadFailure | null => {
  const segments = target.split('/');
  // Chromium refuses a backslash in an OPFS name ("Name is not allowed"), after the folders before it were made.
  if (
    segments.some(
      (segment) => segment === '' || segment === '.' || segment === '..' || segment.includes('\\'),
    )
  ) {
    return {
      _tag: 'InvalidInput',
      field: 'target',
      message: `not a file name in OPFS: ${JSON.stringify(target)} (plain names, folders split by "/")`,
    };
  }
  return null;
};
