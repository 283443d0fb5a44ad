import type { DownloadFailure } from '@rdl/core';
import { basicAuthorization, MAX_TIMER_MS, parseUrl, RESERVED_HEADERS } from '@rdl/core/rules';
import * as E from 'fp-ts/lib/Either.js';
import { quotedValue } from './quotedValue.js';

/**
 * The flags a curl user types for the requests themselves (`-H`, `-u`, `-A`, `-e`, `-k`, `--connect-timeout`) and for
 * the finished file (`-J`, `-R`). Kept apart from args.ts: one field of `CliArgs`, one spread of its options.
 */
export interface ClientFlags {
  /**
   * `-H`, `-A`, `-e` and `-u` as request headers, sent to the origin of the URL only (R17, R37: at another origin only
   * `User-Agent`, `Accept`, `Accept-Language` go on). Default none: rdl sends `user-agent: rdl`.
   */
  readonly headers: Readonly<Record<string, string>>;
  /** `-A ''`: no `User-Agent` at all, not even rdl's, as curl's (`-H 'User-Agent;'` sends it empty). Default off. */
  readonly noUserAgent: boolean;
  /** `-k, --insecure`: certificates are not checked (said on stderr at every run). Default off. */
  readonly insecure: boolean;
  /** `--connect-timeout` in seconds, as milliseconds: TCP connect and TLS handshake. Default none. */
  readonly connectTimeoutMs: number | null;
  /** `-J, --content-disposition`: the file's name from the server's `Content-Disposition`. Default off. */
  readonly contentDisposition: boolean;
  /** `-R, --remote-time`: the finished file's times from `Last-Modified`. Default off. */
  readonly remoteTime: boolean;
}

/** The `parseArgs` options of these flags. */
export const clientOptions = {
  header: { type: 'string', short: 'H', multiple: true },
  user: { type: 'string', short: 'u' },
  'user-agent': { type: 'string', short: 'A' },
  referer: { type: 'string', short: 'e' },
  insecure: { type: 'boolean', short: 'k' },
  'connect-timeout': { type: 'string' },
  'content-disposition': { type: 'boolean', short: 'J' },
  'remote-time': { type: 'boolean', short: 'R' },
} as const;

/** Their lines of `rdl --help`. */
export const clientUsage = `  -H, --header <Name: value>  an extra request header, repeatable; 'Name;' sends it empty. Sent to the URL's
                             origin only (default: none; rdl sends User-Agent: rdl)
  -u, --user <user:pass>     HTTP Basic credentials, sent to the URL's origin only, never printed (default: none)
  -A, --user-agent <text>    the User-Agent header; '' sends none, as curl's (default: rdl)
  -e, --referer <url>        the Referer header, as curl's, sent to the URL's origin only; curl's ;auto is
                             refused (default: none)
  -k, --insecure             do not check certificates; said on stderr at every run (default: checked)
      --connect-timeout <s>  seconds for a TCP connect and TLS handshake, retried as a network error (default:
                             none of its own; --stall-timeout bounds it)
  -J, --content-disposition  name the file from the server's Content-Disposition, else from the URL after
                             redirects; never a path, a dot file or a reserved name; an existing file of another
                             download is kept, and the new one named 'name (1).ext' (default: off)
  -R, --remote-time          give the finished file the server's Last-Modified time (default: off)
`;

