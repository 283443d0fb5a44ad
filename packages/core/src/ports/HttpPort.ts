import type { TaskEither } from 'fp-ts/lib/TaskEither.js';
import type { AbortSignalLike } from './abort.js';

/** Response headers, names lower-cased. A header sent more than once is joined with `, ` as RFC 9110 §5.3 allows. */
export type HeaderMap = Readonly<Record<string, string>>;

export interface HttpRequest {
  readonly method: 'HEAD' | 'GET';
  readonly url: string;
  /** Request headers to send verbatim. Core always sets `accept-encoding: identity` on a GET (R5). */
  readonly headers: HeaderMap;
  /** Aborting ends the request and the body: the body iterator then rejects or ends, and never yields again. */
  readonly signal: AbortSignalLike;
  /**
   * Optional, told by a port that makes requests wait for a connection of their own (a per-origin cap): `true` when
   * this one begins to wait, `false` when it goes out. The wait is the port's, not a silent server's: core holds its
   * stall timer meanwhile (R25), so that a download queued behind another's connections is not retried as stalled.
   */
  readonly onQueued?: (waiting: boolean) => void;
}

export interface HttpResponse {
  readonly status: number;
  /** The URL that answered, after redirects (R17). Equal to the request URL when there was none. */
  readonly url: string;
  /**
   * Whether a redirect on the way to `url` went to another origin (R17, R37): the hops after it went without the
   * caller's secrets, and core sends them no more to where the chain ended, even at the first origin again.
   * Absent when the port cannot tell (a browser's `fetch` shows only the final URL).
   */
  readonly leftOrigin?: boolean;
  readonly headers: HeaderMap;
  /**
   * Optional. `true` when the platform shows only some of the headers the server sent: a browser shows of a
   * cross-origin (CORS) answer only the safelisted ones and those its `Access-Control-Expose-Headers` names. A header
   * missing from `headers` may then have been sent (R8: a hidden `Content-Range`). Absent: every header is shown.
   */
  readonly headersFiltered?: boolean;
  /**
   * The body as it arrives, each chunk exactly the bytes the server sent (no decoding: the adapter must not
   * decompress). Empty for HEAD. Iterating it at most once is allowed. A cut connection makes the iterator reject
   * (the rejection is a network failure); bytes that break the framing make it reject with `badBodyError` (final,
   * R36); an abort makes it reject or end. Breaking out of the loop (`return()`)
   * must release the connection.
   *
   * Chunks belong to the consumer once yielded; the adapter never writes into them again. A consumer may keep a
   * chunk past the next `next()` (queue it for a write, join two adjacent views of one buffer into one) without
   * copying it.
   */
  readonly body: AsyncIterable<Uint8Array>;
  /**
   * Optional. The consumer gives back a chunk of `body` (or a view joining adjacent chunks) it is done with, and
   * never reads it again: the adapter may then reuse that memory for later bytes, rather than leave it to the
   * garbage collector (freeing a MiB a MiB cost V8 seconds of GC per GiB). A chunk never given back is simply
   * collected. Giving back part of a chunk gives back those bytes only.
   */
  readonly recycle?: (chunk: Uint8Array) => void;
}

/** Why a request produced no response at all. */
export type HttpFailure =
  | { readonly _tag: 'NetworkError'; readonly message: string }
  | { readonly _tag: 'Aborted' }
  /** A redirect that R17 forbids (a non-http(s) scheme, too many hops). */
  | { readonly _tag: 'RedirectRefused'; readonly location: string; readonly message: string }
  /**
   * The server's certificate was refused (untrusted, expired, for another name), or the client's own TLS options
   * were (a cipher list or certificate Node cannot use): asking again cannot help, so it is not retried. Adapters that cannot tell it from other network failures (a browser's `fetch`) never give it.
   */
  | { readonly _tag: 'TlsError'; readonly message: string }
  /**
   * The server's answer breaks HTTP/1.1's framing (RFC 9112: a malformed status line or header, a Transfer-Encoding
   * other than one final `chunked`, an invalid Content-Length). Asking again gets the same answer: not retried (R36).
   */
  | { readonly _tag: 'BadResponse'; readonly reason: string }
  /**
   * The proxy between this client and the origin did not carry the request: it could not be reached
   * (`unreachable`), it answered CONNECT (or an absolute-form request) with a refusal such as 407 or 403
   * (`refused`, with the status), or its answer to CONNECT broke HTTP (`malformed`). `proxy` is the proxy's URL
   * without its userinfo (R37). `isFinal` says which are retried.
   */
  | ProxyFailure;

/** See `HttpFailure`. */
export interface ProxyFailure {
  readonly _tag: 'ProxyRefused';
  readonly proxy: string;
  readonly reason: 'unreachable' | 'refused' | 'malformed' | 'invalid';
  /** The proxy's status for `refused`, else `null`. */
  readonly status: number | null;
  readonly message: string;
}

/**
 * HTTP transport.
 *
 * Contract:
 * - `request` resolves to `Right` for every status the server answers, 4xx and 5xx included: classifying an
 *   answer is core's job, never the adapter's.
 * - It resolves to `Left` only when no usable response head arrived (connection refused or reset, DNS, abort,
 *   refused redirect, a head that breaks HTTP's framing). It never rejects.
 * - With a `Transfer-Encoding`, the `content-length` header is not passed on (RFC 9112 §6.1: it must be ignored).
 * - Redirects are followed by the adapter with R17: only to http(s), `authorization` and `cookie` dropped on a
 *   change of origin, at most 10 hops (`redirectStep` in core says what to do at each hop).
 * - No automatic decompression and no retries: core retries (R25, R26).
 * - Aborting `signal` before the head arrives resolves `Left({ _tag: 'Aborted' })`.
 */
export interface HttpPort {
  request(request: HttpRequest): TaskEither<HttpFailure, HttpResponse>;
  /**
   * The most connections this transport opens to one origin at a time (a request past it waits for one), when it
   * has such a cap: a segmented download uses no more connections than this. Default: no cap known.
   */
  readonly maxConnectionsPerOrigin?: number;
  /**
   * Whether a conditional header (`If-Range`, `If-Match`, R6) may go to `url`: `false` where it would cost a CORS
   * preflight the server may refuse (a browser's request to another origin, which a redirect may lead to). Core then
   * sends `Range` alone and compares each answer's validators itself before writing a byte. Default: always.
   */
  conditionalsAllowed?(url: string): boolean;
}
