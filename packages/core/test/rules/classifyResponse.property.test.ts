import fc from 'fast-check';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import type { Checkpoint } from '../../src/model/checkpoint.js';
import type { Decision, RangeRequest, ResponseHead } from '../../src/model/decision.js';
import { type ClassifyPolicy, classifyResponse } from '../../src/rules/classifyResponse.js';
import { parseContentRange } from '../../src/rules/contentRange.js';
import { compareVersions, extractValidators, strongEtag } from '../../src/rules/validators.js';

const NOW = Date.UTC(2024, 0, 1);
const OLD = 'Sun, 06 Nov 1994 08:49:37 GMT';
const LATER = 'Mon, 07 Nov 1994 08:49:37 GMT';

interface Scenario {
  readonly checkpoint: Checkpoint;
  readonly request: RangeRequest;
  readonly response: ResponseHead;
  readonly policy: ClassifyPolicy;
}

const savedValidators = fc.record({
  etag: fc.constantFrom(null, '"v1"', 'W/"v1"'),
  lastModified: fc.constantFrom(null, OLD),
  date: fc.constantFrom(null, OLD, LATER),
});

/**
 * A checkpoint, a request a machine could send for it, and any answer a server (right or wrong) could give. Drawn
 * field by field, a valid Append came in 4 to 17 of 2000 runs: so most answers are a well-formed 206 (its range
 * right, open-ended, or ending past the last byte asked for, with a total; no coding; the saved version or no
 * validator), the others anything.
 */
const scenario: fc.Arbitrary<Scenario> = fc
  .record({
    wellFormed: fc.oneof(
      { weight: 2, arbitrary: fc.constant(false) },
      { weight: 3, arbitrary: fc.constant(true) },
    ),
    wellFormedRange: fc.constantFrom('right', 'rightStar', 'pastLast', 'pastLast'),
    wellFormedEtag: fc.constantFrom(undefined, '"v1"'),
    wellFormedLength: fc.constantFrom('right', 'right', 'absent'),
    total: fc.oneof(fc.constant(null), fc.integer({ min: 1, max: 5000 })),
    prefixFraction: fc.double({ min: 0, max: 1, noNaN: true }),
    lastFraction: fc.option(fc.double({ min: 0, max: 1, noNaN: true })),
    validators: savedValidators,
    condition: fc.constantFrom('if-range', 'if-match', 'none'),
    status: fc.constantFrom(200, 206, 206, 206, 412, 416, 403, 404, 408, 429, 500, 503, 304, 301),
    crKind: fc.constantFrom(
      'right',
      'rightStar',
      'pastLast',
      'wrongStart',
      'wrongTotal',
      'pastEnd',
      'malformed',
      'missing',
      'unsatisfied',
      'unsatisfiedTotal',
      'twice',
    ),
    etag: fc.constantFrom(undefined, '"v1"', '"v2"', 'W/"v1"', 'W/"v2"', 'v1'),
    lastModified: fc.constantFrom(undefined, OLD, LATER),
    encoding: fc.constantFrom(undefined, undefined, 'identity', 'gzip', 'br'),
    contentType: fc.constantFrom(undefined, 'application/octet-stream', 'multipart/byteranges; boundary=x'),
    lengthKind: fc.constantFrom('right', 'absent', 'short', 'long'),
    onChange: fc.constantFrom('restart', 'fail'),
    refreshable: fc.boolean(),
    shift: fc.integer({ min: 1, max: 100 }),
  })
  .map((drawn): Scenario => {
    const g = drawn.wellFormed
      ? {
          ...drawn,
          status: 206,
          crKind: drawn.wellFormedRange,
          etag: drawn.wellFormedEtag,
          lastModified: undefined,
          encoding: undefined,
          contentType: undefined,
          lengthKind: drawn.wellFormedLength,
        }
      : drawn;
    const size = g.total ?? 5000;
    const drawnOffset = Math.floor(g.prefixFraction * size);
    // A well-formed answer is to a range within the file.
    const offset = drawn.wellFormed ? Math.min(drawnOffset, size - 1) : drawnOffset;
    const drawnLast =
      g.lastFraction === null
        ? null
        : Math.min(size - 1, offset + Math.floor(g.lastFraction * (size - offset)));
    // A well-formed answer answers a ranged request: one from byte 0 asks for a last byte.
    const lastByte = drawn.wellFormed && offset === 0 && drawnLast === null ? size - 1 : drawnLast;
    const ranged = offset > 0 || lastByte !== null;
    const request: RangeRequest = {
      offset,
      lastByte: lastByte !== null && lastByte < offset ? null : lastByte,
      ranged,
      condition: ranged ? (g.condition as RangeRequest['condition']) : 'none',
    };
    const checkpoint: Checkpoint = {
      version: 1,
      url: 'https://example.com/f',
      validators: g.validators,
      totalLength: g.total,
      ranges: offset > 0 ? [[0, offset]] : [],
    };
    const last = request.lastByte ?? size - 1;
    /** Past the last byte asked for, within the file: a server may send more than the range asked (R10). */
    const pastLast = Math.min(last + g.shift, size - 1);
    const totalText = g.total === null ? '*' : String(g.total);
    const contentRange: Record<string, string | undefined> = {
      right: `bytes ${offset}-${last}/${totalText}`,
      rightStar: `bytes ${offset}-${last}/*`,
      pastLast: `bytes ${offset}-${pastLast}/${totalText}`,
      wrongStart: `bytes ${offset + g.shift}-${last + g.shift}/${size + g.shift}`,
      wrongTotal: `bytes ${offset}-${last}/${size + g.shift}`,
      pastEnd: `bytes ${offset}-${size + g.shift}/${size + g.shift}`,
      malformed: `bytes ${offset}-${last}`,
      missing: undefined,
      unsatisfied: `bytes */${size}`,
      unsatisfiedTotal: `bytes */${size + g.shift}`,
      twice: `bytes ${offset}-${last}/${totalText}, bytes ${offset}-${last}/${totalText}`,
    };
    const span = g.status === 206 ? (g.crKind === 'pastLast' ? pastLast : last) - offset + 1 : size;
    const length = { right: span, absent: undefined, short: span - 1, long: span + g.shift }[g.lengthKind];
    const headers: Record<string, string> = {};
    const cr = contentRange[g.crKind];
    if (cr !== undefined && (g.status === 206 || g.status === 416)) headers['content-range'] = cr;
    if (g.etag !== undefined) headers.etag = g.etag;
    if (g.lastModified !== undefined) headers['last-modified'] = g.lastModified;
    if (g.encoding !== undefined) headers['content-encoding'] = g.encoding;
    if (g.contentType !== undefined) headers['content-type'] = g.contentType;
    if (length !== undefined && length >= 0) headers['content-length'] = String(length);
    return {
      checkpoint,
      request,
      response: { status: g.status, headers },
      policy: { onChange: g.onChange as 'restart' | 'fail', nowMs: NOW, refreshable: g.refreshable },
    };
  });

