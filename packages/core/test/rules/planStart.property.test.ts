import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ByteRange, Checkpoint } from '../../src/model/checkpoint.js';
import type { ProbeResult } from '../../src/model/decision.js';
import { clipRanges, coveredBytes, prefixLength } from '../../src/rules/byteRanges.js';
import { compareCheckpointUrl, storedUrl } from '../../src/rules/checkpointUrl.js';
import { planStart } from '../../src/rules/planStart.js';
import { compareVersions, strongEtag } from '../../src/rules/validators.js';

const URL_ = 'https://example.com/f';
/** The caller's URL: plain, signed again (a new date and signature), or choosing another object by its query. */
const GIVEN = [URL_, `${URL_}?X-Amz-Date=2&X-Amz-Signature=new`, `${URL_}?file=a`];
/** Where the data of a run came from: the URL itself, a mirror it redirected to, another object. */
const SOURCES = [URL_, 'https://mirror.example/f', `${URL_}?file=b`] as const;
const OLD = 'Sun, 06 Nov 1994 08:49:37 GMT';
const LATER = 'Mon, 07 Nov 1994 08:49:37 GMT';
const validators = fc.record({
  etag: fc.constantFrom(null, '"v1"', '"v1"', '"v2"', 'W/"v1"'),
  lastModified: fc.constantFrom(null, OLD, LATER),
  date: fc.constantFrom(null, OLD, LATER),
});
const total = fc.oneof(
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 6, arbitrary: fc.nat({ max: 2000 }) },
);
/** Mostly `nothing` (keep what the stored checkpoint says), now and then a value of `value`. */
const sometimes = <T>(value: fc.Arbitrary<T>): fc.Arbitrary<{ readonly to: T } | null> =>
  fc.oneof(
    { weight: 7, arbitrary: fc.constant(null) },
    { weight: 1, arbitrary: value.map((to) => ({ to })) },
  );

/**
 * A start: a stored checkpoint (most of the time) and a probe. Drawn apart, a probe almost never matched its
 * checkpoint (no Resume in 3000 runs), so the probe is the stored checkpoint's version and total, each changed with
 * a small probability; the caller's URL and the source are mostly the checkpoint's own; the ranges are cuts, one prefix or
 * the whole file; the part file holds all of them, a little less, or a random length (R21).
 */
const input = fc
  .record({
    url: fc.constantFrom(
      URL_,
      URL_,
      URL_,
      URL_,
      'https://example.com/g',
      `${URL_}?X-Amz-Date=1&X-Amz-Signature=old`,
      `${URL_}?file=b`,
    ),
    given: fc.constantFrom(...GIVEN),
    sameUrl: fc.oneof(
      { weight: 1, arbitrary: fc.constant(false) },
      { weight: 3, arbitrary: fc.constant(true) },
    ),
    hasStored: fc.oneof(
      { weight: 1, arbitrary: fc.constant(false) },
      { weight: 5, arbitrary: fc.constant(true) },
    ),
    storedValidators: validators,
    storedTotal: total,
    shape: fc.constantFrom('cuts' as const, 'prefix' as const, 'whole' as const),
    cuts: fc.array(fc.nat({ max: 2000 }), { minLength: 2, maxLength: 6 }),
    partSize: fc.oneof(
      fc.constant('holds all' as const),
      fc.nat({ max: 2500 }),
      fc.integer({ min: 1, max: 400 }).map((short) => ({ short })),
    ),
    drawnProbe: fc.oneof(
      { weight: 4, arbitrary: fc.constant(false) },
      { weight: 1, arbitrary: fc.constant(true) },
    ),
    probeValidators: validators,
    probeTotal: total,
    changeValidators: sometimes(validators),
    changeTotal: sometimes(total),
    acceptsRanges: fc.oneof(
      { weight: 1, arbitrary: fc.constant(false) },
      { weight: 5, arbitrary: fc.constant(true) },
    ),
    encoding: fc.oneof(
      { weight: 7, arbitrary: fc.constant(null) },
      { weight: 1, arbitrary: fc.constant('gzip') },
    ),
    onChange: fc.constantFrom('restart' as const, 'fail' as const),
    storedSource: fc.constantFrom(undefined, undefined, URL_, URL_, SOURCES[1], SOURCES[2]),
    source: fc.constantFrom(...SOURCES),
    sameSource: fc.oneof(
      { weight: 1, arbitrary: fc.constant(false) },
      { weight: 3, arbitrary: fc.constant(true) },
    ),
  })
  .map((g) => {
    const cap = g.storedTotal ?? 2000;
    const points = [...new Set(g.cuts.map((c) => Math.min(c, cap)))].sort((a, b) => a - b);
    const ranges: ByteRange[] = [];
    if (g.shape === 'whole' && cap > 0) ranges.push([0, cap]);
    else if (g.shape === 'prefix' && (points.at(-1) ?? 0) > 0) ranges.push([0, points.at(-1)!]);
    else for (let i = 0; i + 1 < points.length; i += 2) ranges.push([points[i]!, points[i + 1]!]);
    const stored: Checkpoint | null = g.hasStored
      ? {
          version: 1,
          url: g.url,
          ...(g.storedSource === undefined ? {} : { source: g.storedSource }),
          validators: g.storedValidators,
          totalLength: g.storedTotal,
          ranges,
        }
      : null;
    const fromStored = stored !== null && !g.drawnProbe;
    const end = ranges.at(-1)?.[1] ?? 0;
    const probe: ProbeResult = {
      method: 'HEAD',
      status: 200,
      finalUrl: URL_,
      leftOrigin: false,
      validators: fromStored ? (g.changeValidators?.to ?? stored.validators) : g.probeValidators,
      totalLength: fromStored
        ? g.changeTotal === null
          ? stored.totalLength
          : g.changeTotal.to
        : g.probeTotal,
      acceptsRanges: g.acceptsRanges,
      contentEncoding: g.encoding,
    };
    return {
      url: stored !== null && g.sameUrl ? stored.url : g.given,
      stored,
      partSize:
        g.partSize === 'holds all'
          ? end
          : typeof g.partSize === 'number'
            ? g.partSize
            : Math.max(0, end - g.partSize.short),
      probe,
      onChange: g.onChange,
      source: stored !== null && g.sameSource ? (stored.source ?? stored.url) : g.source,
      maxFileBytes: null,
    };
  });