/** What `parseArgs` gives for these flags. */
export interface ClientValues {
  readonly header?: string[] | undefined;
  readonly user?: string | undefined;
  readonly 'user-agent'?: string | undefined;
  readonly referer?: string | undefined;
  readonly insecure?: boolean | undefined;
  readonly 'connect-timeout'?: string | undefined;
  readonly 'content-disposition'?: boolean | undefined;
  readonly 'remote-time'?: boolean | undefined;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Visible ASCII, space and tab: no CR, LF, NUL or other control character, nothing a terminal or a server reads otherwise. */
const VISIBLE = /^[\t\x20-\x7e]*$/;

const invalid = (field: string, message: string): DownloadFailure => ({
  _tag: 'InvalidInput',
  field,
  message,
});

/**
 * What a refused `-H` may show of itself (R37): its first word when that reads as a header name (letters, digits
 * and `-`, 40 at most) and more follows, as ` starting "Authorization"`; else nothing. The rest of such a `-H`
 * (`Authorization Bearer TOKEN`, a colon forgotten) is the secret, and a lone word may be the token itself.
 */
const shownStart = (text: string): string => {
  const word = /^\s*([A-Za-z0-9-]{1,40})\s+\S/.exec(text)?.[1];
  return word === undefined ? '' : ` starting "${word}"`;
};

/** One `-H` as curl writes it: `Name: value`, or `Name;` for an empty value. */
const header = (text: string): E.Either<DownloadFailure, readonly [string, string]> => {
  const colon = text.indexOf(':');
  const empty = colon < 0 && text.endsWith(';');
  if (colon < 0 && !empty) {
    return E.left(
      invalid(
        '--header',
        `expected "Name: value": the -H${shownStart(text)} has no colon (the rest is not shown)`,
      ),
    );
  }
  const name = (empty ? text.slice(0, -1) : text.slice(0, colon)).trim();
  const value = empty ? '' : text.slice(colon + 1).trim();
  if (!TOKEN.test(name)) {
    return E.left(
      invalid(
        '--header',
        `invalid header name${shownStart(name)}: a name is one token, no space (the rest is not shown)`,
      ),
    );
  }
  const lower = name.toLowerCase();
  const owned = RESERVED_HEADERS[lower];
  if (owned !== undefined) return E.left(invalid('--header', `rdl sets ${name} itself: ${owned}`));
  if (!VISIBLE.test(value)) {
    return E.left(invalid('--header', `the value of ${name} holds a control or non-ASCII character`));
  }
  if (value === '' && !empty) {
    return E.left(invalid('--header', `${name} has no value (write "${name};" to send it empty)`));
  }
  return E.right([name, value]);
};

/** `-H` values merged by name, in any letter case: repeated ones joined as one field (`;` for cookies). */
const headerFields = (texts: readonly string[]): E.Either<DownloadFailure, Record<string, string>> => {
  const fields: Record<string, string> = {};
  const names = new Map<string, string>();
  for (const text of texts) {
    const parsed = header(text);
    if (E.isLeft(parsed)) return parsed;
    const [name, value] = parsed.right;
    const lower = name.toLowerCase();
    const earlier = names.get(lower);
    if (earlier === undefined) {
      names.set(lower, name);
      fields[name] = value;
    } else fields[earlier] = `${fields[earlier]}${lower === 'cookie' ? '; ' : ', '}${value}`;
  }
  return E.right(fields);
};

const has = (fields: Record<string, string>, lower: string): boolean =>
  Object.keys(fields).some((name) => name.toLowerCase() === lower);

/**
 * `-u user:pass`: HTTP Basic. There is no prompt (rdl is run by scripts and resumed by re-running it), so a user
 * without a password is refused rather than asked. Credentials go to one origin: with a `--head-url` at another
 * one, refused, as a password in the URL is.
 */
const basic = (user: string, url: string, headUrl: string | null): E.Either<DownloadFailure, string> => {
  if (!user.includes(':')) {
    return E.left(
      invalid('--user', 'has no password ("user:password"): rdl asks for none, since it runs unattended'),
    );
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: those are what is refused
  if (/[\u0000-\u001f\u007f]/.test(user)) return E.left(invalid('--user', 'holds a control character'));
  if (headUrl !== null && parseUrl(headUrl)?.origin !== parseUrl(url)?.origin) {
    return E.left(invalid('--user', 'goes to the origin of the URL only, and --head-url is at another one'));
  }
  return E.right(basicAuthorization(user));
};

/**
 * `-e <url>`: the `Referer` sent as given, as curl's (any text a header can carry: curl does not check it is a URL).
 * curl's `;auto` (a Referer of the previous URL set on each redirect) is refused rather than sent as part of the
 * value: it would tell the next origin where the download came from, which the redirect rule (R37) keeps to the
 * URL's origin. Refused values are never quoted: the URL may hold a password.
 */
const refererOf = (
  value: string | undefined,
  headers: Record<string, string>,
): E.Either<DownloadFailure, string | null> => {
  if (value === undefined) return E.right(null);
  if (has(headers, 'referer')) return E.left(invalid('--referer', 'given with -H Referer too'));
  if (!VISIBLE.test(value)) return E.left(invalid('--referer', 'holds a control or non-ASCII character'));
  if (/;auto$/i.test(value)) {
    return E.left(
      invalid(
        '--referer',
        "curl's ;auto (the previous URL as Referer after each redirect) is not supported: give the Referer alone",
      ),
    );
  }
  const trimmed = value.trim();
  if (trimmed === '') return E.left(invalid('--referer', 'empty (leave -e out to send no Referer)'));
  return E.right(trimmed);
};

/** The most seconds a time flag takes: what a timer holds (`MAX_TIMER_MS`), some 24.8 days. */
const MAX_SECONDS = Math.floor(MAX_TIMER_MS / 1000);

/**
 * A time flag's value (`--stall-timeout 2.5`): seconds above 0, as milliseconds (at least 1), `null` when not given.
 * More than a timer holds is refused: such a timer would fire at once, the opposite of what was asked.
 */
export const secondsFlag = (
  field: string,
  value: string | undefined,
): E.Either<DownloadFailure, number | null> => {
  if (value === undefined) return E.right(null);
  const n = /^\s*\d+(\.\d+)?\s*$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isFinite(n) || n <= 0) {
    return E.left(invalid(field, `expected a number of seconds above 0, got ${quotedValue(value)}`));
  }
  if (n > MAX_SECONDS)
    return E.left(invalid(field, `${value.trim()} s is more than ${MAX_SECONDS} s (24 days)`));
  return E.right(Math.max(1, Math.round(n * 1000)));
};

/** Reads these flags (R30: every refusal before any request, one line, never quoting a password). */
export const clientFlags = (
  values: ClientValues,
  url: string,
  headUrl: string | null,
): E.Either<DownloadFailure, ClientFlags> => {
  const fields = headerFields(values.header ?? []);
  if (E.isLeft(fields)) return fields;
  const headers = fields.right;
  const agent = values['user-agent'];
  if (agent !== undefined) {
    if (has(headers, 'user-agent')) return E.left(invalid('--user-agent', 'given with -H User-Agent too'));
    if (!VISIBLE.test(agent))
      return E.left(invalid('--user-agent', 'holds a control or non-ASCII character'));
    if (agent !== '') headers['user-agent'] = agent;
  }
  const referer = refererOf(values.referer, headers);
  if (E.isLeft(referer)) return referer;
  if (referer.right !== null) headers.Referer = referer.right;
  if (values.user !== undefined) {
    if (has(headers, 'authorization')) return E.left(invalid('--user', 'given with -H Authorization too'));
    const authorization = basic(values.user, url, headUrl);
    if (E.isLeft(authorization)) return authorization;
    headers.authorization = authorization.right;
  }
  const connectTimeoutMs = secondsFlag('--connect-timeout', values['connect-timeout']);
  if (E.isLeft(connectTimeoutMs)) return connectTimeoutMs;
  return E.right({
    headers,
    noUserAgent: agent === '',
    insecure: values.insecure === true,
    connectTimeoutMs: connectTimeoutMs.right,
    contentDisposition: values['content-disposition'] === true,
    remoteTime: values['remote-time'] === true,
  });
};
