import fc from 'fast-check';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { parseUrl } from '../../src/model/url.js';
import { dataRequestTarget, headersForUrl, redirectStep } from '../../src/rules/redirect.js';

const origin = fc
  .record({
    scheme: fc.constantFrom('http', 'https'),
    host: fc.constantFrom('files.example', 'cdn.example', 'FILES.example', '127.0.0.1'),
    port: fc.constantFrom('', ':443', ':80', ':8080'),
  })
  .map(({ scheme, host, port }) => `${scheme}://${host}${port}`);
const path = fc.constantFrom('/a', '/a?sig=1', '/b/c', '/a#frag');
const url = fc.tuple(origin, path).map(([o, p]) => o + p);
const letterCase = fc.constantFrom(
  (s: string) => s,
  (s: string) => s.toUpperCase(),
  (s: string) => s[0]!.toUpperCase() + s.slice(1),
);
const headers = fc
  .record({
    authorization: fc.option(letterCase, { nil: undefined }),
    cookie: fc.option(letterCase, { nil: undefined }),
    other: fc.dictionary(
      fc.constantFrom('x-app', 'accept', 'user-agent', 'Proxy-Authorization', 'x-api-key', 'Accept-Language'),
      fc.string(),
      { maxKeys: 4 },
    ),
  })
  .map(({ authorization, cookie, other }) => {
    const out: Record<string, string> = { ...other };
    if (authorization !== undefined) out[authorization('authorization')] = 'Bearer secret';
    if (cookie !== undefined) out[cookie('cookie')] = 'session=1';
    return out;
  });
/** What R37 lets go on to another origin of the caller's headers. */
const crossesOrigins = (name: string) =>
  ['user-agent', 'accept', 'accept-language'].includes(name.toLowerCase());

describe('headersForUrl (property)', () => {
  it('R18, R37: the caller’s headers go whole only to the origin of a URL they were given for; elsewhere the three only', () => {
    fc.assert(
      fc.property(url, fc.array(url, { maxLength: 3 }), headers, (to, givenFor, sent) => {
        const kept = headersForUrl(to, givenFor, sent);
        const home = givenFor.some((given) => parseUrl(given)?.origin === parseUrl(to)?.origin);
        for (const [name, value] of Object.entries(sent)) {
          if (!crossesOrigins(name) && !home) expect(kept).not.toHaveProperty(name);
          else expect(kept[name]).toBe(value);
        }
        expect(Object.keys(kept).every((name) => name in sent)).toBe(true);
      }),
    );
  });
});

describe('dataRequestTarget (property)', () => {
  it('R16, R17, R37: data goes to url, or to the probe’s final URL when the probe went to url (url again when the port cannot tell whether a redirected probe left the origin); the caller’s headers but three only at the origin of url, and never after the probe left it', () => {
    const leftOrigin = fc.constantFrom(true, false, null);
    fc.assert(
      fc.property(
        url,
        fc.option(url, { nil: null }),
        url,
        leftOrigin,
        headers,
        (given, ownHead, probedUrl, probeLeftOrigin, sent) => {
          const headUrl = ownHead ?? given;
          const target = dataRequestTarget({
            callerUrl: given,
            url: given,
            headUrl,
            probedUrl,
            probeLeftOrigin,
            headers: sent,
          });
          const probedWasGiven = parseUrl(headUrl)?.href === parseUrl(given)?.href;
          const redirected = parseUrl(probedUrl)?.href !== parseUrl(given)?.href;
          const refollow = probeLeftOrigin === null && redirected;
          expect(target.url).toBe(probedWasGiven && !refollow ? probedUrl : given);
          const sameOrigin = parseUrl(target.url)?.origin === parseUrl(given)?.origin;
          const secretsGo = sameOrigin && !(probedWasGiven && probeLeftOrigin === true);
          for (const [name, value] of Object.entries(sent)) {
            if (!crossesOrigins(name) && !secretsGo) expect(target.headers).not.toHaveProperty(name);
            else expect(target.headers[name]).toBe(value);
          }
          expect(Object.keys(target.headers).every((name) => name in sent)).toBe(true);
        },
      ),
    );
  });
});

describe('redirectStep (property)', () => {
  it('R37: a refused Location is named without its password, whatever the password holds and whether it parses or not', () => {
    const secret = fc
      .array(fc.constantFrom('s', '3', '#', '/', '?', '\\', ':', '@', '%', '[', ']'), { maxLength: 6 })
      .map((rest) => `S3cr${rest.join('')}`);
    const start = fc.constantFrom('http://', 'https://', 'HTTP:\\\\', '//', 'ftp://', 'file://');
    const host = fc.constantFrom('example.com', '127.0.0.1:1', '[::1%25eth0]', '[::1', 'ho st', '');
    fc.assert(
      fc.property(start, secret, host, path, (scheme, password, at, rest) => {
        const result = redirectStep({
          from: 'https://example.com/a',
          location: `${scheme}bob:${password}@${at}${rest}`,
          status: 302,
          method: 'GET',
          headers: {},
          hop: 0,
          allowHttpsDowngrade: false,
        });
        if (E.isRight(result)) return;
        expect(JSON.stringify(result.left)).not.toContain('S3cr');
      }),
    );
  });
});