const RUNS = 3000;

/**
 * How often each plan came out of the runs of one property: it asserts nothing of a plan it never saw, so each
 * property that reads a Resume or a Complete also asserts that a fair share of its runs were one.
 */
const planCounter = () => {
  const seen: Record<string, number> = {};
  return {
    plan: (i: Parameters<typeof planStart>[0]) => {
      const p = planStart(i);
      seen[p._tag] = (seen[p._tag] ?? 0) + 1;
      return p;
    },
    share: (tag: string): number => (seen[tag] ?? 0) / RUNS,
    seen,
  };
};

describe('planStart (properties)', () => {
  it('R4: a Resume is planned only for the same URL, the same version proven strongly, and a known equal total', () => {
    const plans = planCounter();
    let unknownVersion = 0;
    fc.assert(
      fc.property(input, (i) => {
        const p = plans.plan(i);
        // Starts that would resume but for validators that prove nothing: the case R4 refuses.
        if (
          i.stored !== null &&
          i.stored.totalLength === i.probe.totalLength &&
          compareVersions(i.stored.validators, i.probe.validators) === 'unknown' &&
          p._tag === 'Fresh' &&
          p.reason === 'NO_STRONG_VALIDATOR'
        )
          unknownVersion += 1;
        if (p._tag !== 'Resume') return;
        expect(i.stored).not.toBeNull();
        expect(compareCheckpointUrl(i.stored!.url, i.url)).not.toBe('other');
        expect(compareVersions(i.stored!.validators, i.probe.validators)).toBe('same');
        expect(i.stored!.totalLength).not.toBeNull();
        expect(i.stored!.totalLength).toBe(i.probe.totalLength);
        expect(i.probe.acceptsRanges).toBe(true);
        expect(i.probe.contentEncoding).toBeNull();
      }),
      { numRuns: RUNS },
    );
    expect(plans.share('Resume'), JSON.stringify(plans.seen)).toBeGreaterThan(0.05);
    expect(unknownVersion / RUNS).toBeGreaterThan(0.05);
  });

  it("R21, R42: a Resume keeps what the part file holds of the checkpoint's ranges, every one, and its offset is their prefix", () => {
    const plans = planCounter();
    /** Resumes whose part file holds less than the checkpoint counts. */
    let cut = 0;
    fc.assert(
      fc.property(input, (i) => {
        const p = plans.plan(i);
        if (p._tag !== 'Resume') return;
        if (coveredBytes(i.stored!.ranges) > coveredBytes(p.checkpoint.ranges)) cut += 1;
        expect(p.checkpoint.ranges).toEqual(clipRanges(i.stored!.ranges, i.partSize));
        expect(coveredBytes(p.checkpoint.ranges)).toBeGreaterThan(0);
        for (const [, end] of p.checkpoint.ranges) expect(end).toBeLessThanOrEqual(i.partSize);
        expect(p.offset).toBe(prefixLength(p.checkpoint.ranges));
        expect(p.offset).toBeLessThan(p.checkpoint.totalLength!);
      }),
      { numRuns: RUNS },
    );
    expect(plans.share('Resume'), JSON.stringify(plans.seen)).toBeGreaterThan(0.05);
    expect(cut / RUNS).toBeGreaterThan(0.03);
  });

  it('R12: every byte counted and present is Complete before any request; a Resume never asks at or past the total', () => {
    const plans = planCounter();
    let whole = 0;
    fc.assert(
      fc.property(input, (i) => {
        const p = plans.plan(i);
        if (p._tag === 'Resume') expect(p.offset).toBeLessThan(i.stored!.totalLength!);
        const total = i.stored?.totalLength ?? null;
        const everyByte =
          total !== null &&
          total > 0 &&
          i.stored!.url === i.url &&
          (i.stored!.source === undefined || compareCheckpointUrl(i.stored!.source, i.source) === 'same') &&
          i.probe.totalLength === total &&
          i.probe.acceptsRanges &&
          i.probe.contentEncoding === null &&
          compareVersions(i.stored!.validators, i.probe.validators) === 'same' &&
          Math.min(prefixLength(i.stored!.ranges), i.partSize) >= total;
        if (everyByte) {
          whole += 1;
          expect(p._tag).toBe('Complete');
        }
      }),
      { numRuns: RUNS },
    );
    expect(whole / RUNS, JSON.stringify(plans.seen)).toBeGreaterThan(0.02);
    expect(plans.share('Complete')).toBeGreaterThan(0.03);
    expect(plans.share('Resume')).toBeGreaterThan(0.05);
  });

  it('R22: a Fresh plan always carries an empty checkpoint of the caller URL', () => {
    fc.assert(
      fc.property(input, (i) => {
        const p = planStart(i);
        if (p._tag === 'Fresh') {
          expect(p.checkpoint.url).toBe(storedUrl(i.url));
          expect(p.checkpoint.ranges).toEqual([]);
          if (p.reason !== null) expect(coveredBytes(i.stored?.ranges ?? [])).toBeGreaterThan(0);
        }
      }),
    );
  });

  it('R11: a plan fails only with onChange fail, only for a change, and only when saved bytes would be lost', () => {
    fc.assert(
      fc.property(input, (i) => {
        const p = planStart(i);
        if (p._tag !== 'Fail') return;
        expect(i.onChange).toBe('fail');
        expect(p.failure._tag).toBe('ResourceChanged');
        expect(coveredBytes(i.stored!.ranges)).toBeGreaterThan(0);
      }),
    );
  });

  it('R2, R13, R22: a checkpoint whose URL differs in its query resumes only under one strong ETag on both sides; weak, missing or date-only validators start afresh as URL_CHANGED', () => {
    fc.assert(
      fc.property(input, (i) => {
        if (i.stored === null || compareCheckpointUrl(i.stored.url, i.url) !== 'query') return;
        const p = planStart(i);
        const saved = strongEtag(i.stored.validators);
        const seen = strongEtag(i.probe.validators);
        if (p._tag === 'Resume' || p._tag === 'Complete') {
          expect(saved).not.toBeNull();
          expect(seen).toBe(saved);
          expect(p.checkpoint.url).toBe(storedUrl(i.url));
        }
        if (
          i.probe.contentEncoding === null &&
          i.probe.totalLength !== 0 &&
          (saved === null || seen === null)
        ) {
          expect(p).toMatchObject({ _tag: 'Fresh', checkpoint: { ranges: [] } });
          if (coveredBytes(i.stored.ranges) > 0) expect(p).toMatchObject({ reason: 'URL_CHANGED' });
        }
        // Two strong ETags that differ: a change (R11), never a resume.
        if (saved !== null && seen !== null && saved !== seen) expect(['Fresh', 'Fail']).toContain(p._tag);
      }),
      { numRuns: RUNS },
    );
  });

  it('R40: under maxFileBytes the plan is Fail(TooLarge) exactly when the probe announces more; else the plan without it', () => {
    fc.assert(
      fc.property(input, fc.nat({ max: 2500 }), (i, limit) => {
        const p = planStart({ ...i, maxFileBytes: limit });
        const { totalLength } = i.probe;
        if (totalLength !== null && totalLength > limit) {
          expect(p).toEqual({ _tag: 'Fail', failure: { _tag: 'TooLarge', limit, size: totalLength } });
        } else {
          expect(p).toEqual(planStart(i));
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('R11, R17: bytes are resumed from another source than theirs only under one strong ETag on both sides', () => {
    fc.assert(
      fc.property(input, (i) => {
        const p = planStart(i);
        const from = i.stored?.source;
        if (from === undefined || compareCheckpointUrl(from, i.source) === 'same') return;
        if (p._tag === 'Resume') {
          const saved = strongEtag(i.stored!.validators);
          expect(saved).not.toBeNull();
          expect(strongEtag(i.probe.validators)).toBe(saved);
        }
        if (p._tag !== 'Fail') expect(p.checkpoint.source).toBe(storedUrl(i.source));
      }),
      { numRuns: RUNS },
    );
  });

  it('R14: a zero-length resource is always Complete', () => {
    fc.assert(
      fc.property(input, (raw) => {
        const i = { ...raw, url: URL_, stored: raw.stored === null ? null : { ...raw.stored, url: URL_ } };
        const p = planStart({ ...i, probe: { ...i.probe, totalLength: 0, contentEncoding: null } });
        expect(p._tag).toBe('Complete');
      }),
    );
  });
});