const RUNS = 2000;
const policy: ClassifyPolicy = { onChange: 'restart', nowMs: NOW, refreshable: false };
const run = (s: Scenario) => classifyResponse(s.request, s.response, s.checkpoint, s.policy);
const encoded = (s: Scenario): boolean => {
  const e = s.response.headers['content-encoding']?.toLowerCase();
  return e !== undefined && e !== 'identity';
};

describe('classifyResponse (properties)', () => {
  it('R8: an Append to a ranged request is only ever a single well-formed 206 starting at the offset asked for', () => {
    let appended = 0;
    fc.assert(
      fc.property(scenario, (s) => {
        const d = run(s);
        if (d._tag !== 'Append' || !s.request.ranged) return;
        appended += 1;
        expect(s.response.status).toBe(206);
        expect(s.response.headers['content-type'] ?? '').not.toMatch(/multipart/);
        const cr = parseContentRange(s.response.headers['content-range']);
        if (E.isLeft(cr) || cr.right._tag !== 'Satisfied') throw new Error('appended a bad Content-Range');
        expect(cr.right.first).toBe(s.request.offset);
        expect(d.start).toBe(s.request.offset);
      }),
      { numRuns: RUNS },
    );
    expect(appended / RUNS).toBeGreaterThan(0.2);
  });

  it('R9: an Append never comes from an answer whose total differs from the checkpoint total', () => {
    /** Appends under a checkpoint that knows its total. */
    let appended = 0;
    fc.assert(
      fc.property(scenario, (s) => {
        const d = run(s);
        if (d._tag !== 'Append' || s.checkpoint.totalLength === null) return;
        appended += 1;
        const cr = parseContentRange(s.response.headers['content-range']);
        if (s.response.status === 206 && E.isRight(cr) && cr.right.total !== null) {
          expect(cr.right.total).toBe(s.checkpoint.totalLength);
        }
        if (d.totalLength !== null && s.checkpoint.ranges.length > 0)
          expect(d.totalLength).toBe(s.checkpoint.totalLength);
      }),
      { numRuns: RUNS },
    );
    expect(appended / RUNS).toBeGreaterThan(0.1);
  });

  it('R10: an Append never lets bytes past the last byte of the answer, or of the request, be written', () => {
    let appended = 0;
    /** Appends of an answer whose range ends past the last byte asked for: those the cap must cut. */
    let pastLast = 0;
    fc.assert(
      fc.property(scenario, (s) => {
        const d = run(s);
        if (d._tag !== 'Append' || s.response.status !== 206) return;
        const cr = parseContentRange(s.response.headers['content-range']);
        if (E.isLeft(cr) || cr.right._tag !== 'Satisfied') throw new Error('appended a bad Content-Range');
        appended += 1;
        if (s.request.lastByte !== null && cr.right.last > s.request.lastByte) pastLast += 1;
        expect(d.end).not.toBeNull();
        expect(d.end!).toBeGreaterThan(d.start);
        expect(d.end!).toBeLessThanOrEqual(cr.right.last + 1);
        if (s.request.lastByte !== null) expect(d.end!).toBeLessThanOrEqual(s.request.lastByte + 1);
        if (d.totalLength !== null) expect(d.end!).toBeLessThanOrEqual(d.totalLength);
      }),
      { numRuns: RUNS },
    );
    expect(appended / RUNS).toBeGreaterThan(0.2);
    expect(pastLast / RUNS).toBeGreaterThan(0.05);
  });

  it('R7: a 200 to a ranged request is never appended: it restarts or fails', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        fc.pre(s.response.status === 200 && s.request.ranged);
        const d = run(s);
        expect(['Restart', 'Fail']).toContain(d._tag);
        if (d._tag === 'Fail') expect(d.failure._tag).toBe('ResourceChanged');
      }),
    );
  });

  it('R13: an answer whose ETag differs from the checkpoint strong ETag is never appended to saved bytes', () => {
    fc.assert(
      fc.property(scenario, fc.constantFrom('"v2"', 'W/"v2"'), (base, etag) => {
        const s: Scenario = {
          ...base,
          checkpoint: { ...base.checkpoint, validators: { ...base.checkpoint.validators, etag: '"v1"' } },
          response: { ...base.response, headers: { ...base.response.headers, etag } },
        };
        fc.pre(s.checkpoint.ranges.length > 0);
        expect(strongEtag(s.checkpoint.validators)).toBe('"v1"');
        expect(run(s)._tag).not.toBe('Append');
      }),
    );
  });

  it('R6: without a condition sent, a ranged answer is appended only when its validators prove the same version', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        fc.pre(s.request.ranged && s.request.condition === 'none');
        const d = run(s);
        if (d._tag === 'Append') {
          expect(compareVersions(s.checkpoint.validators, extractValidators(s.response.headers))).toBe(
            'same',
          );
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('R5: an encoded answer is appended only as a plain GET from 0 with no total and no validators', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        fc.pre(encoded(s));
        const d = run(s);
        if (d._tag === 'Append') {
          expect(s.request.ranged).toBe(false);
          expect(d).toMatchObject({ start: 0, end: null, totalLength: null });
          expect(d.validators).toEqual({ etag: null, lastModified: null, date: null });
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('R11: with onChange fail a change is never a restart; with restart it is never a ResourceChanged failure', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const d = run(s);
        if (s.policy.onChange === 'fail')
          expect(d).not.toEqual({ _tag: 'Restart', reason: 'RESOURCE_CHANGED' });
        else if (d._tag === 'Fail') expect(d.failure._tag).not.toBe('ResourceChanged');
      }),
      { numRuns: 1000 },
    );
  });

  it('R11: a 412 to a conditional request is always a change', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        fc.pre(s.response.status === 412 && s.request.condition !== 'none');
        const d = run(s);
        if (s.policy.onChange === 'restart')
          expect(d).toEqual({ _tag: 'Restart', reason: 'RESOURCE_CHANGED' });
        else expect(d).toMatchObject({ _tag: 'Fail', failure: { _tag: 'ResourceChanged' } });
      }),
    );
  });

  it('R12: a 416 is Complete only when the total matches and every byte is written, and is never appended', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        fc.pre(s.response.status === 416);
        const d = run(s);
        expect(d._tag).not.toBe('Append');
        if (d._tag === 'Complete') {
          expect(s.request.offset).toBe(s.checkpoint.totalLength);
          expect(s.response.headers['content-range']).toBe(`bytes */${s.checkpoint.totalLength}`);
        }
      }),
    );
  });

  it('R25: 5xx, 408 and 429 are retried; other failing statuses are not', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const d = run(s);
        const status = s.response.status;
        expect(d._tag === 'Retry').toBe(status >= 500 || status === 408 || status === 429);
      }),
    );
  });

  it('R18: an expired URL is reported only for a 403 after bytes, with a refresh hook', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const d = run(s);
        const expired = d._tag === 'Fail' && d.failure._tag === 'UrlExpired';
        expect(expired).toBe(s.response.status === 403 && s.policy.refreshable && s.request.offset > 0);
      }),
    );
  });
});

