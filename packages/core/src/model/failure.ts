import type { HashAlgorithm } from '../ports/Hasher.js';
import type { HttpFailure, ProxyFailure } from '../ports/HttpPort.js';
import type { StorageFailure } from '../ports/StoragePort.js';
import type { ChecksumSource } from './checksum.js';
import type { RestartReason } from './decision.js';

/**
 * Every way a download can fail, as data (R29). `_tag` discriminates; `code` is the stable code that callers and
 * the CLI print; `describeFailure` gives the one-line human message.
 */
export type DownloadFailure =
  /** Bad input from the caller, found before any request (R30). */
  | { readonly _tag: 'InvalidInput'; readonly field: string; readonly message: string }
  /** No response: refused, reset, DNS, a TLS handshake cut. Retryable (R25). */
  | { readonly _tag: 'NetworkError'; readonly message: string }
  /** No byte arrived for `stallTimeoutMs`. Retryable (R25). */
  | { readonly _tag: 'Stalled'; readonly afterMs: number }
  /** The body came slower than `lowSpeedLimit` bytes a second for `lowSpeedTimeMs`. Retryable (R25). */
  | {
      readonly _tag: 'TooSlow';
      readonly bytesPerSecond: number;
      readonly limit: number;
      readonly forMs: number;
    }
  /** An answer status that is not retried (4xx but 408/429), or a 5xx after the retries ran out. */
  | { readonly _tag: 'HttpStatus'; readonly status: number; readonly url: string }
  /** A response that breaks HTTP's range rules (R8, R9): nothing of it was written. */
  | { readonly _tag: 'BadResponse'; readonly reason: string }
  /** The resource changed while `onChange` is `'fail'` (R11, R12, R13). */
  | {
      readonly _tag: 'ResourceChanged';
      readonly reason: string;
      readonly expected: string | null;
      readonly actual: string | null;
    }
  /** A redirect to a forbidden place (R17). */
  | { readonly _tag: 'RedirectRefused'; readonly location: string; readonly message: string }
  /** The server's certificate was refused (untrusted, expired, for another name), or the client's TLS options. Not retried. */
  | { readonly _tag: 'TlsError'; readonly message: string }
  /** The proxy could not be reached, refused the request (407, 403, 502…) or answered CONNECT with garbage. */
  | ProxyFailure
  /** A presigned URL expired (403 after bytes were written) and no `refreshUrl` hook was given or it failed (R18). */
  | { readonly _tag: 'UrlExpired'; readonly url: string }
  /** The `refreshUrl` hook threw or rejected (R18); `message` is its error's, one line. */
  | { readonly _tag: 'RefreshFailed'; readonly message: string }
  /** Size or checksum mismatch at the end (R27). The bytes were discarded. */
  | {
      readonly _tag: 'IntegrityError';
      readonly check: 'length' | HashAlgorithm;
      /** Whose checksum it was: the caller's, or a header of the server's; `null` for the length. */
      readonly source: ChecksumSource | null;
      readonly expected: string;
      readonly actual: string;
    }
  /**
   * The file is larger than `maxFileBytes`: announced so (`size`), or its body of no announced length ran past the
   * limit (`size` `null`). Not retried.
   */
  | { readonly _tag: 'TooLarge'; readonly limit: number; readonly size: number | null }
  /** Another download owns the target (R23). */
  | { readonly _tag: 'TargetBusy'; readonly target: string }
  | { readonly _tag: 'NoSpace'; readonly message: string }
  | { readonly _tag: 'QuotaExceeded'; readonly message: string }
  | { readonly _tag: 'PermissionDenied'; readonly message: string }
  | { readonly _tag: 'IoError'; readonly message: string }
  /** A local file was a link, another user's, or not a regular file: refused and left untouched (R31, R33). */
  | { readonly _tag: 'UnsafePath'; readonly path: string; readonly reason: string }
  /** Retryable failures went on past `retry.retries` retries in a row without a byte: `attempts` is one more. */
  | { readonly _tag: 'RetriesExhausted'; readonly attempts: number; readonly last: DownloadFailure }
  /** The download began again from byte 0 more than `retry.maxRestarts` times in one run (R25). */
  | { readonly _tag: 'TooManyRestarts'; readonly restarts: number; readonly reason: RestartReason }
  /** The caller cancelled: the part file and checkpoint were deleted (R24). */
  | { readonly _tag: 'Cancelled' }
  /** The caller's `signal` aborted: the download stopped as a pause does, its bytes kept (R24). */
  | { readonly _tag: 'Aborted' };

