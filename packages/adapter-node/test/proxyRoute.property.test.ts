import { URL } from 'node:url';
import fc from 'fast-check';
import * as E from 'fp-ts/lib/Either.js';
import { getProxyForUrl } from 'proxy-from-env';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bypassesProxy, ProxyRoutes, parseProxyUrl } from '../src/http1/proxyRoute.js';

const names = ['no_proxy', 'http_proxy', 'https_proxy', 'all_proxy'];
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

describe('the NO_PROXY rules', () => {
  it('a noProxy list given as an option is matched as proxy-from-env matches the same list in no_proxy', () => {
    fc.assert(
      fc.property(fc.constantFrom('http', 'https'), host, port, list, (scheme, name, p, noProxy) => {
        // A last label all digits must make an IPv4 address (WHATWG URL): other such hosts are no URL at all.
        fc.pre(URL.canParse(`${scheme}://${name}${p}/f`));
        const url = new URL(`${scheme}://${name}${p}/f`);
        process.env.http_proxy = 'http://proxy.test:3128';
        process.env.https_proxy = 'http://proxy.test:3128';
        process.env.no_proxy = noProxy;
        expect(bypassesProxy(url, noProxy)).toBe(getProxyForUrl(url.href) === '');
      }),
      { numRuns: 2_000 },
    );
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