/**
 * R35: a resumable checkpoint (the probe's total, a saved prefix), the request the machine sends for it, and any
 * answer of the same version that lies about its length or framing: a Content-Length, right or wrong, or none, maybe
 * beside a Transfer-Encoding; a Content-Range with any total; a body of any length.
 */
const sameVersionLie = fc
  .record({
    total: fc.integer({ min: 1, max: 1_000_000 }),
    offsetFraction: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 1, noNaN: true })),
    status: fc.constantFrom(200, 206),
    declared: fc.oneof(fc.constant(null), fc.constant('right'), fc.nat(2_000_000)),
    transferEncoding: fc.constantFrom(undefined, 'chunked'),
    rangeTotal: fc.oneof(fc.constant('right'), fc.constant('*'), fc.nat(2_000_000)),
    rangeEnd: fc.oneof(fc.constant('right'), fc.nat(2_000_000)),
    etag: fc.constantFrom(undefined, '"v1"', 'W/"v1"'),
    condition: fc.constantFrom('if-range', 'none'),
    bodyLength: fc.nat(3_000_000),
  })
  .map((g) => {
    const offset = Math.min(g.total - 1, Math.floor(g.offsetFraction * g.total));
    const ranged = offset > 0;
    const request: RangeRequest = {
      offset,
      lastByte: null,
      ranged,
      condition: ranged ? (g.condition as RangeRequest['condition']) : 'none',
    };
    const checkpoint: Checkpoint = {
      version: 1,
      url: 'https://example.com/f',
      validators: { etag: '"v1"', lastModified: null, date: null },
      totalLength: g.total,
      ranges: offset > 0 ? [[0, offset]] : [],
    };
    const last = g.rangeEnd === 'right' ? g.total - 1 : Math.max(offset, g.rangeEnd);
    const rangeTotal = g.rangeTotal === 'right' ? String(g.total) : String(g.rangeTotal);
    const headers: Record<string, string> = {};
    if (g.status === 206) headers['content-range'] = `bytes ${offset}-${last}/${rangeTotal}`;
    const span = g.status === 206 ? last - offset + 1 : g.total;
    if (g.declared !== null) headers['content-length'] = String(g.declared === 'right' ? span : g.declared);
    if (g.transferEncoding !== undefined) headers['transfer-encoding'] = g.transferEncoding;
    if (g.etag !== undefined) headers.etag = g.etag;
    return { request, checkpoint, response: { status: g.status, headers }, bodyLength: g.bodyLength };
  });

