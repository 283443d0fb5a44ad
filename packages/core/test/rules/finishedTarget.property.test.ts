import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Checkpoint } from '../../src/model/checkpoint.js';
import { committedPrefix } from '../../src/rules/checkpointCodec.js';
import { isFinishedTarget } from '../../src/rules/finishedTarget.js';

/** Small sizes, so that a part file, a target and a total often agree. */
const size = fc.nat({ max: 4 });
/** Checkpoints counting nothing, a prefix, or (often) every byte. */
const checkpoint: fc.Arbitrary<Checkpoint> = fc
  .record({
    url: fc.webUrl(),
    total: fc.oneof(fc.constant(null), size),
    prefix: fc.oneof(size, fc.constant('whole' as const)),
  })
  .map(({ url, total, prefix }) => {
    const end = prefix === 'whole' ? (total ?? 3) : total === null ? prefix : Math.min(prefix, total);
    return {
      version: 1 as const,
      url,
      validators: { etag: '"v"', lastModified: null, date: null },
      totalLength: total,
      ranges: end === 0 ? [] : [[0, end]],
    };
  });

describe('isFinishedTarget (properties)', () => {
  it('R34: a finished checkpoint and a target of its size are adopted only for the very URL it names', () => {
    const url = fc.oneof(fc.webUrl(), fc.constantFrom('https://a.example/f', 'https://a.example/f?x'));
    fc.assert(
      fc.property(url, url, fc.integer({ min: 1, max: 10_000 }), (saved, asked, total) => {
        const whole: Checkpoint = {
          version: 1,
          url: saved,
          validators: { etag: '"v"', lastModified: null, date: null },
          totalLength: total,
          ranges: [[0, total]],
        };
        const facts = { url: asked, checkpoint: whole, partSize: 0, targetSize: total };
        expect(isFinishedTarget(facts)).toBe(saved === asked);
      }),
    );
  });

  it('R19, R21, R34: a target is adopted exactly when URL, every byte, an empty part file and the size agree', () => {
    fc.assert(
      fc.property(
        checkpoint,
        fc.oneof(fc.constant(0), size),
        fc.oneof(fc.constant(null), size),
        (c, partSize, targetSize) => {
          const total = c.totalLength;
          const expected =
            total !== null &&
            total > 0 &&
            committedPrefix(c) === total &&
            partSize === 0 &&
            targetSize === total;
          expect(isFinishedTarget({ url: c.url, checkpoint: c, partSize, targetSize })).toBe(expected);
          expect(isFinishedTarget({ url: `${c.url}#other`, checkpoint: c, partSize, targetSize })).toBe(
            false,
          );
        },
      ),
      { numRuns: 500 },
    );
  });
});
