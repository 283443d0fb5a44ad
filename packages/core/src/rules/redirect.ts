import * as E from 'fp-ts/lib/Either.js';
import { isHttpUrl, type ParsedUrl, parseUrl } from '../model/url.js';
import type { HeaderMap, HttpFailure } from '../ports/HttpPort.js';
import { storedUrl } from './checkpointUrl.js';
import { OWNED_HEADERS } from './dataRequest.js';
import { redactSignatures } from './signedUrl.js';
import { unparsedUrlShown } from './urlCredentials.js';

/** Redirects followed in one request before giving up (R17). */
export const MAX_REDIRECTS = 10;

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/**
 * The only request headers that go on to another origin (R17, R37): those core sets itself for the range it asks
 * (`accept-encoding`, `range`, the conditionals, whose ETag or date name the resource, not the caller) and three
 * that carry no secret (`user-agent`, `accept`, `accept-language`). Everything else the caller gave may be a secret
 * (`authorization`, `cookie`, `proxy-authorization`, an `x-api-key`…): it stays with the origin it was given for.
 */
export const CROSS_ORIGIN_HEADERS: ReadonlySet<string> = new Set([
  ...OWNED_HEADERS,
  'accept',
  'accept-language',
  'user-agent',
]);

/** What a caller allows a redirect to do. */
export interface RedirectPolicy {
  /** Follow a redirect from https to http (R37). Every caller defaults it to false: refused as `RedirectRefused`. */
  readonly allowHttpsDowngrade: boolean;
}

/**
 * A refusal names where the redirect went without its userinfo and its signature redacted (R37): a `Location` is
 * often a presigned URL. One that does not parse against `base` is quoted with all before its last `@` hidden
 * (`unparsedUrlShown`): a password holding a `#` or `/` ends its authority early for the userinfo pattern too.
 */
const refuse = (location: string, message: string, base?: string): E.Either<HttpFailure, never> =>
  E.left({
    _tag: 'RedirectRefused',
    location:
      parseUrl(location, base) === null ? redactSignatures(unparsedUrlShown(location)) : storedUrl(location),
    message: redactSignatures(message),
  });

/** Whether going from `from` to `to` leaves https for http (R37). */
export const isHttpsDowngrade = (from: ParsedUrl, to: ParsedUrl): boolean =>
  from.protocol === 'https:' && to.protocol === 'http:';

/** The refusal of a redirect from https to http (R37), the same from every port. */
export const httpsDowngradeRefused = (location: string): HttpFailure => ({
  _tag: 'RedirectRefused',
  location: storedUrl(location),
  message: 'a redirect from https to http (allow it with allowHttpsDowngrade)',
});

/**
 * One redirect hop (R17, R37), for adapters that follow redirects by hand. `hop` counts the redirects already
 * followed in this request (0 at the first), so the 11th is refused.
 *
 * - Only 301, 302, 303, 307 and 308 with a `Location` are followed; a relative `Location` is resolved against `from`,
 *   and a `Location` without a fragment keeps the fragment of `from` (RFC 9110 §10.2.2).
 * - Only to http(s), and from https never to http unless `allowHttpsDowngrade` (R37): the bytes and headers of an
 *   https download must not go in clear because a server said so.
 * - A change of origin (scheme, host or port) keeps only `CROSS_ORIGIN_HEADERS`, in any letter case, and says so
 *   (`crossOrigin`): the port reports it in `HttpResponse.leftOrigin`.
 * - The method stays: `HEAD` and `GET` are both safe, and a 303 asks for a GET, which keeps a HEAD a HEAD.
 */
export const redirectStep = (
  input: {
    readonly from: string;
    readonly location: string | undefined;
    readonly status: number;
    readonly method: 'HEAD' | 'GET';
    readonly headers: HeaderMap;
    readonly hop: number;
  } & RedirectPolicy,
): E.Either<
  HttpFailure,
  { readonly url: string; readonly headers: Record<string, string>; readonly crossOrigin: boolean }
