import type { ByteRange } from '../model/checkpoint.js';
import type { RestartReason, StartPlan } from '../model/decision.js';
import { coveredBytes } from './byteRanges.js';

/** Something that was wrong but was handled, as the `notice` event tells it (R21, R22, R27). */
export interface Notice {
  readonly code: string;
  readonly message: string;
}

/** The notices a download gives, each a code callers can match and a one-line message. */
export const notices = {
  /** R22: the checkpoint on storage could not be decoded; the run starts afresh and replaces it. */
  checkpointInvalid: (reason: string): Notice => ({
    code: 'CHECKPOINT_INVALID',
    message: `the checkpoint was unreadable (${reason}): starting afresh`,
  }),
  /** R21: the part file held bytes the checkpoint does not count; they are fetched again. */
  partTrimmed: (partSize: number, kept: number): Notice => ({
    code: 'PART_TRIMMED',
    message: `the part file held ${partSize} bytes, the checkpoint counts ${kept}: the rest is fetched again`,
  }),
  /** R19, R27: a finished target of the right length fails a checksum asked for, so it is downloaded again. */
  targetMismatch: (target: string, check: string, actual: string, expected: string): Notice => ({
    code: 'TARGET_MISMATCH',
    message: `${target} has the length of the finished download but its ${check} is ${actual}, not ${expected}: downloading it again`,
  }),
};

/**
 * The restart a plan announces (R4, R22, R28), `null` when it throws nothing away: the plan's own reason, or, for a
 * fresh start after a checkpoint that could not be read, `CHECKPOINT_INVALID`: its bytes were thrown away too.
 */
export const announcedRestart = (plan: StartPlan, checkpointWasTorn: boolean): RestartReason | null => {
  if (plan._tag !== 'Fresh') return null;
  return plan.reason ?? (checkpointWasTorn ? 'CHECKPOINT_INVALID' : null);
};

/**
 * The notice of a resume that cuts the part file back (R21), `null` when it keeps every byte up to its end: a single
 * stream keeps the prefix (`offset`), a segmented run every range the checkpoint counts (`segmented`), and each cuts
 * what lies past the last byte it keeps. The gaps between a segmented run's ranges are no cut: they are the ranges
 * still to fetch.
 */
export const trimNotice = (plan: StartPlan, partSize: number, segmented: boolean): Notice | null => {
  if (plan._tag !== 'Resume') return null;
  const kept: readonly ByteRange[] = segmented
    ? plan.checkpoint.ranges
    : plan.offset > 0
      ? [[0, plan.offset]]
      : [];
  const end = kept.reduce((last, [, stop]) => Math.max(last, stop), 0);
  return end < partSize ? notices.partTrimmed(partSize, coveredBytes(kept)) : null;
};
