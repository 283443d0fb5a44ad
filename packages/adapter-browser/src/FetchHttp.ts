import type { HttpFailure, HttpPort, HttpRequest, HttpResponse } from '@rdl/core';
import { badBodyError } from '@rdl/core/adapter';
import {
  declaredLength,
  httpsDowngradeRefused,
  isHttpsDowngrade,
  parseContentRange,
  parseUrl,
} from '@rdl/core/rules';
import type * as TE from 'fp-ts/TaskEither';

/** How `FetchHttp` calls `fetch`. */
export interface FetchHttpOptions {
  /** The `fetch` to use. Default: the global one. */
  readonly fetch?: typeof fetch;
  /** Whether cookies and HTTP auth go with the request. Default `'same-origin'` (the Fetch default). */
  readonly credentials?: RequestCredentials;
  /** Accept an answer that `fetch` reached by a redirect from https to http (R37). Default false. */
  readonly allowHttpsDowngrade?: boolean;
  /**
   * The most connections a segmented download opens to one origin (`HttpPort.maxConnectionsPerOrigin`). Default 6:
   * what Chromium, Firefox and Safari open per host over HTTP/1.1; a request past it would wait in the browser's
   * own queue, holding a segment that makes no progress.
   */
  readonly maxConnectionsPerOrigin?: number;
  /**
   * Send conditional headers (`If-Range`, `If-Match`) to other origins too: for servers whose CORS allows them in a
   * preflight. Default false: to another origin a request goes with `Range` alone, CORS-safelisted (R6).
   */
  readonly crossOriginConditionals?: boolean;
}

/** Browsers open 6 connections per host over HTTP/1.1. */
const BROWSER_CONNECTIONS_PER_HOST = 6;

/**
 * Request headers a page may not set (Fetch's "forbidden request-header names"). The browser would drop them in
 * silence; they are dropped here so the request says what is really sent. `accept-encoding` is the one core sets
 * (R5): browsers send `Accept-Encoding: identity` by themselves on a request with a `Range` header, and a plain GET
 * from offset 0 that comes back encoded is caught by core from its `Content-Encoding` (R5), or, when a cross-origin
 * server does not show that header, by its length (`chunksOf`).
 */
const forbidden = new Set([
  'accept-charset',
  'accept-encoding',
  'access-control-request-headers',
  'access-control-request-method',
  'connection',
  'content-length',
  'cookie',
  'cookie2',
  'date',
  'dnt',
  'expect',
  'host',
  'keep-alive',
  'origin',
  'referer',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'via',
]);

/**
 * The body's bytes. `length`, the bytes its head promised (Content-Length, or the range of a 206), bounds them: the
 * browser frames a body itself, so more bytes than promised can only be `fetch` decoding a Content-Encoding that
 * the page is not shown (a cross-origin server that does not expose it). Such a body rejects as broken (R36) before
 * the first byte past the promise is handed out.
 */
async function* chunksOf(
  body: ReadableStream<Uint8Array> | null,
  length: number | null = null,
): AsyncGenerator<Uint8Array> {
  if (body === null) return;
  const reader = body.getReader();
  let received = 0;
  try {
    for (;;) {
      // A cut connection rejects here with a TypeError, an abort with an AbortError: both reach core as a throw.
      const { done, value } = await reader.read();
      if (done) return;
      received += value.byteLength;
      if (length !== null && received > length) {
        throw badBodyError(
          `the body is longer than the ${length} bytes its head announced: the browser decoded a Content-Encoding this page is not shown (a cross-origin server must expose Content-Encoding, or serve the file unencoded)`,
        );
      }
      yield value;
    }
  } finally {
    // Breaking out of the loop lands here: cancelling releases the connection.
    await reader.cancel().catch(() => {});
  }
}

/**
 * `HttpPort` through the page's (or worker's) `fetch`, with `AbortController`, `cache: 'no-store'` (the HTTP cache
 * must never answer a range from an older version) and no decompression of ranged answers.
 *
 * Redirects: a page can only ask `redirect: 'follow'`, so R17 is the browser's own policy, which is as strict:
 * only http(s) (any other scheme fails the request, reported as a `NetworkError`, not `RedirectRefused`), at most
 * 20 hops (not 10), `Authorization` removed on a cross-origin hop (Fetch standard, Chromium 119+), and cookies sent
 * only under the `credentials` mode for the origin each hop lands on. The final URL is `Response.url`. Where the
 * page allows it (a page on http: an https page blocks http as mixed content), `fetch` may follow a redirect from
 * https to http: its answer is then refused as `RedirectRefused` before a byte is read, unless
 * `allowHttpsDowngrade` (R37). Unlike the Node ports, `fetch` carries the caller's other headers to the origin it is
 * redirected to (after a CORS preflight that names them): a page should not put a secret in a custom header of a
 * URL that redirects elsewhere. `fetch` shows only the final URL, so `leftOrigin` is told only when it is known (no
 * redirect, or a final URL at another origin): a redirected probe back at its origin sends the data requests to the
 * caller's URL again, where `fetch`'s own redirects drop `Authorization` (R17).
 *
 * A request the CORS policy blocks fails like a network error: the browser hides why. That is why a cross-origin
 * server must allow `Range` and expose `ETag, Content-Range, Content-Length` (see the README).
 */
