import { isIP } from 'node:net';
import { URL } from 'node:url';
import fc from 'fast-check';
import * as E from 'fp-ts/lib/Either.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bypassesProxy, environmentProxy, ProxyRoutes, parseProxyUrl } from '../src/http1/proxyRoute.js';

const names = ['no_proxy', 'http_proxy', 'https_proxy', 'all_proxy', 'request_method'];
let saved: NodeJS.ProcessEnv;
beforeEach(() => {
  saved = { ...process.env };
  for (const name of names) {
    delete process.env[name];
    delete process.env[name.toUpperCase()];
  }
});
afterEach(() => {
  process.env = saved;
});

const label = fc.constantFrom('a', 'b', 'example', 'com', 'internal', '127', '0', '1');
const host = fc.array(label, { minLength: 1, maxLength: 4 }).map((labels) => labels.join('.'));
const port = fc.constantFrom('', ':80', ':443', ':8080');
const entry = fc
  .tuple(fc.constantFrom('', '.', '*', '*.'), host, port)
  .map(([lead, name, p]) => `${lead}${name}${p}`);
const list = fc.oneof(
  fc.constant('*'),
  fc
    .array(entry, { maxLength: 4 })
    .chain((entries) => fc.constantFrom(',', ', ', ' ').map((separator) => entries.join(separator))),
);

const urlOf = (scheme: string, name: string, p: string): URL | null =>
  URL.canParse(`${scheme}://${name}${p}/f`) ? new URL(`${scheme}://${name}${p}/f`) : null;

