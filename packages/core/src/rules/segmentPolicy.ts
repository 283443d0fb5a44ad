import type { Checkpoint } from '../model/checkpoint.js';
import type { ProbeResult } from '../model/decision.js';
import type { SegmentOptions } from '../model/options.js';
import { hasStrongValidator } from './validators.js';

/**
 * Whether a run fetches its resource over several connections (R41–R43): only when every segment can be proven to
 * be of one version and placed at its offset. That is a known total of at least two segments' worth, a strong
 * validator (R4: `If-Match` on every segment, or the answers' own validators compared, R6), byte ranges, no content
 * coding (R5), and more than one connection allowed. `singleOnly`: this run found the server ignoring a range (a 200
 * to one, R7), so it stays on one. `null`: one connection, as a single stream.
 */
export const segmentPolicy = (input: {
  readonly options: SegmentOptions;
  readonly checkpoint: Checkpoint;
  readonly probe: ProbeResult;
  readonly singleOnly: boolean;
}): SegmentOptions | null => {
  const { options, checkpoint, probe, singleOnly } = input;
  const total = checkpoint.totalLength;
  const allowed = (options.fixed ?? options.max) > 1;
  const rangeable = probe.acceptsRanges && probe.contentEncoding === null && total !== null;
  if (!allowed || singleOnly || !rangeable || total < 2 * options.minSplitBytes) return null;
  return hasStrongValidator(checkpoint.validators) ? options : null;
};
