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
 * RFC 9112 §6.3, in its order: HEAD, 204 and 304 have no body; a Transfer-Encoding whose last coding is chunked is
 * chunked, any other runs until close (and overrides a Content-Length, which then must not be trusted for the next
 * message either); a valid Content-Length, repeated with equal values or not, gives the length; an invalid one is
 * an unrecoverable error; no framing at all runs until close.
 *
 * Reusable: HTTP/1.1 without `Connection: close`, a body whose end is framed, and no Transfer-Encoding and
 * Content-Length together (a sign of request smuggling: §6.1 asks to close after such a message). HTTP/1.0
 * keep-alive is not used: rdl asks in HTTP/1.1, and a 1.0 server closes by default.
 */
export const bodyFramingOf = (method: 'GET' | 'HEAD', head: ResponseHead): FramingOf => {
  const { headers, status } = head;
  const persistent = head.minorVersion >= 1 && !tokensOf(headers.connection).includes('close');
  if (method === 'HEAD' || status === 204 || status === 304) return framed({ _tag: 'Empty' }, persistent);
  const transferEncoding = headers['transfer-encoding'];
  const contentLength = headers['content-length'];
  if (transferEncoding !== undefined) {
    const chunked = tokensOf(transferEncoding).at(-1) === 'chunked';
    return framed(
      chunked ? { _tag: 'Chunked' } : { _tag: 'UntilClose' },
      persistent && chunked && contentLength === undefined,
    );
  }
  if (contentLength !== undefined) {
    const length = contentLengthOf(contentLength);
    if (length === null) return { _tag: 'Invalid', message: `invalid Content-Length: ${contentLength}` };
    return framed({ _tag: 'Length', length }, persistent);
  }
  return framed({ _tag: 'UntilClose' }, false);
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