export type FailureTag = DownloadFailure['_tag'];

/** Stable codes, one per failure kind. They never change meaning once published. */
export const failureCodes = {
  InvalidInput: 'ERR_INVALID_INPUT',
  NetworkError: 'ERR_NETWORK',
  Stalled: 'ERR_STALLED',
  TooSlow: 'ERR_TOO_SLOW',
  HttpStatus: 'ERR_HTTP_STATUS',
  BadResponse: 'ERR_BAD_RESPONSE',
  ResourceChanged: 'ERR_RESOURCE_CHANGED',
  RedirectRefused: 'ERR_REDIRECT_REFUSED',
  TlsError: 'ERR_TLS',
  ProxyRefused: 'ERR_PROXY',
  UrlExpired: 'ERR_URL_EXPIRED',
  RefreshFailed: 'ERR_REFRESH_FAILED',
  IntegrityError: 'ERR_INTEGRITY',
  TooLarge: 'ERR_TOO_LARGE',
  TargetBusy: 'ERR_TARGET_BUSY',
  NoSpace: 'ERR_NO_SPACE',
  QuotaExceeded: 'ERR_QUOTA_EXCEEDED',
  PermissionDenied: 'ERR_PERMISSION_DENIED',
  IoError: 'ERR_IO',
  UnsafePath: 'ERR_UNSAFE_PATH',
  RetriesExhausted: 'ERR_RETRIES_EXHAUSTED',
  TooManyRestarts: 'ERR_TOO_MANY_RESTARTS',
  Cancelled: 'ERR_CANCELLED',
  Aborted: 'ERR_ABORTED',
} as const satisfies Record<FailureTag, string>;

export type FailureCode = (typeof failureCodes)[FailureTag];

export const failureCode = (failure: DownloadFailure): FailureCode => failureCodes[failure._tag];

/** Total match over the failure union: the compiler fails when a kind is added and a caller forgets it. */
export const matchFailure =
  <R>(cases: { readonly [K in FailureTag]: (failure: Extract<DownloadFailure, { _tag: K }>) => R }) =>
  (failure: DownloadFailure): R =>
    (cases[failure._tag] as (f: DownloadFailure) => R)(failure);

/**
 * `rate` as a message shows it beside `limit`, which it is under: whole, or with the fewest decimals (3 at most,
 * then cut, not rounded) that keep it under, so that the two never read the same (0.6 B/s, not 1, beside 1 B/s).
 */
const rateUnder = (rate: number, limit: number): string => {
  for (let digits = 0; digits < 3; digits += 1) {
    const shown = rate.toFixed(digits);
    if (Number(shown) < limit) return shown;
  }
  return (Math.floor(rate * 1000) / 1000).toFixed(3);
};

/**
 * One line for a human, with no stack trace (R29). The URLs in failures come redacted from the rules that make them
 * (`storedUrl`, R37), so no signature is in it either.
 */
