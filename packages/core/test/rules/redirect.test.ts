import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { dataRequestTarget, redirectStep } from '../../src/rules/redirect.js';

const step = (over: Partial<Parameters<typeof redirectStep>[0]> = {}) =>
  redirectStep({
    from: 'https://example.com/a/file?sig=1',
    location: 'https://example.com/b/file',
    status: 302,
    method: 'GET',
    headers: { Authorization: 'Bearer t', cookie: 'c=1', range: 'bytes=10-', 'x-other': 'y' },
    hop: 0,
    allowHttpsDowngrade: false,
    ...over,
  });
const refused = {
  _tag: 'Left',
  left: { _tag: 'RedirectRefused', location: expect.any(String), message: expect.any(String) },
};

describe('redirectStep', () => {
  it('R17: a same-origin redirect keeps every header, Range included', () => {
    expect(step()).toEqual(
      E.right({
        url: 'https://example.com/b/file',
        headers: { Authorization: 'Bearer t', cookie: 'c=1', range: 'bytes=10-', 'x-other': 'y' },
        crossOrigin: false,
      }),
    );
  });

  it('R17: a cross-origin redirect drops Authorization and Cookie, in any letter case', () => {
    for (const location of ['https://cdn.example.net/f', 'https://example.com:8443/f']) {
      expect(step({ location })).toEqual(
        E.right({ url: location, headers: { range: 'bytes=10-' }, crossOrigin: true }),
      );
    }
    expect(step({ location: 'https://x.test/', headers: { COOKIE: 'a', AUTHORIZATION: 'b' } })).toEqual(
      E.right({ url: 'https://x.test/', headers: {}, crossOrigin: true }),
    );
  });

  it('R37: at another origin only core’s range headers and a few without secrets go on', () => {
    const headers = {
      'Proxy-Authorization': 'Basic cHJveHk6cHc=',
      'x-api-key': 'secret',
      'X-Amz-Security-Token': 'token',
      'User-Agent': 'app/1',
      accept: '*/*',
      'Accept-Language': 'fr',
      'accept-encoding': 'identity',
      range: 'bytes=10-',
      'if-range': '"v1"',
      'if-match': '"v1"',
      'if-unmodified-since': 'Sun, 06 Nov 1994 08:49:37 GMT',
    };
    const kept = {
      'User-Agent': 'app/1',
      accept: '*/*',
      'Accept-Language': 'fr',
      'accept-encoding': 'identity',
      range: 'bytes=10-',
      'if-range': '"v1"',
      'if-match': '"v1"',
      'if-unmodified-since': 'Sun, 06 Nov 1994 08:49:37 GMT',
    };
    expect(step({ location: 'https://cdn.example.net/f', headers })).toEqual(
      E.right({ url: 'https://cdn.example.net/f', headers: kept, crossOrigin: true }),
    );
    expect(step({ location: '/same-origin', headers })).toEqual(
      E.right({ url: 'https://example.com/same-origin', headers, crossOrigin: false }),
    );
  });

  it('R37: a redirect from https to http is refused, unless allowHttpsDowngrade', () => {
    for (const location of ['http://example.com/f', 'http://cdn.example.net/f', 'HTTP://example.com:443/f']) {
      expect(step({ location })).toEqual({
        _tag: 'Left',
        left: {
          _tag: 'RedirectRefused',
          location,
          message: 'a redirect from https to http (allow it with allowHttpsDowngrade)',
        },
      });
    }
    expect(step({ location: 'http://example.com/f', allowHttpsDowngrade: true })).toEqual(
      E.right({ url: 'http://example.com/f', headers: { range: 'bytes=10-' }, crossOrigin: true }),
    );
    expect(E.isRight(step({ from: 'http://example.com/a', location: 'http://cdn.example.net/f' }))).toBe(
      true,
    );
    expect(E.isRight(step({ from: 'http://example.com/a', location: 'https://example.com/f' }))).toBe(true);
  });

  it('R17: a relative Location is resolved against the URL that redirected', () => {
    expect(step({ location: '../c/file' })).toMatchObject(E.right({ url: 'https://example.com/c/file' }));
    expect(step({ location: '//other.test/x' })).toMatchObject(
      E.right({ url: 'https://other.test/x', headers: { range: 'bytes=10-' } }),
    );
    expect(step({ from: 'https://example.com/a#frag', location: '/b' })).toMatchObject(
      E.right({ url: 'https://example.com/b#frag' }),
    );
  });

  it.each([301, 302, 303, 307, 308])(
    'R17: status %i is followed, keeping the method (303 of a HEAD stays a HEAD)',
    (status) => {
      expect(E.isRight(step({ status }))).toBe(true);
      expect(E.isRight(step({ status, method: 'HEAD' }))).toBe(true);
    },
  );

  it('R17: only http(s) targets are followed', () => {
    for (const location of [
      'file:///etc/passwd',
      'ftp://example.com/f',
      'data:text/plain,hi',
      'javascript:alert(1)',
    ]) {
      expect(step({ location })).toEqual(refused);
    }
  });

  it('R17: at most 10 hops', () => {
    expect(E.isRight(step({ hop: 9 }))).toBe(true);
    expect(step({ hop: 10 })).toEqual(refused);
  });

  it('R17: a redirect without Location, a non-redirect status or an unparsable URL is refused', () => {
    expect(step({ location: undefined })).toEqual(refused);
    expect(step({ location: '  ' })).toEqual(refused);
    expect(step({ status: 200 })).toEqual(refused);
    expect(step({ status: 304 })).toEqual(refused);
    expect(step({ from: 'not a url' })).toEqual(refused);
    expect(step({ location: 'http://[::1' })).toEqual(refused);
  });

  it('R37: a Location that does not parse is named without its password, a scheme-relative one too', () => {
    const shown = (location: string) => {
      const result = step({ location });
      return E.isLeft(result) && result.left._tag === 'RedirectRefused' ? result.left.location : 'followed';
    };
    expect(shown('//bob:s3cret@[::1%25eth0]:1/x.bin')).toBe('//[::1%25eth0]:1/x.bin');
    expect(shown('http://bob:p#ss@[::1%25eth0]/x')).toBe('http://…@[::1%25eth0]/x');
    expect(shown('https://bob:p/ss@127.0.0.1:1/x')).toBe('https://…@127.0.0.1:1/x');
    expect(shown('ftp://bob:s3cret@example.com/f')).toBe('ftp://example.com/f');
    expect(shown('/a@b/file')).toBe('followed');
  });
});

