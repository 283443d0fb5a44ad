import { URL } from 'node:url';
import type { ProxyFailure } from '@rdl/core';
import { basicAuthorization, splitUserinfo, unparsedUrlShown, withoutUserinfo } from '@rdl/core/rules';
import * as E from 'fp-ts/lib/Either.js';
import { getProxyForUrl } from 'proxy-from-env';

/** A proxy that a request goes through. `host` is a name or a bare IP (no brackets). */
export interface ProxyEndpoint {
  readonly host: string;
  readonly port: number;
  /** `Basic …` for `Proxy-Authorization`, from the proxy URL's `user:password` (percent-decoded); `null` without. */
  readonly authorization: string | null;
  /** The proxy's URL without its userinfo: what messages show (R37) and what keys its connections. */
  readonly shown: string;
}

/** What the caller said about proxies; each field left out is read from the environment. */
export interface ProxySettings {
  /**
   * The proxy for every request but those to the hosts of `noProxy`, `http://[user:password@]host[:port]` (port
   * 1080 when left out, as curl's); `''` for none, whatever the environment says (curl's `--proxy ''`). Given, the
   * proxy variables of the environment are not read, but `no_proxy` is (as curl's `-x`). Default: `http_proxy` / `https_proxy` / `all_proxy` (lower case first, then upper case).
   */
  readonly proxy?: string | undefined;
  /**
   * Hosts reached directly, as `NO_PROXY` writes them (`*` for all; `host`, `.domain`, `*.domain`, `host:port`,
   * separated by commas or spaces), in place of `no_proxy` / `NO_PROXY`. Default: those variables.
   */
  readonly noProxy?: string | undefined;
}

/** Where a request goes: straight to its origin (`null`), through a proxy, or nowhere (a proxy URL rdl cannot use). */
export type ProxyRoute = E.Either<ProxyFailure, ProxyEndpoint | null>;

const DEFAULT_PROXY_PORT = 1080;

/**
 * Chooses the proxy of each URL. With neither setting, the environment decides through `proxy-from-env` (the rules
 * of curl, wget and undici: `<scheme>_proxy` lower case before upper case, `all_proxy` after, `no_proxy`). A
 * `noProxy` given replaces `no_proxy`, matched by `bypassesProxy`, which keeps `proxy-from-env`'s rules (a test
 * compares the two on random hosts and lists): that package reads only `process.env`, which a library must not
 * change. A `proxy` given replaces the proxy variables but not `no_proxy`, as curl's `-x` does. Proxy URLs are
 * parsed once each.
 */
export class ProxyRoutes {
  readonly #settings: ProxySettings;
  readonly #env: NodeJS.ProcessEnv;
  readonly #parsed = new Map<string, ProxyRoute>();

  constructor(settings: ProxySettings = {}, env: NodeJS.ProcessEnv = process.env) {
    this.#settings = settings;
    this.#env = env;
  }

