import type { DownloadFailure } from '@rdl/core';
import { isBadTargetName } from './opfsPaths.js';

/** Why `target` cannot name a file in OPFS, or `null` when it can (R30). */
export const targetProblem = (target: string): DownloadFailure | null =>
  isBadTargetName(target)
    ? {
        _tag: 'InvalidInput',
        field: 'target',
        message: `not a file name in OPFS: ${JSON.stringify(target)} (plain names, folders split by "/")`,
      }
    : null;
