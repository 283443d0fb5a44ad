import { isIP } from 'node:net';
import type { URL } from 'node:url';
import * as E from 'fp-ts/lib/Either.js';

/** One cookie of a cookie file (curl's `-b file`), as its line gives it. */
export interface FileCookie {
  /** Lower case, without a leading dot. */
  readonly domain: string;
  /** Sent to the hosts under `domain` too (the file's `TRUE`, or a domain written with a leading dot). */
  readonly includeSubdomains: boolean;
  readonly path: string;
  /** Sent over https only. */
  readonly secure: boolean;
  /** Seconds since the epoch past which it is not sent; `null`: a session cookie (the file's 0), always sent. */
  readonly expires: number | null;
  readonly name: string;
  readonly value: string;
}

/** Why a line of a cookie file cannot be used: its number (from 1) and what is wrong, never its values. */
export interface CookieFileProblem {
  readonly line: number;
  readonly message: string;
}

/** Visible ASCII and space: what a `Cookie` field carries, no CR, LF, tab or other control character. */
const PRINTABLE = /^[\x20-\x7e]*$/;
const FIELDS = 'domain, include-subdomains, path, secure, expiry, name, value';

const flag = (text: string): boolean | null => {
  const upper = text.toUpperCase();
  return upper === 'TRUE' ? true : upper === 'FALSE' ? false : null;
};

/** One line's cookie, or what is wrong with it (no value of it quoted: a cookie is a secret, R37). */
const cookieOfLine = (line: string): FileCookie | string => {
  const fields = line.split('\t');
  // curl reads a line without its last tab as a cookie of empty value.
  if (fields.length === 6) fields.push('');
  if (fields.length !== 7) return `expected 7 fields separated by tabs (${FIELDS}), got ${fields.length}`;
  const [rawDomain, subdomains, path, secure, expiry, name, value] = fields as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const domain = rawDomain.trim().toLowerCase().replace(/^\./, '');
  if (domain === '' || !/^[a-z0-9.:_[\]-]+$/.test(domain))
    return 'the domain is empty or not a host name (letters, digits, dots, hyphens)';
  const includeSubdomains = flag(subdomains.trim());
  if (includeSubdomains === null) return 'the include-subdomains field is neither TRUE nor FALSE';
  if (!path.startsWith('/') || !PRINTABLE.test(path)) return 'the path does not start with /';
  const isSecure = flag(secure.trim());
  if (isSecure === null) return 'the secure field is neither TRUE nor FALSE';
  if (!/^\s*-?\d+(\.\d+)?\s*$/.test(expiry)) return 'the expiry is not a number of seconds';
  const seconds = Number(expiry);
  if (name === '') return 'the cookie has no name';
  if (!PRINTABLE.test(name) || /[;= ]/.test(name))
    return 'the name holds a control, non-ASCII, space, ; or = character';
  if (!PRINTABLE.test(value) || value.includes(';'))
    return 'the value holds a control, non-ASCII or ; character';
  return {
    domain: domain.replace(/^\[(.*)\]$/, '$1'),
    includeSubdomains: includeSubdomains || rawDomain.trim().startsWith('.'),
    path,
    secure: isSecure,
    expires: seconds <= 0 ? null : seconds,
    name,
    value,
  };
};

/**
 * A cookie file in the Netscape format that curl's `-c` and browsers' export extensions write: one cookie a line,
 * seven fields separated by tabs (domain, include-subdomains `TRUE`/`FALSE`, path, secure `TRUE`/`FALSE`, expiry in
 * seconds since the epoch, 0 for a session cookie, name, value), a domain prefixed `#HttpOnly_` for an HttpOnly
 * cookie; other lines starting with `#` and blank lines are skipped. The first line that cannot be used is the
 * answer, by its number: the file is the user's, and one misread line would send the wrong cookies.
 */
export const parseCookieFile = (text: string): E.Either<CookieFileProblem, readonly FileCookie[]> => {
  const cookies: FileCookie[] = [];
  // A byte-order mark some Windows tools write before the first line is no part of its domain.
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  for (const [index, raw] of lines.entries()) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') continue;
    const httpOnly = line.startsWith('#HttpOnly_');
    if (line.startsWith('#') && !httpOnly) continue;
    const cookie = cookieOfLine(httpOnly ? line.slice('#HttpOnly_'.length) : line);
    if (typeof cookie === 'string') return E.left({ line: index + 1, message: cookie });
    cookies.push(cookie);
  }
  return E.right(cookies);
};

/** RFC 6265 §5.1.4: `cookiePath` is `requestPath` or a prefix of it that ends at a `/`. */
const pathMatches = (cookiePath: string, requestPath: string): boolean =>
  requestPath === cookiePath ||
  (requestPath.startsWith(cookiePath) &&
    (cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/'));

/**
 * The cookies of a cookie file, each sent where a browser would send it: to a request whose host is its domain (or
 * under it, when it includes subdomains; never under an IP address), whose path is under its path, over https when
 * it is secure, and until it expires. Indexed by domain, so that a request looks only at the cookies of its host's
 * domains.
 */
export class CookieJar {
  readonly #byDomain = new Map<string, FileCookie[]>();

  constructor(cookies: readonly FileCookie[]) {
    // A cookie of the same domain, path and name given twice: the later line wins, as a browser's jar keeps one.
    const unique = new Map<string, FileCookie>();
    for (const cookie of cookies) unique.set(`${cookie.domain}\t${cookie.path}\t${cookie.name}`, cookie);
    for (const cookie of unique.values()) {
      const list = this.#byDomain.get(cookie.domain);
      if (list === undefined) this.#byDomain.set(cookie.domain, [cookie]);
      else list.push(cookie);
    }
  }

  /** The `Cookie` field for a request to `url` at `nowMs`: `name=value` pairs, longer paths first; `null`: none. */
  headerFor(url: URL, nowMs: number): string | null {
    const host = url.hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1');
    const path = url.pathname === '' ? '/' : url.pathname;
    const https = url.protocol === 'https:';
    const matching: FileCookie[] = [];
    const take = (domain: string, exact: boolean): void => {
      for (const cookie of this.#byDomain.get(domain) ?? []) {
        if (!exact && !cookie.includeSubdomains) continue;
        if (cookie.secure && !https) continue;
        if (cookie.expires !== null && cookie.expires * 1000 <= nowMs) continue;
        if (pathMatches(cookie.path, path)) matching.push(cookie);
      }
    };
    take(host, true);
    if (isIP(host) === 0) {
      for (let dot = host.indexOf('.'); dot >= 0; dot = host.indexOf('.', dot + 1))
        take(host.slice(dot + 1), false);
    }
    if (matching.length === 0) return null;
    matching.sort((a, b) => b.path.length - a.path.length);
    return matching.map((cookie) => `${cookie.name}=${cookie.value}`).join('; ');
  }
}