describe('dataRequestTarget', () => {
  const headers = {
    Authorization: 'Bearer t',
    Cookie: 'c=1',
    'Proxy-Authorization': 'Basic cA==',
    'x-app': 'rdl',
    'user-agent': 'app/1',
  };

  it('R16: with a headUrl of its own, the data goes to url, never to the probe’s final URL', () => {
    expect(
      dataRequestTarget({
        callerUrl: 'https://bucket.example/f?sig=get',
        url: 'https://bucket.example/f?sig=get',
        headUrl: 'https://bucket.example/f?sig=head',
        probedUrl: 'https://bucket.example/f?sig=head',
        probeLeftOrigin: false,
        headers,
      }),
    ).toEqual({ url: 'https://bucket.example/f?sig=get', headers });
  });

  it('R17: without one, the data goes to the final URL of the probe, credentials kept at the same origin', () => {
    expect(
      dataRequestTarget({
        callerUrl: 'https://files.example/a',
        url: 'https://files.example/a',
        headUrl: 'https://files.example/a',
        probedUrl: 'https://files.example/b',
        probeLeftOrigin: false,
        headers,
      }),
    ).toEqual({ url: 'https://files.example/b', headers });
  });

  it('R17, R37: a probe redirected to another origin sends none of the caller’s secrets there', () => {
    for (const probedUrl of [
      'https://cdn.example/a',
      'http://files.example/a',
      'https://files.example:8443/a',
    ]) {
      expect(
        dataRequestTarget({
          callerUrl: 'https://files.example/a',
          url: 'https://files.example/a',
          headUrl: 'https://files.example/a',
          probedUrl,
          probeLeftOrigin: true,
          headers,
        }),
      ).toEqual({ url: probedUrl, headers: { 'user-agent': 'app/1' } });
    }
  });

  it('R17: a headUrl of another origin keeps the credentials for url, which the caller gave them for', () => {
    expect(
      dataRequestTarget({
        callerUrl: 'https://files.example/a',
        url: 'https://files.example/a',
        headUrl: 'https://head.example/a',
        probedUrl: 'https://elsewhere.example/a',
        probeLeftOrigin: true,
        headers,
      }),
    ).toEqual({ url: 'https://files.example/a', headers });
  });

  it('R18, R37: a URL a refreshUrl hook gave at another origin than the caller’s gets none of the caller’s secrets', () => {
    expect(
      dataRequestTarget({
        callerUrl: 'https://api.example/download',
        url: 'https://bucket.example/f?sig=2',
        headUrl: 'https://bucket.example/f?sig=2',
        probedUrl: 'https://bucket.example/f?sig=2',
        probeLeftOrigin: false,
        headers,
      }),
    ).toEqual({ url: 'https://bucket.example/f?sig=2', headers: { 'user-agent': 'app/1' } });
    // At the caller's own origin, they go on as before.
    expect(
      dataRequestTarget({
        callerUrl: 'https://bucket.example/f?sig=1',
        url: 'https://bucket.example/f?sig=2',
        headUrl: 'https://bucket.example/f?sig=2',
        probedUrl: 'https://bucket.example/f?sig=2',
        probeLeftOrigin: false,
        headers,
      }).headers,
    ).toEqual(headers);
  });

  it('R17, R37: a probe that left the origin and came back sends no secrets to the URL the other origin chose', () => {
    expect(
      dataRequestTarget({
        callerUrl: 'https://files.example/start',
        url: 'https://files.example/start',
        headUrl: 'https://files.example/start',
        probedUrl: 'https://files.example/chosen-by-other',
        probeLeftOrigin: true,
        headers,
      }),
    ).toEqual({ url: 'https://files.example/chosen-by-other', headers: { 'user-agent': 'app/1' } });
  });

  it('R17, R37: when the port cannot tell where the redirects went, the data goes to the caller’s URL again', () => {
    const target = (probedUrl: string) =>
      dataRequestTarget({
        callerUrl: 'https://files.example/start',
        url: 'https://files.example/start',
        headUrl: 'https://files.example/start',
        probedUrl,
        probeLeftOrigin: null,
        headers,
      });
    expect(target('https://files.example/chosen')).toEqual({ url: 'https://files.example/start', headers });
    expect(target('https://files.example/start')).toEqual({ url: 'https://files.example/start', headers });
    expect(target('https://cdn.example/f')).toEqual({ url: 'https://files.example/start', headers });
  });

  it('R17: an unparsable final URL counts as another origin', () => {
    expect(
      dataRequestTarget({
        callerUrl: 'https://files.example/a',
        url: 'https://files.example/a',
        headUrl: 'https://files.example/a',
        probedUrl: 'nope',
        probeLeftOrigin: true,
        headers,
      }),
    ).toEqual({ url: 'nope', headers: { 'user-agent': 'app/1' } });
  });
});
