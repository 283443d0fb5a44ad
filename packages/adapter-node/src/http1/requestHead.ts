import type { URL } from 'node:url';
import type { HeaderMap } from '@rdl/core';
import type { ProxyEndpoint } from './proxyRoute.js';

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Visible ASCII, space, tab and obs-text: what node:http lets through too. CR, LF and NUL never. */
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** The `user-agent` of a request whose caller gave none. */
export const DEFAULT_USER_AGENT = 'rdl';

/** The head of a request as it goes on the wire, or why it cannot be sent. */
export type RequestHead =
  | { readonly _tag: 'Head'; readonly bytes: Buffer }
  | { readonly _tag: 'Invalid'; readonly message: string };

/**
 * `METHOD path?query HTTP/1.1` (through `proxy`, the absolute form `METHOD http://host:port/path?query HTTP/1.1`
 * that a proxy wants, RFC 9112 §3.2.2, with its `proxy-authorization` unless the caller gave one: only an http URL
 * goes this way, an https one goes through a tunnel), then `Host` (from the URL, port included when not the default; RFC 9112 §3.2 wants
 * it first), then the caller's fields verbatim, then `user-agent: <userAgent>` (`rdl`) unless the caller gave one or
 * `userAgent` is `null` (curl's `-A ''`: none at all). Nothing else:
 * no `Accept-Encoding` (core asks for identity, R5), no `Connection` (HTTP/1.1 keeps alive by default). A field
 * whose name is not a token, or whose value holds CR, LF, NUL or another control character, is refused: it would
 * let a caller's string split the request (header injection).
 */
export const requestHeadOf = (
  method: 'GET' | 'HEAD',
  url: URL,
  headers: HeaderMap,
  proxy: ProxyEndpoint | null = null,
  userAgent: string | null = DEFAULT_USER_AGENT,
): RequestHead => {
  const origin = proxy === null ? '' : `${url.protocol}//${url.host}`;
  let text = `${method} ${origin}${url.pathname}${url.search} HTTP/1.1\r\n`;
  const given = new Set(Object.keys(headers).map((name) => name.toLowerCase()));
  if (!given.has('host')) text += `host: ${url.host}\r\n`;
  if (proxy !== null && proxy.authorization !== null && !given.has('proxy-authorization')) {
    text += `proxy-authorization: ${proxy.authorization}\r\n`;
  }
  for (const [name, value] of Object.entries(headers)) {
    if (!TOKEN.test(name)) return invalid(`invalid request header name ${JSON.stringify(name)}`);
    if (!FIELD_VALUE.test(value)) return invalid(`invalid character in the value of request header ${name}`);
    text += `${name}: ${value}\r\n`;
  }
  if (!given.has('user-agent') && userAgent !== null) text += `user-agent: ${userAgent}\r\n`;
  return { _tag: 'Head', bytes: Buffer.from(`${text}\r\n`, 'latin1') };
};

const invalid = (message: string): RequestHead => ({ _tag: 'Invalid', message });