export class FetchHttp implements HttpPort {
  readonly #fetch: typeof fetch;
  readonly #credentials: RequestCredentials;
  readonly #allowHttpsDowngrade: boolean;
  readonly #crossOriginConditionals: boolean;
  readonly maxConnectionsPerOrigin: number;

  constructor(options: FetchHttpOptions = {}) {
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.#credentials = options.credentials ?? 'same-origin';
    this.#allowHttpsDowngrade = options.allowHttpsDowngrade ?? false;
    this.#crossOriginConditionals = options.crossOriginConditionals ?? false;
    const cap = options.maxConnectionsPerOrigin ?? BROWSER_CONNECTIONS_PER_HOST;
    if (!Number.isInteger(cap) || cap < 1)
      throw new RangeError('FetchHttp: maxConnectionsPerOrigin must be a whole number, 1 or more');
    this.maxConnectionsPerOrigin = cap;
  }

  /**
   * Conditional headers go to this page's origin only, unless `crossOriginConditionals`: a data request goes where
   * the probe's redirects led, which may be another origin than the URL the caller gave (a CDN).
   */
  conditionalsAllowed(url: string): boolean {
    return this.#crossOriginConditionals || !isCrossOrigin(url);
  }

  request(request: HttpRequest): TE.TaskEither<HttpFailure, HttpResponse> {
    return async () => {
      if (request.signal.aborted) return { _tag: 'Left', left: { _tag: 'Aborted' } };
      const controller = new AbortController();
      const abort = () => controller.abort();
      request.signal.addEventListener('abort', abort, { once: true });
      const headers = new Headers();
      for (const [name, value] of Object.entries(request.headers)) {
        if (!forbidden.has(name.toLowerCase())) headers.set(name, value);
      }
      try {
        const response = await this.#fetch(request.url, {
          method: request.method,
          headers,
          signal: controller.signal,
          redirect: 'follow',
          cache: 'no-store',
          credentials: this.#credentials,
          mode: 'cors',
        });
        const url = response.url === '' ? request.url : response.url;
        if (!this.#allowHttpsDowngrade && this.#downgraded(request.url, url)) {
          await response.body?.cancel().catch(() => {});
          return { _tag: 'Left', left: httpsDowngradeRefused(url) };
        }
        const leftOrigin = this.#leftOrigin(request.url, url, response.redirected);
        const head: Record<string, string> = {};
        response.headers.forEach((value, name) => {
          head[name.toLowerCase()] = value;
        });
        if (request.method === 'HEAD') await response.body?.cancel().catch(() => {});
        return {
          _tag: 'Right',
          right: {
            status: response.status,
            url,
            ...(leftOrigin !== undefined && { leftOrigin }),
            headers: head,
            // A cross-origin answer shows only the headers its server exposes (R8: a hidden Content-Range).
            headersFiltered: response.type === 'cors',
            body:
              request.method === 'HEAD'
                ? chunksOf(null)
                : chunksOf(response.body, promisedLength(response.status, head)),
          },
        };
      } catch (error) {
        if (controller.signal.aborted) return { _tag: 'Left', left: { _tag: 'Aborted' } };
        const message = error instanceof Error ? error.message : String(error);
        return {
          _tag: 'Left',
          left: { _tag: 'NetworkError', message: `${message} (network failure, or blocked by CORS)` },
        };
      }
    };
  }

  /** Whether `fetch`'s redirects from `from` to `to` left its origin, `undefined` when they may have (R17). */
  #leftOrigin(from: string, to: string, redirected: boolean): boolean | undefined {
    const a = parseUrl(from);
    const b = parseUrl(to);
    if (a === null || b === null || a.origin !== b.origin) return true;
    return redirected ? undefined : false;
  }

  /** Whether `fetch` followed a redirect from https to http to reach `to` (R37). */
  #downgraded(from: string, to: string): boolean {
    const a = parseUrl(from);
    const b = parseUrl(to);
    return a !== null && b !== null && isHttpsDowngrade(a, b);
  }
}

/**
 * The bytes an answer's head promised: a 206's range, else its Content-Length; `null` when it says none, or when it
 * shows a Content-Encoding, whose body `fetch` decodes to another length (core knows such a body has none, R5).
 */
const promisedLength = (status: number, head: Readonly<Record<string, string>>): number | null => {
  const coding = head['content-encoding']?.trim().toLowerCase();
  if (coding !== undefined && coding !== '' && coding !== 'identity') return null;
  if (status === 206) {
    const range = parseContentRange(head['content-range']);
    return range._tag === 'Right' && range.right._tag === 'Satisfied'
      ? range.right.last - range.right.first + 1
      : null;
  }
  return declaredLength(head);
};

/** Whether `url` is on another origin than this page or worker, i.e. whether its requests are CORS requests. */
export const isCrossOrigin = (url: string): boolean => {
  try {
    return new URL(url, globalThis.location.href).origin !== globalThis.location.origin;
  } catch {
    return false;
  }
};
