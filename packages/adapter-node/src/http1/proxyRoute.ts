import { BlockList, isIP } from 'node:net';
import { URL } from 'node:url';
import type { ProxyFailure } from '@rdl/core';
import { basicAuthorization, splitUserinfo, unparsedUrlShown, withoutUserinfo } from '@rdl/core/rules';
import * as E from 'fp-ts/lib/Either.js';

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
   * proxy variables of the environment are not read, but `no_proxy` is (as curl's `-x`). Default: `http_proxy` /
   * `https_proxy` / `all_proxy` (lower case first, then upper case; `HTTP_PROXY` not when `REQUEST_METHOD` is set).
   */
  readonly proxy?: string | undefined;
  /**
   * Hosts reached directly, as `NO_PROXY` writes them (`bypassesProxy`: `*` for all; names, IP addresses, CIDR
   * ranges, `host:port`, separated by commas or spaces), in place of `no_proxy` / `NO_PROXY`. Default: those variables.
   */
  readonly noProxy?: string | undefined;
}

/** Where a request goes: straight to its origin (`null`), through a proxy, or nowhere (a proxy URL rdl cannot use). */
export type ProxyRoute = E.Either<ProxyFailure, ProxyEndpoint | null>;

const DEFAULT_PROXY_PORT = 1080;

/**
 * Chooses the proxy of each URL, as curl does: the proxy variable of the URL's scheme (`environmentProxy`), or the
 * `proxy` given, unless the URL's host is on the `NO_PROXY` list (`bypassesProxy`: `no_proxy`, or the `noProxy`
 * given). A `proxy` given replaces the proxy variables but not `no_proxy`, as curl's `-x` does. The environment is
 * the one given (a library must not change `process.env`). Proxy URLs are parsed once each.
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

/** `no_proxy` in `env`, lower case first; `''` when neither is set. */
const environmentNoProxy = (env: NodeJS.ProcessEnv): string => env.no_proxy || env.NO_PROXY || '';

/**
 * The proxy variable of `scheme` in `env`, lower case first, then `all_proxy`; `''` for none. `HTTP_PROXY` in upper
 * case is not read when `REQUEST_METHOD` is set: a CGI program gets a request's `Proxy:` header as `HTTP_PROXY`, so a
 * client could send its downloads, cookies and credentials through a proxy of its choosing (httpoxy; Go and Python
 * skip it so, curl never reads it).
 */
export const environmentProxy = (env: NodeJS.ProcessEnv, scheme: string): string => {
  const read = (name: string): string => {
    const upper = name.toUpperCase();
    const cgi = upper === 'HTTP_PROXY' && env.REQUEST_METHOD !== undefined;
    return env[name.toLowerCase()] || (cgi ? '' : env[upper]) || '';
  };
  return read(`${scheme}_proxy`) || read('all_proxy');
};

/**
 * Whether `url` is reached directly under the `NO_PROXY` list `list` (curl's rules), entries between commas or white
 * space, case aside:
 * - `*` alone matches every host;
 * - a name matches that host and every host under it (`example.com`: `example.com`, `www.example.com`, not
 *   `notexample.com`); a leading `.` or `*.` says the same; a final `.` is no part of a name, in the list or the URL;
 * - an IP address (IPv6 with or without brackets) matches that address, however it is written, and `address/bits`
 *   (CIDR) the addresses of that range; an IP host is never matched by a name's tail;
 * - `entry:port` (`[v6]:port` for IPv6) matches only URLs of that port (the scheme's default when the URL has none).
 */
export const bypassesProxy = (url: URL, list: string): boolean => {
  const entries = list.toLowerCase().trim();
  if (entries === '*') return true;
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');
  const family = isIP(host);
  const port = Number(url.port) || (url.protocol === 'https:' ? 443 : 80);
  return entries.split(/[,\s]/).some((entry) => {
    const { name, entryPort } = entryParts(entry);
    if (name === '' || (entryPort !== null && entryPort !== port)) return false;
    if (family !== 0) return addressMatches(host, family, name);
    const domain = name.replace(/^\*?\./, '');
    return domain !== '' && (host === domain || host.endsWith(`.${domain}`));
  });
};

/** A `NO_PROXY` entry's name (without brackets or a final dot) and port: one only after `]`, or a single `:`. */
const entryParts = (entry: string): { name: string; entryPort: number | null } => {
  const bracketed = /^\[([^\]]*)\](?::(\d+))?$/.exec(entry);
  const named = bracketed === null ? /^([^:]+):(\d+)$/.exec(entry) : null;
  const name = bracketed?.[1] ?? named?.[1] ?? entry;
  const written = bracketed?.[2] ?? named?.[2];
  return { name: name.replace(/\.$/, ''), entryPort: written === undefined ? null : Number(written) };
};

/** Whether the address `host` (of IP `family` 4 or 6) is the entry's address, or in its `address/bits` range. */
const addressMatches = (host: string, family: number, entry: string): boolean => {
  const cidr = /^([^/]+)\/(\d{1,3})$/.exec(entry);
  const address = cidr?.[1] ?? entry;
  const type = family === 6 ? 'ipv6' : 'ipv4';
  if (isIP(address) !== family) return false;
  const bits = cidr === null ? (family === 6 ? 128 : 32) : Number(cidr[2]);
  if (bits > (family === 6 ? 128 : 32)) return false;
  const range = new BlockList();
  range.addSubnet(address, bits, type);
  return range.check(host, type);
};

/** `http://[user:password@]host[:port]` as an endpoint, or why it cannot be one (shown without its password). */
export const parseProxyUrl = (proxyUrl: string): ProxyRoute => {
  // A value without a scheme is http's (curl's rule), and its userinfo is found only once the scheme is there.
  const withScheme = proxyUrl.includes('://') ? proxyUrl : `http://${proxyUrl}`;
  // A password holding an unencoded `#` or `/` ends the authority early, so the URL does not parse (R37).
  const shown = unparsedUrlShown(withScheme);
  const refused = (message: string): ProxyRoute =>
    E.left({ _tag: 'ProxyRefused', proxy: shown, reason: 'invalid', status: null, message });
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
