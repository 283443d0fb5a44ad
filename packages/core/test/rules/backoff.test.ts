import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultRetry } from '../../src/model/options.js';
import { isRetryableStatus, parseRetryAfter, retryDelay } from '../../src/rules/backoff.js';

const NOW = Date.UTC(2024, 0, 1, 12, 0, 0);
const retry = { retries: 8, minDelayMs: 500, maxDelayMs: 30_000, factor: 2 };

describe('isRetryableStatus', () => {
  it('R25: 5xx, 408 and 429 are retried; other 4xx are not', () => {
    for (const s of [500, 502, 503, 504, 599, 408, 429]) expect(isRetryableStatus(s)).toBe(true);
    for (const s of [200, 206, 301, 400, 401, 403, 404, 409, 410, 412, 416, 499, 600]) {
      expect(isRetryableStatus(s)).toBe(false);
    }
  });
});

describe('parseRetryAfter', () => {
  it('R25: reads delta-seconds', () => {
    expect(parseRetryAfter('0', NOW)).toBe(0);
    expect(parseRetryAfter(' 120 ', NOW)).toBe(120_000);
    expect(parseRetryAfter('99999999999999999999', NOW)).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('R25: reads an HTTP-date relative to now; a past date is 0', () => {
    expect(parseRetryAfter(new Date(NOW + 90_000).toUTCString(), NOW)).toBe(90_000);
    expect(parseRetryAfter(new Date(NOW - 90_000).toUTCString(), NOW)).toBe(0);
  });

  it('R25: anything else is null', () => {
    for (const v of [undefined, '', '-5', '1.5', 'soon', '2024-01-01T00:00:00Z']) {
      expect(parseRetryAfter(v, NOW)).toBeNull();
    }
  });
});

describe('retryDelay', () => {
  it('R25: grows exponentially with the attempt: the jitter ceiling doubles, then is capped', () => {
    const top = 1 - Number.EPSILON;
    expect(retryDelay(1, retry, top, null)).toBe(499);
    expect(retryDelay(2, retry, top, null)).toBe(999);
    expect(retryDelay(3, retry, top, null)).toBe(1999);
    expect(retryDelay(7, retry, top, null)).toBe(29_999);
    expect(retryDelay(50, retry, top, null)).toBe(29_999);
    expect(retryDelay(5000, retry, 0.5, null)).toBe(15_000);
  });

  it('R25: full jitter spreads the wait over [0, ceiling) by the random draw', () => {
    expect(retryDelay(3, retry, 0, null)).toBe(0);
    expect(retryDelay(3, retry, 0.5, null)).toBe(1000);
    expect(retryDelay(3, retry, 0.25, null)).toBe(500);
  });

  it('R25: Retry-After is honoured as a floor, and capped by maxDelayMs', () => {
    expect(retryDelay(1, retry, 0, 5000)).toBe(5000);
    expect(retryDelay(1, retry, 0, 3_600_000)).toBe(30_000);
    expect(retryDelay(7, retry, 0.9, 1000)).toBe(Math.floor(0.9 * 30_000));
  });

  it('R25: every delay is an integer in [0, maxDelayMs], whatever the inputs (property)', () => {
    const options = fc
      .record({
        retries: fc.nat(20),
        minDelayMs: fc.nat(10_000),
        extra: fc.nat(100_000),
        factor: fc.double({ min: 1, max: 10, noNaN: true }),
      })
      .map(({ retries, minDelayMs, extra, factor }) => ({
        retries,
        minDelayMs,
        maxDelayMs: minDelayMs + extra,
        factor,
      }));
    fc.assert(
      fc.property(
        fc.integer({ min: -5, max: 10_000 }),
        options,
        fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
        fc.option(fc.nat()),
        (attempt, r, random, after) => {
          const d = retryDelay(attempt, r, random, after);
          expect(Number.isInteger(d)).toBe(true);
          expect(d).toBeGreaterThanOrEqual(0);
          expect(d).toBeLessThanOrEqual(r.maxDelayMs);
          if (after !== null) expect(d).toBeGreaterThanOrEqual(Math.min(after, r.maxDelayMs));
        },
      ),
    );
  });

  it('R25: the jitter ceiling never shrinks as attempts grow (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }), (attempt) => {
        const top = 1 - Number.EPSILON;
        expect(retryDelay(attempt + 1, defaultRetry, top, null)).toBeGreaterThanOrEqual(
          retryDelay(attempt, defaultRetry, top, null),
        );
      }),
    );
  });

  it('R25: a broken random draw is treated as 0, never NaN', () => {
    expect(retryDelay(3, retry, Number.NaN, null)).toBe(0);
    expect(retryDelay(3, retry, 7, null)).toBe(2000);
  });
});
