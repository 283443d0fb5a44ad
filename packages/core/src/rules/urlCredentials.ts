import * as E from 'fp-ts/lib/Either.js';
import { parseUrl } from '../model/url.js';
import { type Closers, closersAt, stringDepthAt } from './urlQuoting.js';

/**
 * Where a URL's authority starts: after `scheme:` and its slashes, or after the `//` of a scheme-relative reference
 * (`//user:pass@host/x`, a `Location` a server may send).
 */
const AUTHORITY_START = /^\s*(?:[a-zA-Z][a-zA-Z\d+.-]*:[/\\]*|[/\\]{2,})/;

/**
 * The userinfo of a URL's authority: after `AUTHORITY_START`, everything up to the last `@` before the first `/`,
 * `\`, `?` or `#` (where WHATWG's parser ends the authority too).
 */
const USERINFO = new RegExp(`(${AUTHORITY_START.source})[^/\\\\?#]*@`);

/**
 * `text` without the `user:password@` of its authority, whether it parses as a URL or not (R37): what rdl requests,
 * stores in a checkpoint and prints, so that a password in a URL is never written to disk or a terminal.
 */
export const withoutUserinfo = (text: string): string => text.replace(USERINFO, '$1');

/**
 * `text` as a message may quote it once it did not parse as a URL (R37): `withoutUserinfo`, and when an `@` still
 * follows `scheme://` (or the `//` of a scheme-relative reference), all before the last `@` hidden: a password
 * holding an unencoded `#`, `/` or `?` ends the authority early for the parser and for `withoutUserinfo` alike
 * (`http://u:p#ss@host/` would show `p#ss`).
 */
export const unparsedUrlShown = (text: string): string => {
  const bare = withoutUserinfo(text);
  const scheme = AUTHORITY_START.exec(bare);
  if (scheme === null) return bare;
  const at = bare.lastIndexOf('@');
  return at < scheme[0].length ? bare : `${scheme[0]}…${bare.slice(at)}`;
};

/**
 * A scheme and its `:` in a line of text, looked for only where a run of scheme characters (RFC 3986: letters,
 * digits, `+`, `-`, `.`) begins: a pattern tried from each letter of a long run went through the rest of it each
 * time, and 64 KiB of letters in a hostile header took 8 s to print. The scheme itself is from the run's first letter
 * (`schemeStart`).
 */
export const SCHEME_RUN = String.raw`(?<![a-z\d+.-])[a-z\d+.-]*:`;

/** Where the scheme begins in `found`, which starts with a `SCHEME_RUN`: its first letter, -1 when none is before the `:`. */
export const schemeStart = (found: string): number => {
  const letter = found.search(/[a-z]/i);
  return letter !== -1 && letter < found.indexOf(':') ? letter : -1;
};

/**
 * Where a line of text quotes a URL's userinfo: `scheme://` (or the `//` of a scheme-relative reference starting a
 * word, after a quote, a bracket, `=` or `,`), then either a user (no `/`, `\`, `?`, `#`, `:`, `"`, `<`, `>`, `[`,
 * `]`), its `:` and a password running to the last `@` of the word (whitespace ends it), or a userinfo without a
 * password, to the last `@` before the path (`bareUserinfoEnd`). A password may hold a raw `#`, `/`, `?`,
 * `@` or a quote, and the host is after the last `@` (curl's and WHATWG's reading of `user:p@ss@host`); so a host
 * and port followed by an `@` in the same word (`http://localhost:4873/@scope/pkg`) cannot be told from one and is
 * hidden too: the cost of never printing a password.
 */
