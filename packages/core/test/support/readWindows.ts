/** One read of a body: when (ms of a clock) and how many bytes. */
export interface Read {
  readonly at: number;
  readonly bytes: number;
}

/**
 * The most bytes `reads` brought in any window of `windowMs` that begins at one of them, at or after `from`: what a
 * rate limit (R44) bounds.
 */
export const mostInAWindow = (reads: readonly Read[], windowMs: number, from = 0): number => {
  let most = 0;
  for (const first of reads) {
    if (first.at < from) continue;
    let sum = 0;
    for (const read of reads) if (read.at >= first.at && read.at < first.at + windowMs) sum += read.bytes;
    most = Math.max(most, sum);
  }
  return most;
};
