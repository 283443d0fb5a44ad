import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { probeFromResponse, probeRequestHeaders, shouldProbeWithGet } from '../../src/rules/probe.js';

const URL_ = 'https://cdn.example.com/f';

describe('probe', () => {
  it('R16: a refused HEAD (403, 405, 501) is probed again with GET', () => {
    for (const status of [403, 405, 501]) expect(shouldProbeWithGet(status)).toBe(true);
    for (const status of [200, 404, 500, 503, 401]) expect(shouldProbeWithGet(status)).toBe(false);
  });

  it('R16: the GET probe asks for bytes=0-0 without encoding; HEAD sends identity too', () => {
    expect(probeRequestHeaders('GET', { authorization: 'x', range: 'bytes=5-' })).toEqual({
      authorization: 'x',
      'accept-encoding': 'identity',
      range: 'bytes=0-0',
    });
    expect(probeRequestHeaders('HEAD', {})).toEqual({ 'accept-encoding': 'identity' });
  });

  it('R1: a HEAD gives the validators verbatim, the total and range support', () => {
    const result = probeFromResponse('HEAD', URL_, {
      status: 200,
      headers: {
        etag: '"abc"',
        'last-modified': 'Sun, 06 Nov 1994 08:49:37 GMT',
        date: 'Mon, 07 Nov 1994 08:49:37 GMT',
        'content-length': '1234',
        'accept-ranges': 'bytes',
      },
    });
    expect(result).toEqual(
      E.right({
        method: 'HEAD',
        status: 200,
        finalUrl: URL_,
        leftOrigin: null,
        validators: {
          etag: '"abc"',
          lastModified: 'Sun, 06 Nov 1994 08:49:37 GMT',
          date: 'Mon, 07 Nov 1994 08:49:37 GMT',
        },
        totalLength: 1234,
        acceptsRanges: true,
        contentEncoding: null,
      }),
    );
  });

  it('R15: a HEAD with no Content-Length, or Accept-Ranges none, says unknown total / no ranges', () => {
    const r = probeFromResponse('HEAD', URL_, { status: 200, headers: { 'accept-ranges': 'none' } });
    expect(r).toMatchObject(E.right({ totalLength: null, acceptsRanges: false }));
    const r2 = probeFromResponse('HEAD', URL_, { status: 200, headers: { 'accept-ranges': 'none, Bytes' } });
    expect(r2).toMatchObject(E.right({ acceptsRanges: true }));
  });

  it('R5: the probe reports a Content-Encoding, lower-cased; identity is none', () => {
    expect(
      probeFromResponse('HEAD', URL_, { status: 200, headers: { 'content-encoding': 'GZIP' } }),
    ).toMatchObject(E.right({ contentEncoding: 'gzip' }));
    expect(
      probeFromResponse('HEAD', URL_, { status: 200, headers: { 'content-encoding': 'identity' } }),
    ).toMatchObject(E.right({ contentEncoding: null }));
  });

  it('R16: a GET probe answered 206 reads the total from Content-Range', () => {
    const r = probeFromResponse('GET', URL_, {
      status: 206,
      headers: { 'content-range': 'bytes 0-0/5000', etag: '"e"' },
    });
    expect(r).toMatchObject(E.right({ method: 'GET', totalLength: 5000, acceptsRanges: true }));
    const star = probeFromResponse('GET', URL_, { status: 206, headers: { 'content-range': 'bytes 0-0/*' } });
    expect(star).toMatchObject(E.right({ totalLength: null, acceptsRanges: true }));
  });

  it('R16: a GET probe answered 200 means no ranges; the total comes from Content-Length', () => {
    const r = probeFromResponse('GET', URL_, { status: 200, headers: { 'content-length': '77' } });
    expect(r).toMatchObject(E.right({ totalLength: 77, acceptsRanges: false }));
  });

  it('R14: a GET probe answered 416 bytes */0 is an empty resource', () => {
    const r = probeFromResponse('GET', URL_, { status: 416, headers: { 'content-range': 'bytes */0' } });
    expect(r).toMatchObject(E.right({ totalLength: 0 }));
  });

  it('R8: a GET probe with a bad Content-Range is a BadResponse', () => {
    for (const headers of [
      {},
      { 'content-range': 'bytes 5-5/10' },
      { 'content-range': 'bytes */10' },
      { 'content-range': 'nonsense' },
    ]) {
      expect(probeFromResponse('GET', URL_, { status: 206, headers })).toMatchObject(
        E.left({ _tag: 'BadResponse' }),
      );
    }
    expect(
      probeFromResponse('GET', URL_, { status: 416, headers: { 'content-range': 'bytes */10' } }),
    ).toMatchObject(E.left({ _tag: 'BadResponse' }));
  });

  it('R25: a probe answered with a failing status is an HttpStatus the caller can retry or not', () => {
    expect(probeFromResponse('HEAD', URL_, { status: 503, headers: {} })).toEqual(
      E.left({ _tag: 'HttpStatus', status: 503, url: URL_ }),
    );
    expect(probeFromResponse('GET', URL_, { status: 404, headers: {} })).toEqual(
      E.left({ _tag: 'HttpStatus', status: 404, url: URL_ }),
    );
  });

  it('R36: a HEAD whose Content-Length stands beside a Transfer-Encoding gives no total', () => {
    const result = probeFromResponse('HEAD', URL_, {
      status: 200,
      headers: { 'content-length': '3', 'transfer-encoding': 'chunked', 'accept-ranges': 'bytes' },
    });
    expect(result).toMatchObject(E.right({ totalLength: null }));
  });
});
