import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RestartReason } from '../../src/model/decision.js';
import type { DownloadFailure } from '../../src/model/failure.js';
import { defaultRetry } from '../../src/model/options.js';
import {
  type AttemptCount,
  afterExpiry,
  afterFailure,
  afterRestart,
  atRunStart,
  noAttempts,
} from '../../src/rules/attempts.js';

const failure: DownloadFailure = { _tag: 'NetworkError', message: 'cut' };
const retries = fc.integer({ min: 0, max: 12 });
const draw = fc.record({
  retryAfterMs: fc.option(fc.integer({ min: 0, max: 100_000 }), { nil: null }),
  random: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
});
const reasons = fc.constantFrom<RestartReason>(
  'RANGE_IGNORED',
  'RESOURCE_CHANGED',
  'NO_STRONG_VALIDATOR',
  'CONTENT_ENCODED',
  'NOT_RANGEABLE',
);

describe('attempts (property)', () => {
  it('R25: failures in a row that hold no new byte give up after exactly retry.retries of them', () => {
    fc.assert(
      fc.property(retries, fc.nat(10_000_000), draw, (n, held, d) => {
        const retry = { ...defaultRetry, retries: n };
        let count = atRunStart(noAttempts, held);
        for (let i = 1; i <= n; i += 1) {
          const verdict = afterFailure(count, { failure, heldBytes: held, draw: d, retry });
          expect(verdict._tag).toBe('Again');
          if (verdict._tag !== 'Again') return;
          expect(verdict.count.attempt).toBe(i);
          count = verdict.count;
        }
        expect(afterFailure(count, { failure, heldBytes: held, draw: d, retry })).toEqual({
          _tag: 'GiveUp',
          failure: { _tag: 'RetriesExhausted', attempts: n + 1, last: failure },
        });
      }),
    );
  });

  it('R25: bytes past the most ever held reset the count; bytes fetched again below it never do', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.array(fc.nat(1_000), { minLength: 1, maxLength: 60 }),
        (n, helds) => {
          const retry = { ...defaultRetry, retries: n };
          let count: AttemptCount = noAttempts;
          let most = 0;
          let sinceProgress = 0;
          for (const held of helds) {
            const verdict = afterFailure(count, {
              failure,
              heldBytes: held,
              draw: { retryAfterMs: null, random: 0 },
              retry,
            });
            sinceProgress = held > most ? 1 : sinceProgress + 1;
            most = Math.max(most, held);
            if (sinceProgress > n) {
              expect(verdict._tag).toBe('GiveUp');
              return;
            }
            expect(verdict._tag).toBe('Again');
            if (verdict._tag !== 'Again') return;
            expect(verdict.count).toEqual({ attempt: sinceProgress, highWater: most, restarts: 0 });
            count = verdict.count;
          }
        },
      ),
    );
  });

  it('R25: a body cut for being under the minimum speed is never progress, whatever it brought', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.array(fc.nat(1_000_000), { minLength: 1, maxLength: 20 }),
        (n, helds) => {
          const slow: DownloadFailure = { _tag: 'TooSlow', bytesPerSecond: 1, limit: 100, forMs: 1_000 };
          let count: AttemptCount = noAttempts;
          const retry = { ...defaultRetry, retries: n };
          let held = 0;
          for (const [i, more] of helds.entries()) {
            held += more;
            const verdict = afterFailure(count, {
              failure: slow,
              heldBytes: held,
              draw: { retryAfterMs: null, random: 0 },
              retry,
            });
            if (i + 1 > n) {
              expect(verdict._tag).toBe('GiveUp');
              return;
            }
            if (verdict._tag !== 'Again') throw new Error('gave up early');
            expect(verdict.count.attempt).toBe(i + 1);
            count = verdict.count;
          }
        },
      ),
    );
  });

  it('R25: a wait is within [0, maxDelayMs] and honours Retry-After as a floor under the cap', () => {
    fc.assert(
      fc.property(draw, fc.nat(20), (d, failures) => {
        let count: AttemptCount = noAttempts;
        const retry = { ...defaultRetry, retries: 100 };
        for (let i = 0; i <= failures; i += 1) {
          const verdict = afterFailure(count, { failure, heldBytes: 0, draw: d, retry });
          if (verdict._tag !== 'Again') throw new Error('gave up');
          expect(verdict.delayMs).toBeGreaterThanOrEqual(0);
          expect(verdict.delayMs).toBeLessThanOrEqual(retry.maxDelayMs);
          if (d.retryAfterMs !== null) {
            expect(verdict.delayMs).toBeGreaterThanOrEqual(Math.min(d.retryAfterMs, retry.maxDelayMs));
          }
          count = verdict.count;
        }
      }),
    );
  });

  it('R25: restarts are bounded by retry.maxRestarts in one run; the first goes at once, the next wait', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10 }),
        fc.array(reasons, { minLength: 12, maxLength: 12 }),
        (max, why) => {
          const retry = { ...defaultRetry, maxRestarts: max };
          let count: AttemptCount = { attempt: 2, highWater: 500, restarts: 0 };
          for (let i = 1; i <= max; i += 1) {
            const reason = why[i - 1] ?? 'RANGE_IGNORED';
            const verdict = afterRestart(count, { reason, random: 0.5, retry });
            if (verdict._tag !== 'Again') throw new Error('gave up early');
            expect(verdict.count.restarts).toBe(i);
            // The attempt count is the failures', untouched; a new version starts a new high-water mark.
            expect(verdict.count.attempt).toBe(count.attempt);
            expect(verdict.count.highWater).toBe(reason === 'RESOURCE_CHANGED' ? 0 : count.highWater);
            if (i === 1) expect(verdict.delayMs).toBe(0);
            else expect(verdict.delayMs).toBeGreaterThan(0);
            count = verdict.count;
          }
          const last = why[max] ?? 'RANGE_IGNORED';
          expect(afterRestart(count, { reason: last, random: 0.5, retry })).toEqual({
            _tag: 'GiveUp',
            failure: { _tag: 'TooManyRestarts', restarts: max + 1, reason: last },
          });
        },
      ),
    );
  });

  it('R18: an expired signature asks for new URLs at most retry.retries times in a row without progress', () => {
    fc.assert(
      fc.property(retries, fc.nat(1_000_000), (n, held) => {
        const retry = { ...defaultRetry, retries: n };
        let count = atRunStart(noAttempts, held);
        for (let i = 1; i <= n; i += 1) {
          const verdict = afterExpiry(count, { url: 'https://x/a', heldBytes: held, retry });
          if (verdict._tag !== 'Again') throw new Error('gave up early');
          expect(verdict.delayMs).toBe(0);
          count = verdict.count;
        }
        expect(afterExpiry(count, { url: 'https://x/a', heldBytes: held, retry })).toEqual({
          _tag: 'GiveUp',
          failure: { _tag: 'UrlExpired', url: 'https://x/a' },
        });
      }),
    );
  });

  it('R25: the bytes a run starts with are not progress of its first request', () => {
    fc.assert(
      fc.property(fc.nat(1_000_000), (held) => {
        const count = atRunStart(noAttempts, held);
        const verdict = afterFailure(count, {
          failure,
          heldBytes: held,
          draw: { retryAfterMs: null, random: 0 },
          retry: { ...defaultRetry, retries: 0 },
        });
        expect(verdict._tag).toBe('GiveUp');
      }),
    );
  });
});