describe('the NO_PROXY rules', () => {
  it('a list matches a URL when one of its entries alone does; * alone matches all; a leading . or *. on a name changes nothing', () => {
    fc.assert(
      fc.property(fc.constantFrom('http', 'https'), host, port, list, (scheme, name, p, noProxy) => {
        // A last label all digits must make an IPv4 address (WHATWG URL): other such hosts are no URL at all.
        const url = urlOf(scheme, name, p);
        fc.pre(url !== null && noProxy !== '*');
        const entries = noProxy.split(/[,\s]/).filter((e) => e !== '');
        expect(bypassesProxy(url!, noProxy)).toBe(entries.some((e) => bypassesProxy(url!, e)));
        expect(bypassesProxy(url!, '*')).toBe(true);
        // An IP host is matched by addresses alone, which take no leading dot.
        if (isIP(url!.hostname) !== 0) return;
        for (const e of entries) {
          const bare = e.replace(/^\*?\./, '');
          if (bare !== '' && !/^[.*]/.test(bare)) {
            expect(bypassesProxy(url!, `.${bare}`)).toBe(bypassesProxy(url!, bare));
            expect(bypassesProxy(url!, `*.${bare}`)).toBe(bypassesProxy(url!, bare));
          }
        }
      }),
      { numRuns: 2_000 },
    );
  });

  it('a name entry matches its host and every host under it, never a host that merely ends with it', () => {
    fc.assert(
      fc.property(host, fc.constantFrom('www', 'a.b', 'x-y'), (name, sub) => {
        const url = urlOf('http', name, '');
        const under = urlOf('http', `${sub}.${name}`, '');
        const beside = urlOf('http', `not${name}`, '');
        fc.pre(url !== null && under !== null && beside !== null && url.hostname === name);
        expect(bypassesProxy(url!, name)).toBe(true);
        expect(bypassesProxy(under!, name)).toBe(true);
        expect(bypassesProxy(beside!, name)).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it.each([
    // curl's own examples (its --noproxy documentation).
    ['local.com', 'http://local.com/f', true],
    ['local.com', 'http://local.com:80/f', true],
    ['local.com', 'http://www.local.com/f', true],
    ['local.com', 'http://www.notlocal.com/f', false],
    ['.local.com', 'http://local.com/f', true],
    ['*.local.com', 'http://local.com/f', true],
    ['192.168.0.0/16', 'http://192.168.3.4/f', true],
    ['192.168.0.0/16', 'http://192.169.0.1/f', false],
    // IPv6, with or without brackets, in any spelling; a common list.
    ['localhost,127.0.0.1,::1', 'http://[::1]:18081/f', true],
    ['[::1]', 'http://[::1]:8080/f', true],
    ['0:0:0:0:0:0:0:1', 'http://[::1]/f', true],
    ['[::1]:8080', 'http://[::1]:8080/f', true],
    ['[::1]:8080', 'http://[::1]:8081/f', false],
    ['fe80::/10', 'http://[fe80::1]/f', true],
    ['::1', 'http://[::2]/f', false],
    ['10.0.0.0/8', 'http://10.1.2.3/f', true],
    ['10.0.0.0/8', 'http://11.0.0.1/f', false],
    // An IP host is never matched by a name's tail; an address is not its neighbour.
    ['0.1', 'http://10.0.0.1/f', false],
    ['127.0.0.1', 'http://127.0.0.10/f', false],
    // A final dot is no part of a name, on either side; ports as written.
    ['example.com.', 'http://example.com/f', true],
    ['example.com', 'http://example.com./f', true],
    ['example.com:8080', 'http://example.com:8080/f', true],
    ['example.com:8080', 'http://example.com/f', false],
    ['example.com:443', 'https://example.com/f', true],
    ['', 'http://example.com/f', false],
    ['*', 'http://anything.test/f', true],
  ] as const)("NO_PROXY %j and %s: direct is %s (curl's rules)", (noProxy, url, direct) => {
    expect(bypassesProxy(new URL(url), noProxy)).toBe(direct);
  });

  it('R37, R30: HTTP_PROXY in upper case is not read when REQUEST_METHOD is set (httpoxy); lower case, HTTPS_PROXY and ALL_PROXY are', () => {
    const cgi = { REQUEST_METHOD: 'GET', HTTP_PROXY: 'http://evil.test:1' };
    expect(environmentProxy(cgi, 'http')).toBe('');
    expect(environmentProxy({ HTTP_PROXY: 'http://upper.test:1' }, 'http')).toBe('http://upper.test:1');
    expect(environmentProxy({ ...cgi, http_proxy: 'http://mine.test:2' }, 'http')).toBe('http://mine.test:2');
    expect(environmentProxy({ ...cgi, ALL_PROXY: 'http://all.test:3' }, 'http')).toBe('http://all.test:3');
    expect(environmentProxy({ ...cgi, HTTPS_PROXY: 'http://tls.test:4' }, 'https')).toBe('http://tls.test:4');
    const routed = new ProxyRoutes({}, cgi).routeFor(new URL('http://origin.test/f'));
    expect(routed).toEqual(E.right(null));
  });

  it("with no setting the environment decides, lower case first; a setting replaces it, a proxy given keeps no_proxy; --proxy '' is none", () => {
    process.env.https_proxy = 'http://lower.test:1';
    process.env.HTTPS_PROXY = 'http://upper.test:2';
    process.env.NO_PROXY = 'direct.test';
    const route = (settings: ConstructorParameters<typeof ProxyRoutes>[0], url: string) => {
      const chosen = new ProxyRoutes(settings).routeFor(new URL(url));
      return E.isRight(chosen) ? (chosen.right?.shown ?? null) : 'refused';
    };
    expect(route({}, 'https://far.test/f')).toBe('http://lower.test:1');
    expect(route({}, 'https://direct.test/f')).toBeNull();
    expect(route({ noProxy: '' }, 'https://direct.test/f')).toBe('http://lower.test:1');
    // A proxy given keeps NO_PROXY's hosts direct (curl's -x does); a noProxy given, '' too, replaces NO_PROXY.
    expect(route({ proxy: 'mine.test' }, 'https://far.test/f')).toBe('http://mine.test:1080');
    expect(route({ proxy: 'mine.test' }, 'https://direct.test/f')).toBeNull();
    expect(route({ proxy: 'mine.test', noProxy: '' }, 'https://direct.test/f')).toBe('http://mine.test:1080');
    expect(route({ proxy: 'mine.test', noProxy: 'far.test' }, 'https://far.test/f')).toBeNull();
    process.env.no_proxy = 'other.test';
    expect(route({ proxy: 'mine.test' }, 'https://other.test/f')).toBeNull();
    expect(route({ proxy: 'mine.test' }, 'https://direct.test/f')).toBe('http://mine.test:1080');
    expect(route({ proxy: '' }, 'https://far.test/f')).toBeNull();
    expect(route({ proxy: 'https://tls.test' }, 'https://far.test/f')).toBe('refused');
  });

  it('R37: a proxy URL keeps its port as written (:80 too) and shows no credentials; they become Basic', () => {
    const endpoint = parseProxyUrl('http://us%65r:p%40ss@proxy.test:80');
    expect(endpoint).toEqual(
      E.right({
        host: 'proxy.test',
        port: 80,
        authorization: `Basic ${Buffer.from('user:p@ss').toString('base64')}`,
        shown: 'http://proxy.test:80',
      }),
    );
    expect(parseProxyUrl('http://[::1]')).toMatchObject(
      E.right({ host: '::1', port: 1080, shown: 'http://[::1]:1080' }),
    );
  });

  it('R37: a proxy URL without a scheme is http, and its password is never shown, refused or not', () => {
    expect(parseProxyUrl('my_user:S3CRET@127.0.0.1:13003')).toMatchObject(
      E.right({ host: '127.0.0.1', port: 13003, shown: 'http://127.0.0.1:13003' }),
    );
    for (const bad of [
      'my_user:S3CRET@127.0.0.1:99999',
      'my_user:S3%zzCRET@127.0.0.1:1',
      '9u:S3CRET@h/#x@y',
    ]) {
      const refused = parseProxyUrl(bad);
      expect(E.isLeft(refused)).toBe(true);
      expect(JSON.stringify(refused)).not.toContain('S3');
    }
    // The environment's value without a scheme is http's too, as curl reads it.
    const route = new ProxyRoutes({}, { HTTPS_PROXY: 'proxy.test:3128' }).routeFor(
      new URL('https://o.test/f'),
    );
    expect(route).toMatchObject(E.right({ host: 'proxy.test', port: 3128, shown: 'http://proxy.test:3128' }));
  });

  it('R37: a proxy URL that does not parse because its password holds an unencoded # or / is refused without it', () => {
    for (const bad of [
      'http://u:se#cret@127.0.0.1:1/',
      'http://u:se/cret@127.0.0.1:1/',
      // Digits before the # parse as a port: host u, port 2024.
      'http://u:2024#cret@127.0.0.1:1/',
      'http://u:2024/cret@127.0.0.1:1/',
    ]) {
      const refused = parseProxyUrl(bad);
      expect(refused).toMatchObject(E.left({ _tag: 'ProxyRefused', proxy: 'http://…@127.0.0.1:1/' }));
      expect(JSON.stringify(refused)).not.toContain('cret');
    }
  });
});