const AUTHORITY_IN_TEXT = new RegExp(`(?:${SCHEME_RUN}|(?<![^\\s"'\`(<[{=,]))[/\\\\]{2,}`, 'gi');
/** A user and its `:`, from just after the `//`: a password follows, to the last `@` of the word. */
const USER_AND_COLON = /[^\s/\\?#:"<>[\]]*:/y;
const WHITESPACE = /\s/g;
/** What ends a URL's authority for WHATWG's parser (a quote does not), and whitespace, which ends a word of text. */
const ENDS_AUTHORITY = /[\s/\\?#]/;

/**
 * The end of a userinfo without a password that starts at `from`: just after the last `@` before the authority ends
 * as WHATWG's parser ends it (`ENDS_AUTHORITY`) or the URL is closed (`closers`); -1 when there is none. A quote, `<`
 * and `>` do not end an authority (`https://ghp_ab'cd@host/x`: a token as the user name, as GitHub takes one), but
 * one closing the string the URL is in ends the URL (`closers`): `"https://h","b":"x@y"` keeps its `@`, which is
 * another string's.
 */
const bareUserinfoEnd = (text: string, from: number, closers: Closers): number => {
  let end = -1;
  for (let i = from; i < text.length; i += 1) {
    const char = text[i] ?? '';
    if (char === '@') end = i + 1;
    else if (char === '\\') {
      let quote = i;
      while (text[quote] === '\\') quote += 1;
      if (quote - i !== closers.get(text[quote] ?? '')) return end;
      i = quote;
    } else if (closers.has(char) || ENDS_AUTHORITY.test(char)) return end;
  }
  return end;
};

/**
 * `text` (a message, a line another program wrote) with the userinfo of every URL it quotes hidden as
 * `unparsedUrlShown` hides it (R37): `https://bob:hunter2@host/x` reads `https://host/x`, and one whose password
 * holds what ends an authority early (`https://bob:hunter#2@host/x`) reads `https://…@host/x`. Text without a
 * userinfo after a `//` is returned as it is.
 *
 * In one pass, in time linear in the text: each word's end and last `@` are found once, however many `//` it holds
 * (one pattern running to the last `@` of the word from each of them took a second for 64 KiB of `//a:`, and the
 * text may be a hostile server's header); a userinfo without a password is read no further than the next `/` or `\`,
 * before the next `//`, and the JSON strings each URL is in are read once from the text's start.
 */
export const withoutUserinfoInText = (text: string): string => {
  let shown = '';
  let copied = 0;
  let wordEnd = -1;
  let lastAt = -1;
  const depth = stringDepthAt(text);
  AUTHORITY_IN_TEXT.lastIndex = 0;
  for (let found = AUTHORITY_IN_TEXT.exec(text); found !== null; found = AUTHORITY_IN_TEXT.exec(text)) {
    const from = found.index + found[0].length;
    const scheme = found[0].startsWith('/') || found[0].startsWith('\\') ? 0 : schemeStart(found[0]);
    // Digits and dots before `://` make no scheme, and the slashes after its `:` start no reference of their own.
    if (scheme === -1) continue;
    const start = found.index + scheme;
    if (from > wordEnd) {
      WHITESPACE.lastIndex = from;
      wordEnd = WHITESPACE.exec(text)?.index ?? text.length;
      // Looked for back to this `//` only: `lastIndexOf` would go on to the text's start for each word without an
      // `@` (64 KiB of ' //' took 0.4 s, 256 KiB 7 s).
      lastAt = wordEnd - 1;
      while (lastAt >= from && text[lastAt] !== '@') lastAt -= 1;
      if (lastAt < from) lastAt = -1;
    }
    let end = -1;
    // `//\"` in a JSON string is `//"`: its `\` escapes a quote of the userinfo, no slash, and is hidden with it.
    let slashes = from;
    USER_AND_COLON.lastIndex = from;
    if (USER_AND_COLON.test(text) && lastAt >= USER_AND_COLON.lastIndex) end = lastAt + 1;
    else {
      const closers = closersAt(text, start, depth(start));
      const escapes = closers.get(text[from] ?? '') ?? 0;
      if (escapes > 0 && found[0].endsWith('\\'.repeat(escapes))) slashes = from - escapes;
      end = bareUserinfoEnd(text, slashes, closers);
    }
    if (end === -1) continue;
    const url =
      slashes === from ? unparsedUrlShown(text.slice(start, end)) : `${text.slice(start, slashes)}…@`;
    shown += text.slice(copied, start) + url;
    copied = end;
    AUTHORITY_IN_TEXT.lastIndex = end;
  }
  return copied === 0 ? text : shown + text.slice(copied);
};

/** A URL with its credentials taken out (R37). */
export interface SplitUrl {
  /** The URL as given, without its userinfo. */
  readonly url: string;
  /** `user:password`, percent-decoded as curl does; `null` when the URL had no userinfo. */
  readonly credentials: string | null;
}

/**
 * Splits the userinfo off an absolute URL. `Left` with a reason that never quotes the password when the userinfo is
 * not valid percent-encoding.
 */
export const splitUserinfo = (url: string): E.Either<string, SplitUrl> => {
  const parsed = parseUrl(url);
  const bare = withoutUserinfo(url);
  if (parsed === null || (parsed.username === '' && parsed.password === '')) {
    return E.right({ url: bare, credentials: null });
  }
  try {
    const user = decodeURIComponent(parsed.username);
    const password = decodeURIComponent(parsed.password);
    return E.right({ url: bare, credentials: `${user}:${password}` });
  } catch {
    return E.left('the user or password in the URL is not valid percent-encoding');
  }
};

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** The UTF-8 bytes of `text` (core has no TextEncoder in ES2022). */
const utf8 = (text: string): number[] => {
  const bytes: number[] = [];
  const encoded = encodeURIComponent(text);
  for (let i = 0; i < encoded.length; i += 1) {
    if (encoded[i] === '%') {
      bytes.push(Number.parseInt(encoded.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(encoded.charCodeAt(i));
  }
  return bytes;
};

const base64 = (bytes: readonly number[]): string => {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const [a = 0, b = 0, c = 0] = [bytes[i], bytes[i + 1], bytes[i + 2]];
    const n = (a << 16) | (b << 8) | c;
    out += BASE64[(n >> 18) & 63]! + BASE64[(n >> 12) & 63]!;
    out += i + 1 < bytes.length ? BASE64[(n >> 6) & 63]! : '=';
    out += i + 2 < bytes.length ? BASE64[n & 63]! : '=';
  }
  return out;
};

/** The `Authorization` value of HTTP Basic (RFC 7617) for `user:password`, UTF-8 as curl sends it. */
export const basicAuthorization = (credentials: string): string => `Basic ${base64(utf8(credentials))}`;
