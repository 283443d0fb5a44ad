import type { ResponseHead } from './responseHead.js';

/** How the end of a response body is known (RFC 9112 §6.3). */
export type BodyFraming =
  /** No body at all: an answer to HEAD, a 204 or a 304. */
  | { readonly _tag: 'Empty' }
  /** Exactly `length` bytes (Content-Length). */
  | { readonly _tag: 'Length'; readonly length: number }
  /** The chunked transfer coding, decoded. */
  | { readonly _tag: 'Chunked' }
  /** Everything until the server closes the connection. */
  | { readonly _tag: 'UntilClose' };

/** The framing of a response, and whether its connection may serve another request after it. */
export type FramingOf =
  | { readonly _tag: 'Framed'; readonly framing: BodyFraming; readonly reusable: boolean }
  | { readonly _tag: 'Invalid'; readonly message: string };

const DECIMAL = /^\d{1,15}$/;

/**
 * RFC 9112 §6.3, in its order, with R36 on top: a `Transfer-Encoding` other than exactly one `chunked` is refused
 * as `Invalid` (rdl decodes no other coding, and would save `gzip, chunked` as gzip bytes; `chunked, chunked` and
 * `identity` are not allowed at all, §6.1, §7), and so is any `Transfer-Encoding` in an HTTP/1.0 answer (§6.1: its
 * framing must be taken as faulty). Then HEAD, 204 and 304 have no body; `chunked` overrides a Content-Length
 * (which then must not be trusted for the next message either, nor passed on: `withoutOverriddenLength`); a valid
 * Content-Length, repeated with equal values or not, gives the length; an invalid one is an unrecoverable error; no
 * framing at all runs until close.
 *
 * Reusable: HTTP/1.1 without `Connection: close`, a body whose end is framed, and no Transfer-Encoding and
 * Content-Length together (a sign of request smuggling: §6.1 asks to close after such a message). HTTP/1.0
 * keep-alive is not used: rdl asks in HTTP/1.1, and a 1.0 server closes by default.
 */
export const bodyFramingOf = (method: 'GET' | 'HEAD', head: ResponseHead): FramingOf => {
  const { headers, status } = head;
  const persistent = head.minorVersion >= 1 && !tokensOf(headers.connection).includes('close');
  const transferEncoding = headers['transfer-encoding'];
  const contentLength = headers['content-length'];
  if (transferEncoding !== undefined) {
    const refused = transferEncodingProblem(transferEncoding, head.minorVersion);
    if (refused !== null) return { _tag: 'Invalid', message: refused };
  }
  if (method === 'HEAD' || status === 204 || status === 304) return framed({ _tag: 'Empty' }, persistent);
  if (transferEncoding !== undefined) {
    return framed({ _tag: 'Chunked' }, persistent && contentLength === undefined);
  }
  if (contentLength !== undefined) {
    const length = contentLengthOf(contentLength);
    if (length === null) return { _tag: 'Invalid', message: `invalid Content-Length: ${contentLength}` };
    return framed({ _tag: 'Length', length }, persistent);
  }
  return framed({ _tag: 'UntilClose' }, false);
};

/**
 * Why a `Transfer-Encoding` is refused (R36), or `null` for the one rdl reads: a single `chunked` in HTTP/1.1.
 * `minorVersion` is that of the answer's `HTTP/1.x` (1 for a transport that cannot see it).
 */
export const transferEncodingProblem = (value: string, minorVersion: number): string | null => {
  if (minorVersion === 0) return `Transfer-Encoding ${JSON.stringify(value)} in an HTTP/1.0 response`;
  // Empty list elements are ignored (RFC 9110 §5.6.1); a field sent twice arrives joined, and counts twice.
  const codings = tokensOf(value).filter((coding) => coding !== '');
  if (codings.length === 1 && codings[0] === 'chunked') return null;
  return `Transfer-Encoding ${JSON.stringify(value)}: only a single chunked is accepted`;
};

/**
 * The head's fields as the transports pass them on: a Content-Length beside a Transfer-Encoding is dropped, since
 * the chunked framing overrides it and a recipient must ignore it (RFC 9112 §6.1, R36). The same object otherwise.
 */
export const withoutOverriddenLength = (
  headers: Readonly<Record<string, string>>,
): Readonly<Record<string, string>> => {
  if (headers['transfer-encoding'] === undefined || headers['content-length'] === undefined) return headers;
  const { 'content-length': _ignored, ...kept } = headers;
  return kept;
};

/** A Content-Length field value, possibly a list of equal values (§8.6 of RFC 9110), or `null` when invalid. */
export const contentLengthOf = (value: string): number | null => {
  const values = value.split(',').map((item) => item.trim());
  const first = values[0] ?? '';
  if (!DECIMAL.test(first) || values.some((item) => item !== first)) return null;
  return Number(first);
};

const framed = (framing: BodyFraming, reusable: boolean): FramingOf => ({
  _tag: 'Framed',
  framing,
  reusable: reusable && framing._tag !== 'UntilClose',
});

const tokensOf = (value: string | undefined): string[] =>
  value === undefined ? [] : value.split(',').map((token) => token.trim().toLowerCase());
