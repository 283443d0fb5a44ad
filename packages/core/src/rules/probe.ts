import * as E from 'fp-ts/lib/Either.js';
import type { ProbeResult, ResponseHead } from '../model/decision.js';
import { type DownloadFailure, isPassingProxyFailure } from '../model/failure.js';
import type { HeaderMap } from '../ports/HttpPort.js';
import { isRetryableStatus } from './backoff.js';
import { storedUrl } from './checkpointUrl.js';
import { declaredLength, parseContentRange } from './contentRange.js';
import { baseRequestHeaders } from './dataRequest.js';
import { isExpiredSignature } from './expiredSignature.js';
import { extractValidators } from './validators.js';

/**
 * Whether a refused HEAD is probed again with `GET` + `Range: bytes=0-0` (R16): 403 (presigned URLs signed for GET
 * only), 405 and 501. A HEAD that failed on the network is probed with GET too; that is the caller's branch.
 */
export const shouldProbeWithGet = (status: number): boolean =>
  status === 403 || status === 405 || status === 501;

/** The headers of a probe: the caller's, `accept-encoding: identity`, and for a GET `range: bytes=0-0` (R5, R16). */
export const probeRequestHeaders = (
  method: 'HEAD' | 'GET',
  extraHeaders: HeaderMap,
): Record<string, string> => {
  const headers = baseRequestHeaders(extraHeaders);
  if (method === 'GET') headers.range = 'bytes=0-0';
  return headers;
};

/** The Content-Encoding lower-cased, `null` for none or `identity`. */
export const contentEncodingOf = (headers: HeaderMap): string | null => {
  const value = headers['content-encoding']?.trim().toLowerCase() ?? '';
  return value === '' || value === 'identity' ? null : value;
};

const acceptsByteRanges = (headers: HeaderMap): boolean =>
  (headers['accept-ranges'] ?? '').split(',').some((unit) => unit.trim().toLowerCase() === 'bytes');

/**
 * What a probe answer says of the resource (R16).
 *
 * - HEAD 2xx: total from `Content-Length` (ignored beside a `Transfer-Encoding`, R36), ranges when
 *   `Accept-Ranges: bytes`.
 * - GET `bytes=0-0` → 206: total from `Content-Range` (`null` for `0-0/*`), ranges accepted; a malformed
 *   `Content-Range`, or one not starting at 0, is `BadResponse`.
 * - GET → 200: the server ignores ranges; total from `Content-Length`. The caller must not write the body.
 * - GET → 416 `bytes *\/0`: an empty resource (R14).
 * - Anything else is `HttpStatus` (the caller retries it when `isRetryableStatus`).
 */
export const probeFromResponse = (
  method: 'HEAD' | 'GET',
  finalUrl: string,
  response: ResponseHead,
  leftOrigin: boolean | null = null,
): E.Either<DownloadFailure, ProbeResult> => {
  const { status, headers } = response;
  const base = {
    method,
    status,
    finalUrl,
    leftOrigin,
    validators: extractValidators(headers),
    contentEncoding: contentEncodingOf(headers),
  };
  const httpStatus = E.left<DownloadFailure>({ _tag: 'HttpStatus', status, url: storedUrl(finalUrl) });
  if (method === 'HEAD') {
    if (status < 200 || status > 299) return httpStatus;
    return E.right({
      ...base,
      totalLength: declaredLength(headers),
      acceptsRanges: acceptsByteRanges(headers),
    });
  }
  if (status === 200) {
    return E.right({
      ...base,
      totalLength: declaredLength(headers),
      acceptsRanges: false,
    });
  }
  if (status !== 206 && status !== 416) return httpStatus;
  const range = parseContentRange(headers['content-range']);
  if (E.isLeft(range)) return E.left({ _tag: 'BadResponse', reason: range.left });
  const cr = range.right;
  if (status === 416) {
    if (cr._tag === 'Unsatisfied' && cr.total === 0) {
      return E.right({ ...base, totalLength: 0, acceptsRanges: true });
    }
    return E.left({
      _tag: 'BadResponse',
      reason: `416 to bytes=0-0 with Content-Range ${headers['content-range']}`,
    });
  }
  if (cr._tag === 'Unsatisfied' || cr.first !== 0) {
    return E.left({
      _tag: 'BadResponse',
      reason: `206 to bytes=0-0 with Content-Range ${headers['content-range']}`,
    });
  }
  return E.right({ ...base, totalLength: cr.total, acceptsRanges: true });
};

/**
 * What a probe that learnt nothing means: `'expired'` when it is an expired signature (R18), `'retry'` for a passing
 * failure (R25: the network, a stall, 5xx, 408, 429), `'fail'` for everything else (a refused redirect or
 * certificate, a malformed answer, another status).
 */
export const probeFailureVerdict = (
  failure: DownloadFailure,
  facts: { readonly hasBytes: boolean; readonly refreshable: boolean },
): 'expired' | 'retry' | 'fail' => {
  if (
    failure._tag === 'HttpStatus' &&
    isExpiredSignature({ status: failure.status, url: failure.url, ...facts })
  )
    return 'expired';
  const passing =
    failure._tag === 'NetworkError' ||
    failure._tag === 'Stalled' ||
    (failure._tag === 'ProxyRefused' && isPassingProxyFailure(failure)) ||
    (failure._tag === 'HttpStatus' && isRetryableStatus(failure.status));
  return passing ? 'retry' : 'fail';
};
