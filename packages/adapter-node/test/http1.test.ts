import { URL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { bodyFramingOf, withoutOverriddenLength } from '../src/http1/bodyFraming.js';
import { requestHeadOf } from '../src/http1/requestHead.js';
import type { ResponseHead } from '../src/http1/responseHead.js';

const head = (status: number, headers: Record<string, string>, minorVersion = 1): ResponseHead => ({
  minorVersion,
  status,
  headers,
});

describe('bodyFramingOf (RFC 9112 §6.3)', () => {
  it('HEAD, 204 and 304 have no body, whatever their headers say', () => {
    const framed = { _tag: 'Framed', framing: { _tag: 'Empty' }, reusable: true };
    expect(bodyFramingOf('HEAD', head(200, { 'content-length': '10' }))).toEqual(framed);
    expect(bodyFramingOf('GET', head(204, { 'transfer-encoding': 'chunked' }))).toEqual(framed);
    expect(bodyFramingOf('GET', head(304, { 'content-length': '10' }))).toEqual(framed);
  });

  it('a single chunked is chunked and beats a Content-Length, which is not trusted for the connection either', () => {
    expect(bodyFramingOf('GET', head(200, { 'transfer-encoding': 'Chunked' }))).toEqual({
      _tag: 'Framed',
      framing: { _tag: 'Chunked' },
      reusable: true,
    });
    // With both, the length is not trusted, and neither is the connection afterwards (§6.1).
    expect(
      bodyFramingOf('GET', head(200, { 'transfer-encoding': 'chunked', 'content-length': '5' })),
    ).toEqual({ _tag: 'Framed', framing: { _tag: 'Chunked' }, reusable: false });
    expect(bodyFramingOf('GET', head(200, { 'transfer-encoding': ', chunked' }))).toMatchObject({
      framing: { _tag: 'Chunked' },
    });
  });

  it('R36: any other Transfer-Encoding, or one in HTTP/1.0, is refused, for HEAD too', () => {
    for (const value of [
      'gzip, chunked',
      'chunked, chunked',
      'chunked, gzip',
      'identity',
      'x-rdl',
      '',
      'chunked;a=b',
    ])
      for (const method of ['GET', 'HEAD'] as const)
        expect(bodyFramingOf(method, head(200, { 'transfer-encoding': value }))).toEqual({
          _tag: 'Invalid',
          message: `Transfer-Encoding ${JSON.stringify(value)}: only a single chunked is accepted`,
        });
    expect(bodyFramingOf('GET', head(200, { 'transfer-encoding': 'chunked' }, 0))).toEqual({
      _tag: 'Invalid',
      message: 'Transfer-Encoding "chunked" in an HTTP/1.0 response',
    });
  });

  it('R36: a Content-Length beside a Transfer-Encoding is not passed on; alone it is', () => {
    expect(
      withoutOverriddenLength({ 'transfer-encoding': 'chunked', 'content-length': '3', etag: 'e' }),
    ).toEqual({
      'transfer-encoding': 'chunked',
      etag: 'e',
    });
    const alone = { 'content-length': '3' };
    expect(withoutOverriddenLength(alone)).toBe(alone);
  });

  it('a Content-Length, repeated with equal values or not, gives the length; any other is invalid', () => {
    expect(bodyFramingOf('GET', head(200, { 'content-length': '42, 42' }))).toEqual({
      _tag: 'Framed',
      framing: { _tag: 'Length', length: 42 },
      reusable: true,
    });
    for (const bad of ['42, 43', '', '-1', '4 2', '1e3', '0x10', '9999999999999999'])
      expect(bodyFramingOf('GET', head(200, { 'content-length': bad }))._tag).toBe('Invalid');
  });

  it('no framing runs until close; HTTP/1.0 and Connection: close are never reused', () => {
    expect(bodyFramingOf('GET', head(200, {}))).toEqual({
      _tag: 'Framed',
      framing: { _tag: 'UntilClose' },
      reusable: false,
    });
    const length = { 'content-length': '1' };
    expect(bodyFramingOf('GET', head(200, length, 0))).toMatchObject({ reusable: false });
    expect(bodyFramingOf('GET', head(200, { ...length, connection: 'Keep-Alive, Close' }))).toMatchObject({
      reusable: false,
    });
    expect(bodyFramingOf('GET', head(200, { ...length, connection: 'keep-alive' }))).toMatchObject({
      reusable: true,
    });
  });
});

describe('requestHeadOf', () => {
  const text = (result: ReturnType<typeof requestHeadOf>): string =>
    result._tag === 'Head' ? result.bytes.toString('latin1') : `invalid: ${result.message}`;

  it('sends the path and query, Host first (its port when not the default), the fields verbatim, user-agent rdl', () => {
    const result = requestHeadOf('GET', new URL('http://example.com:8080/a%20b/c?x=1&y#frag'), {
      Range: 'bytes=5-',
      'accept-encoding': 'identity',
    });
    expect(text(result)).toBe(
      'GET /a%20b/c?x=1&y HTTP/1.1\r\nhost: example.com:8080\r\nRange: bytes=5-\r\n' +
        'accept-encoding: identity\r\nuser-agent: rdl\r\n\r\n',
    );
    expect(text(requestHeadOf('HEAD', new URL('https://[::1]:443/'), {}))).toBe(
      'HEAD / HTTP/1.1\r\nhost: [::1]\r\nuser-agent: rdl\r\n\r\n',
    );
  });

  it('never adds Accept-Encoding (R5), and keeps a Host or User-Agent the caller gave', () => {
    const result = text(
      requestHeadOf('GET', new URL('http://a.test/'), { Host: 'b.test', 'User-Agent': 'mine/1' }),
    );
    expect(result).toBe('GET / HTTP/1.1\r\nHost: b.test\r\nUser-Agent: mine/1\r\n\r\n');
    expect(result.toLowerCase()).not.toContain('accept-encoding');
  });

  it("sends the transport's user-agent when the caller gave none, and none at all when it is null (curl's -A '')", () => {
    const url = new URL('http://a.test/');
    expect(text(requestHeadOf('GET', url, {}, null, 'other/2'))).toBe(
      'GET / HTTP/1.1\r\nhost: a.test\r\nuser-agent: other/2\r\n\r\n',
    );
    expect(text(requestHeadOf('GET', url, {}, null, null))).toBe('GET / HTTP/1.1\r\nhost: a.test\r\n\r\n');
  });

  it('refuses a field that could split the request: CR, LF or NUL in a value, a name that is not a token', () => {
    const url = new URL('http://a.test/');
    for (const headers of [
      { 'x-a': 'one\r\nx-b: two' },
      { 'x-a': 'one\ntwo' },
      { 'x-a': 'one\u0000' },
      { 'x a': '1' },
      { 'x-a:': '1' },
      { '': '1' },
      { 'x-a': 'snowman ☃' },
    ])
      expect(requestHeadOf('GET', url, headers)._tag).toBe('Invalid');
  });
});
