import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BURST_SECONDS,
  bucketAt,
  spend,
  type TokenBucket,
  waitMs,
  withRate,
} from '../../src/rules/tokenBucket.js';
import { mostInAWindow, type Read } from '../support/readWindows.js';

const step = fc.record({
  /** How long the reader does something else before it next reads (a slow disk, a paused request). */
  pauseMs: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 400 })),
  bytes: fc.integer({ min: 1, max: 256 * 1024 }),
});
const MAX_READ = 256 * 1024;

const run = (
  bucket: TokenBucket,
  steps: readonly { pauseMs: number; bytes: number }[],
  start: number,
): { reads: Read[]; bucket: TokenBucket; now: number } => {
  let b = bucket;
  let now = start;
  const reads: Read[] = [];
  for (const { pauseMs, bytes } of steps) {
    now += pauseMs;
    now += waitMs(b, now);
    reads.push({ at: now, bytes });
    b = spend(b, now, bytes);
  }
  return { reads, bucket: b, now };
};

describe('the token bucket (R44)', () => {
  it('R44: over any window the bytes read stay within rate × window, plus the burst, plus one read; 10 s windows within 1.05 × plus one read', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1024, max: 200 * 1024 * 1024 }),
        fc.array(step, { minLength: 1, maxLength: 300 }),
        fc.integer({ min: 100, max: 20_000 }),
        (rate, steps, windowMs) => {
          const { reads } = run(bucketAt(rate, 0), steps, 0);
          const burst = rate * BURST_SECONDS;
          expect(mostInAWindow(reads, windowMs)).toBeLessThanOrEqual(
            (rate * windowMs) / 1000 + burst + MAX_READ + 1,
          );
          // R44's own terms: 10 s windows, 5 % over the limit at most, plus one read.
          expect(mostInAWindow(reads, 10_000)).toBeLessThanOrEqual(rate * 10 * 1.05 + MAX_READ + 1);
        },
      ),
    );
  });

  it('R44: a reader that waits as told is never told to wait again at once, and waits no longer than its debt and this read take', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1e9 }),
        fc.array(step, { maxLength: 50 }),
        fc.integer({ min: 1, max: 64 * 1024 * 1024 }),
        (rate, steps, bytes) => {
          const { bucket, now } = run(bucketAt(rate, 0), steps, 0);
          const owed = waitMs(bucket, now);
          const after = spend(bucket, now, bytes);
          const wait = waitMs(after, now);
          expect(waitMs(after, now + wait)).toBe(0);
          // What was owed already, and this read's own time at the rate.
          expect(wait).toBeLessThanOrEqual(owed + Math.ceil((bytes * 1000) / rate) + 1);
        },
      ),
    );
  });

  it('R44: a limit changed while reading holds from then on: windows after the change keep the new rate', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1024, max: 100 * 1024 * 1024 }),
        fc.integer({ min: 1024, max: 100 * 1024 * 1024 }),
        fc.array(step, { minLength: 1, maxLength: 100 }),
        fc.array(step, { minLength: 1, maxLength: 200 }),
        (before, after, first, second) => {
          const one = run(bucketAt(before, 0), first, 0);
          const changedAt = one.now;
          const two = run(withRate(one.bucket, changedAt, after), second, changedAt);
          const windowMs = 1_000;
          // A debt left by the old rate only delays; the burst is the new one's.
          expect(mostInAWindow(two.reads, windowMs, changedAt)).toBeLessThanOrEqual(
            (after * windowMs) / 1000 + after * BURST_SECONDS + MAX_READ + 1,
          );
        },
      ),
    );
  });

  it('R44: no limit never waits; a limit set on a bucket that had none begins with its burst', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 50 }), fc.integer({ min: 1, max: 1e9 }), (steps, rate) => {
        const { reads, bucket, now } = run(bucketAt(null, 0), steps, 0);
        expect(
          reads.every((read, i) => read.at === steps.slice(0, i + 1).reduce((t, s) => t + s.pauseMs, 0)),
        ).toBe(true);
        const limited = withRate(bucket, now, rate);
        expect(limited.tokens).toBe(rate * BURST_SECONDS);
        expect(waitMs(limited, now)).toBe(0);
        expect(withRate(limited, now, null).rate).toBeNull();
      }),
    );
  });
});