> => {
  const location = input.location?.trim() ?? '';
  if (!REDIRECT_STATUSES.has(input.status))
    return refuse(location, `status ${input.status} is not a redirect`, input.from);
  if (location === '') return refuse(location, 'redirect without a Location header');
  if (input.hop >= MAX_REDIRECTS) return refuse(location, `more than ${MAX_REDIRECTS} redirects`, input.from);
  const from = parseUrl(input.from);
  if (from === null) return refuse(location, `invalid URL ${input.from}`);
  const target = parseUrl(location, from.href);
  if (target === null) return refuse(location, 'Location is not a valid URL', from.href);
  if (!isHttpUrl(target)) return refuse(location, `scheme ${target.protocol} is not http(s)`);
  if (isHttpsDowngrade(from, target) && !input.allowHttpsDowngrade) {
    return E.left(httpsDowngradeRefused(location));
  }
  if (target.hash === '' && from.hash !== '') target.hash = from.hash;
  return E.right({
    url: target.href,
    headers: headersForOrigin(from, target, input.headers),
    crossOrigin: from.origin !== target.origin,
  });
};

/** `headers` as they may go from `from` to `to`: all of them at the same origin, else `CROSS_ORIGIN_HEADERS`. */
const headersForOrigin = (
  from: ParsedUrl | null,
  to: ParsedUrl | null,
  headers: HeaderMap,
): Record<string, string> => {
  const crossOrigin = from === null || to === null || from.origin !== to.origin;
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (crossOrigin && !CROSS_ORIGIN_HEADERS.has(name.toLowerCase())) continue;
    kept[name] = value;
  }
  return kept;
};

/**
 * The caller's `headers` as they may go to `url` (R17, R37): whole at the origin of one of `givenFor`, the URLs the
 * caller gave them for, else only `CROSS_ORIGIN_HEADERS`. A URL a `refreshUrl` hook gave at another origin (a
 * presigned URL at an object store, where the caller's URL was its API's) is another origin as a redirect is. An
 * unparsable URL counts as another origin.
 */
export const headersForUrl = (
  url: string,
  givenFor: readonly string[],
  headers: HeaderMap,
): Record<string, string> => {
  const to = parseUrl(url);
  const home = givenFor
    .map((given) => parseUrl(given))
    .find((given) => given !== null && to !== null && given.origin === to.origin);
  return headersForOrigin(home ?? null, to, headers);
};

/**
 * Where the data requests of a run go, and which of the caller's headers they carry (R16, R17, R37).
 *
 * - `headUrl` is `url` (the usual case): the data goes to `probedUrl`, the URL that answered the probe after its
 *   redirects, so a run follows them once.
 * - `headUrl` differs (presigned URLs sign HEAD and GET apart): the data goes to `url`; the probe's final URL is
 *   signed for HEAD only. The GET's own redirects are followed by the HttpPort.
 * - The caller's headers go whole only when the data URL has the origin of `callerUrl`, the URL the caller gave for
 *   the data (`url` is it, or the URL a `refreshUrl` hook gave in its place); at another origin only
 *   `CROSS_ORIGIN_HEADERS`: a probe redirected elsewhere does not carry the others there, and neither do the GETs
 *   that then go straight to it.
 * - A probe whose redirects left the origin (`probeLeftOrigin`) went on without the secrets, so the GETs to where it
 *   ended carry none either, even back at the caller's origin: a server at another origin must not choose which
 *   URL of the caller's gets the password (A → B → A/chosen-by-B). When the port cannot tell (`null`, a browser's
 *   `fetch`) and the probe was redirected, the data goes to `url` again, and the port's redirects drop them.
 */
export const dataRequestTarget = (input: {
  readonly callerUrl: string;
  readonly url: string;
  readonly headUrl: string;
  readonly probedUrl: string;
  readonly probeLeftOrigin: boolean | null;
  readonly headers: HeaderMap;
}): { readonly url: string; readonly headers: Record<string, string> } => {
  const given = parseUrl(input.url);
  const head = parseUrl(input.headUrl);
  if (given === null || head === null || given.href !== head.href)
    return { url: input.url, headers: headersForUrl(input.url, [input.callerUrl], input.headers) };
  if (input.probeLeftOrigin === true) {
    return { url: input.probedUrl, headers: headersForUrl(input.probedUrl, [], input.headers) };
  }
  const redirected = parseUrl(input.probedUrl)?.href !== given.href;
  const url = input.probeLeftOrigin === null && redirected ? input.url : input.probedUrl;
  return { url, headers: headersForUrl(url, [input.callerUrl], input.headers) };
};
