import type { Checkpoint } from '../model/checkpoint.js';
import type { ProbeResult } from '../model/decision.js';
import type { SegmentOptions } from '../model/options.js';
import { coveredBytes, prefixLength } from './byteRanges.js';
import { hasStrongValidator } from './validators.js';

/**
 * Whether a run fetches its resource over several connections (R41–R43): only when every segment can be proven to
 * be of one version and placed at its offset. That is a known total of at least two segments' worth, a strong
 * validator (R4: `If-Match` on every segment, or the answers' own validators compared, R6), byte ranges, no content
 * coding (R5), and more than one connection allowed; or, with one connection, bytes saved past the prefix, whose
 * gaps it then walks (R42). `singleOnly`: this run found the server ignoring a range (a 200 to one, R7), so it
 * stays on one stream. `null`: one connection, as a single stream.
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
  if (singleOnly || !rangeable || !hasStrongValidator(checkpoint.validators)) return null;
  if (allowed && total >= 2 * options.minSplitBytes) return options;
  // One connection, but bytes saved past the prefix (a segmented run killed, resumed with `-x 1` or a bigger
  // `minSegmentBytes`): one connection that walks the gaps, so that none of those bytes is fetched again (R42). A
  // single stream would go on from the prefix and fetch them all.
  return coveredBytes(checkpoint.ranges) > prefixLength(checkpoint.ranges)
    ? { fixed: 1, max: 1, minSplitBytes: options.minSplitBytes }
    : null;
};
