import type { DownloadFailure } from '@rdl/core';
import { targetNameProblem } from '@rdl/core/rules';
import { isBadTargetName } from './opfsPaths.js';

/**
 * Why `target` cannot name a file in OPFS, or `null` when it can (R30): a name OPFS refuses or that leaves its root
 * (`isBadTargetName`), or one no target may have (`targetNameProblem`: an unpaired surrogate, which OPFS stores as
 * U+FFFD under another target's lock and checkpoint, R23; a name ending in `.part`).
 */
export const targetProblem = (target: string): DownloadFailure | null => {
  if (isBadTargetName(target))
    return {
      _tag: 'InvalidInput',
      field: 'target',
      message: `not a file name in OPFS: ${JSON.stringify(target)} (plain names, folders split by "/")`,
    };
  const nameProblem = targetNameProblem(target);
  return nameProblem === null ? null : { _tag: 'InvalidInput', field: 'target', message: nameProblem };
};