/**
 * What the transfer does with an `Append` and a body of `bodyLength` bytes (transferActor): it writes from `start`,
 * never past `end`; it is done when the body ended with `end` null, or when it reached `end` at the total. Anything
 * else is a short body resumed, or a next request.
 */
const transferOf = (d: Extract<Decision, { _tag: 'Append' }>, bodyLength: number) => {
  const written = d.end === null ? bodyLength : Math.min(bodyLength, d.end - d.start);
  const reachedEnd = d.end !== null && d.start + written >= d.end;
  const done = d.end === null || (reachedEnd && d.totalLength !== null && d.end >= d.totalLength);
  return { fileEnd: d.start + written, done };
};

describe('classifyResponse (properties): the probe total binds every answer (R35)', () => {
  it('R35: no Append of the same version ever reaches past the probe total, nor leaves its end open', () => {
    fc.assert(
      fc.property(sameVersionLie, ({ request, checkpoint, response }) => {
        const d = classifyResponse(request, response, checkpoint, policy);
        if (d._tag !== 'Append') return;
        expect(d.end).not.toBeNull();
        expect(d.end!).toBeLessThanOrEqual(checkpoint.totalLength!);
        expect(d.totalLength).toBe(checkpoint.totalLength);
      }),
      { numRuns: 3000 },
    );
  });

  it('R35: whatever the body length, no short file is ever done: done means every byte of the probe total', () => {
    fc.assert(
      fc.property(sameVersionLie, ({ request, checkpoint, response, bodyLength }) => {
        const d = classifyResponse(request, response, checkpoint, policy);
        if (d._tag !== 'Append') return;
        const { fileEnd, done } = transferOf(d, bodyLength);
        expect(fileEnd).toBeLessThanOrEqual(checkpoint.totalLength!);
        if (done) expect(fileEnd).toBe(checkpoint.totalLength);
      }),
      { numRuns: 3000 },
    );
  });

  it('R35, R36: an answer declaring a length other than the probe total for the same version is never appended', () => {
    fc.assert(
      fc.property(sameVersionLie, ({ request, checkpoint, response }) => {
        fc.pre(response.status === 200 && !request.ranged);
        fc.pre(response.headers['transfer-encoding'] === undefined);
        const declared = response.headers['content-length'];
        fc.pre(declared !== undefined && Number(declared) !== checkpoint.totalLength);
        expect(classifyResponse(request, response, checkpoint, policy)).toMatchObject({
          _tag: 'Fail',
          failure: { _tag: 'BadResponse' },
        });
      }),
    );
  });
});
