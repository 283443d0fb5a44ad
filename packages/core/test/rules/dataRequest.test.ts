import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Checkpoint, Validators } from '../../src/model/checkpoint.js';
import { buildDataRequest } from '../../src/rules/dataRequest.js';

const OLD = 'Sun, 06 Nov 1994 08:49:37 GMT';
const LATER = 'Mon, 07 Nov 1994 08:49:37 GMT';
const cp = (validators: Partial<Validators> = {}): Checkpoint => ({
  version: 1,
  url: 'https://example.com/f',
  validators: { etag: '"v1"', lastModified: null, date: null, ...validators },
  totalLength: 1000,
  ranges: [[0, 400]],
});
const build = (
  over: Partial<Parameters<typeof buildDataRequest>[0]> = {},
): ReturnType<typeof buildDataRequest> =>
  buildDataRequest({
    offset: 400,
    lastByte: null,
    checkpoint: cp(),
    conditional: true,
    segment: false,
    extraHeaders: {},
    ...over,
  });

describe('buildDataRequest', () => {
  it('R5: every GET sends accept-encoding identity, whatever the caller set', () => {
    expect(build({ offset: 0, extraHeaders: { 'Accept-Encoding': 'gzip' } }).headers).toEqual({
      'accept-encoding': 'identity',
    });
    expect(build().headers['accept-encoding']).toBe('identity');
  });

  it('R6: offset 0 with no last byte is a plain GET with no Range and no condition', () => {
    expect(build({ offset: 0 })).toEqual({
      headers: { 'accept-encoding': 'identity' },
      range: { offset: 0, lastByte: null, ranged: false, condition: 'none' },
    });
  });

  it('R6: a resume sends Range bytes=N- and If-Range with the strong ETag', () => {
    expect(build()).toEqual({
      headers: { 'accept-encoding': 'identity', range: 'bytes=400-', 'if-range': '"v1"' },
      range: { offset: 400, lastByte: null, ranged: true, condition: 'if-range' },
    });
  });

  it('R6: a resume with no ETag sends If-Range with the strong date', () => {
    const byDate = cp({ etag: null, lastModified: OLD, date: LATER });
    expect(build({ checkpoint: byDate }).headers['if-range']).toBe(OLD);
  });

  it('R6: a segment sends If-Match (or If-Unmodified-Since with only a date) so a change answers 412', () => {
    expect(build({ segment: true, offset: 0, lastByte: 99 })).toEqual({
      headers: { 'accept-encoding': 'identity', range: 'bytes=0-99', 'if-match': '"v1"' },
      range: { offset: 0, lastByte: 99, ranged: true, condition: 'if-match' },
    });
    const byDate = cp({ etag: null, lastModified: OLD, date: LATER });
    const headers = build({ segment: true, lastByte: 499, checkpoint: byDate }).headers;
    expect(headers['if-unmodified-since']).toBe(OLD);
    expect(headers['if-match']).toBeUndefined();
  });

  it('R2: a weak ETag never goes into If-Range or If-Match', () => {
    const weak = cp({ etag: 'W/"v1"' });
    for (const segment of [false, true]) {
      const r = build({ checkpoint: weak, segment, lastByte: segment ? 499 : null });
      expect(r.headers['if-range']).toBeUndefined();
      expect(r.headers['if-match']).toBeUndefined();
      expect(r.range.condition).toBe('none');
    }
  });

  it('R3: a weak date never goes into If-Range', () => {
    const weakDate = cp({ etag: null, lastModified: OLD, date: OLD });
    expect(build({ checkpoint: weakDate }).headers['if-range']).toBeUndefined();
    expect(build({ checkpoint: weakDate }).range.condition).toBe('none');
  });

  it('R6: with conditional false (CORS) no conditional header is sent', () => {
    for (const segment of [false, true]) {
      const r = build({ conditional: false, segment });
      expect(Object.keys(r.headers).sort()).toEqual(['accept-encoding', 'range']);
      expect(r.range.condition).toBe('none');
    }
  });

  it('R6: caller headers are kept, but their own Range or conditions never override core', () => {
    const r = build({
      extraHeaders: {
        Authorization: 'Bearer x',
        RANGE: 'bytes=0-',
        'If-None-Match': '"v0"',
        'If-Range': '"v0"',
      },
    });
    expect(r.headers).toEqual({
      Authorization: 'Bearer x',
      'accept-encoding': 'identity',
      range: 'bytes=400-',
      'if-range': '"v1"',
    });
  });

  it('R6: the Range header always asks for exactly what the request says (property)', () => {
    fc.assert(
      fc.property(fc.nat(1e12), fc.option(fc.nat(1e6)), fc.boolean(), (offset, extra, segment) => {
        const lastByte = extra === null ? null : offset + extra;
        const r = build({ offset, lastByte, segment });
        expect(r.range.ranged).toBe(offset > 0 || lastByte !== null);
        if (r.range.ranged) {
          expect(r.headers.range).toBe(
            lastByte === null ? `bytes=${offset}-` : `bytes=${offset}-${lastByte}`,
          );
        } else expect(r.headers.range).toBeUndefined();
      }),
    );
  });
});
