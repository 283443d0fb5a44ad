import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Checkpoint } from '../../src/model/checkpoint.js';
import { parseUrl } from '../../src/model/url.js';
import { committedPrefix } from '../../src/rules/checkpointCodec.js';
import { compareCheckpointUrl } from '../../src/rules/checkpointUrl.js';
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
  it('R34: a finished checkpoint and a target of its size are adopted only for the URL it names (the same text, or the same but for a fragment or a signature)', () => {
    const url = fc.oneof(
      fc.webUrl({ withQueryParameters: true, withFragments: true }),
      fc.constantFrom(
        'https://a.example/f',
        'https://a.example/f?x',
        'https://a.example/f?X-Amz-Signature=1',
        'https://a.example/f?X-Amz-Signature=2',
      ),
    );
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
        const adopted = isFinishedTarget(facts);
        expect(adopted).toBe(compareCheckpointUrl(saved, asked) === 'same');
        if (saved === asked) expect(adopted).toBe(true);
        // A query that differs (not only in a signature) may name another object: never adopted unseen.
        if (compareCheckpointUrl(saved, asked) === 'query') expect(adopted).toBe(false);
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
          // The fragment is never sent: the same resource. Another path is another one.
          expect(isFinishedTarget({ url: `${c.url}#other`, checkpoint: c, partSize, targetSize })).toBe(
            expected,
          );
          const u = parseUrl(c.url)!;
          const moved = `${u.protocol}//${u.hostname}${u.port === '' ? '' : `:${u.port}`}${u.pathname}-other${u.search}`;
          expect(isFinishedTarget({ url: moved, checkpoint: c, partSize, targetSize })).toBe(false);
        },
      ),
      { numRuns: 500 },
    );
  });
});