  routeFor(url: URL): ProxyRoute {
    const { proxy, noProxy } = this.#settings;
    if (proxy === '') return E.right(null);
    if (proxy === undefined && noProxy === undefined) return this.#endpoint(getProxyForUrl(url.href));
    const chosen = proxy ?? environmentProxy(this.#env, url.protocol.slice(0, -1));
    // A proxy given still leaves the hosts of `no_proxy` direct, as curl's `-x` does; a `noProxy` given replaces it.
    if (chosen === '' || bypassesProxy(url, noProxy ?? environmentNoProxy(this.#env))) return E.right(null);
    return this.#endpoint(chosen);
  }

  #endpoint(proxyUrl: string): ProxyRoute {
    if (proxyUrl === '') return E.right(null);
    let route = this.#parsed.get(proxyUrl);
    if (route === undefined) {
      route = parseProxyUrl(proxyUrl);
      this.#parsed.set(proxyUrl, route);
    }
    return route;
  }
}

/** `no_proxy` in `env`, lower case first (as `proxy-from-env` reads it); `''` when neither is set. */
const environmentNoProxy = (env: NodeJS.ProcessEnv): string => env.no_proxy || env.NO_PROXY || '';

/** The proxy variable of `scheme` in `env`, lower case first, then `all_proxy`; a value with no scheme gets it. */
const environmentProxy = (env: NodeJS.ProcessEnv, scheme: string): string => {
  const read = (name: string): string => env[name.toLowerCase()] || env[name.toUpperCase()] || '';
  const value = read(`${scheme}_proxy`) || read('all_proxy');
  return value === '' || value.includes('://') ? value : `${scheme}://${value}`;
};

/**
 * Whether `url` is reached directly under the `NO_PROXY` list `list`: `*` alone matches every host; otherwise an
 * entry (commas or white space between them) matches when its port, if it has one, is the URL's (the scheme's
 * default when the URL has none) and its host is the URL's, or, for an entry that starts with `.` or `*`, ends it.
 */
export const bypassesProxy = (url: URL, list: string): boolean => {
  const entries = list.toLowerCase();
  if (entries === '*') return true;
  // The host as `URL.host` writes it, brackets of IPv6 kept, less the port.
  const host = url.host.replace(/:\d*$/, '');
  const port = Number(url.port) || (url.protocol === 'https:' ? 443 : 80);
  return entries.split(/[,\s]/).some((entry) => {
    if (entry === '') return false;
    const withPort = /^(.+):(\d+)$/.exec(entry);
    const name = withPort?.[1] ?? entry;
    const entryPort = withPort === null ? 0 : Number(withPort[2]);
    if (entryPort !== 0 && entryPort !== port) return false;
    return /^[.*]/.test(name) ? host.endsWith(name.replace(/^\*/, '')) : host === name;
  });
};

/** `http://[user:password@]host[:port]` as an endpoint, or why it cannot be one (shown without its password). */
export const parseProxyUrl = (proxyUrl: string): ProxyRoute => {
  // A password holding an unencoded `#` or `/` ends the authority early, so the URL does not parse (R37).
  const shown = unparsedUrlShown(proxyUrl);
  const refused = (message: string): ProxyRoute =>
    E.left({ _tag: 'ProxyRefused', proxy: shown, reason: 'invalid', status: null, message });
  const withScheme = proxyUrl.includes('://') ? proxyUrl : `http://${proxyUrl}`;
  const url = URL.canParse(withScheme) ? new URL(withScheme) : null;
  if (url === null || url.hostname === '') return refused('not a proxy URL');
  // An `@` past where the authority ended: a password holding an unencoded `#`, `/` or `?` (`alice:2024#Pw@host`
  // parses as host alice, port 2024), never a proxy's path. Refused, its password not shown (R37).
  const afterScheme = withScheme.slice(withScheme.indexOf('://') + 3);
  const authorityEnd = afterScheme.search(/[/\\?#]/);
  if (authorityEnd >= 0 && afterScheme.indexOf('@', authorityEnd) >= 0)
    return refused('not a proxy URL (a # / or ? in its password must be percent-encoded)');
  if (url.protocol !== 'http:') {
    return refused(`${url.protocol}// proxies are not supported (rdl speaks to a proxy in plain http://)`);
  }
  const split = splitUserinfo(withScheme);
  if (E.isLeft(split)) return refused(split.left);
  // `URL` drops a port that is the scheme's default (`:80`), which a proxy URL means as written.
  const written = /^[^/]*\/\/[^/?#]*:(\d+)(?:[/?#]|$)/.exec(withoutUserinfo(withScheme))?.[1];
  const port = Number(written ?? url.port) || DEFAULT_PROXY_PORT;
  return E.right({
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port,
    authorization: split.right.credentials === null ? null : basicAuthorization(split.right.credentials),
    shown: `http://${url.host.replace(/:\d*$/, '')}:${port}`,
  });
};