export const describeFailure: (failure: DownloadFailure) => string = matchFailure({
  InvalidInput: (f) => `invalid ${f.field}: ${f.message}`,
  NetworkError: (f) => `network error: ${f.message}`,
  Stalled: (f) => `no data received for ${Math.round(f.afterMs / 1000)} s`,
  TooSlow: (f) =>
    `the body came at ${rateUnder(f.bytesPerSecond, f.limit)} B/s for ${Math.round(f.forMs / 1000)} s, below the minimum of ${f.limit} B/s`,
  HttpStatus: (f) => `server answered HTTP ${f.status} for ${f.url}`,
  BadResponse: (f) => `server sent an invalid response: ${f.reason}`,
  ResourceChanged: (f) =>
    `the file changed on the server (${f.reason}: expected ${f.expected ?? 'none'}, got ${f.actual ?? 'none'})`,
  RedirectRefused: (f) => `refused redirect to ${f.location}: ${f.message}`,
  TlsError: (f) => `TLS failure: ${f.message}`,
  ProxyRefused: (f) => `proxy ${f.proxy}: ${f.message}`,
  UrlExpired: (f) => `the signed URL expired and no refreshUrl hook gave a new one: ${f.url}`,
  RefreshFailed: (f) => `the refreshUrl hook failed: ${f.message}`,
  IntegrityError: (f) =>
    `${f.check}${f.source === null || f.source === 'caller' ? '' : ` (${f.source})`} mismatch: expected ${f.expected}, got ${f.actual}; the data was discarded`,
  TooLarge: (f) =>
    f.size === null
      ? `the body ran past the limit of ${f.limit} bytes with no length announced`
      : `the file is ${f.size} bytes, over the limit of ${f.limit} bytes`,
  TargetBusy: (f) => `${f.target} is busy: another download of it is running`,
  NoSpace: (f) => `no space left on the device: ${f.message}`,
  QuotaExceeded: (f) => `storage quota exceeded: ${f.message}`,
  PermissionDenied: (f) => `permission denied: ${f.message}`,
  IoError: (f) => `storage error: ${f.message}`,
  UnsafePath: (f) => `refused to use ${f.path}: ${f.reason}`,
  RetriesExhausted: (f) =>
    `gave up after ${f.attempts} ${f.attempts === 1 ? 'attempt' : 'attempts'}: ${describeFailure(f.last)}`,
  TooManyRestarts: (f) => `began again from byte 0 ${f.restarts} times in one run (last: ${f.reason})`,
  Cancelled: () => 'the download was cancelled',
  Aborted: () => 'the download was aborted; its bytes are kept for a later start',
});

export const fromHttpFailure = (failure: HttpFailure): DownloadFailure => {
  switch (failure._tag) {
    case 'NetworkError':
      return failure;
    case 'RedirectRefused':
      return failure;
    case 'TlsError':
      return failure;
    case 'BadResponse':
      return failure;
    case 'ProxyRefused':
      return failure;
    case 'Aborted':
      return { _tag: 'NetworkError', message: 'request aborted' };
  }
};

/**
 * Failures of a request that asking again, or with GET, cannot cure: a refused redirect (R17) or certificate, an
 * answer that breaks HTTP's framing (R36), a proxy's refusal or garbled answer that is not passing
 * (`isPassingProxyFailure`).
 */
export const isFinal = (failure: HttpFailure): boolean =>
  failure._tag === 'RedirectRefused' ||
  failure._tag === 'TlsError' ||
  failure._tag === 'BadResponse' ||
  (failure._tag === 'ProxyRefused' && !isPassingProxyFailure(failure));

/**
 * Whether a proxy's failure may pass (R25): a proxy that cannot be reached (a dropped network takes it away as it
 * takes a server), or that answered 502, 503 or 504 (it could not reach the origin, or is overloaded: what a 5xx
 * of the origin is). A 407 (credentials missing or refused), a 403 (its policy) or any other refusal, and a garbled
 * answer, come back the same when asked again: final.
 */
export const isPassingProxyFailure = (failure: ProxyFailure): boolean =>
  failure.reason === 'unreachable' ||
  (failure.reason === 'refused' && failure.status !== null && [502, 503, 504].includes(failure.status));

export const fromStorageFailure = (failure: StorageFailure): DownloadFailure => failure;
