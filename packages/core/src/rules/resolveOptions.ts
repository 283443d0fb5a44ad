import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import type { DownloadFailure } from '../model/failure.js';
import {
  DEFAULT_CHECKPOINT_INTERVAL_MS,
  DEFAULT_LOW_SPEED_TIME_MS,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MIN_SEGMENT_BYTES,
  DEFAULT_STALL_TIMEOUT_MS,
  DEFAULT_WRITE_BUFFER_BYTES,
  type DownloadOptions,
  defaultRetry,
  MAX_CONNECTIONS,
  type ResolvedOptions,
  type RetryOptions,
  type SegmentOptions,
} from '../model/options.js';
import { isHttpUrl, parseUrl, urlTooLong } from '../model/url.js';
import { RESERVED_HEADERS } from './dataRequest.js';
import { redactSignatures } from './signedUrl.js';
import { basicAuthorization, type SplitUrl, splitUserinfo, unparsedUrlShown } from './urlCredentials.js';

type Check<T> = E.Either<DownloadFailure, T>;

const invalid = (field: string, message: string): Check<never> =>
  E.left({ _tag: 'InvalidInput', field, message });

/** An absolute http(s) URL, split from its userinfo (R37): no message quotes the password or a signature. */
const httpUrl = (field: string, value: unknown): Check<SplitUrl> => {
  if (typeof value !== 'string' || value.trim() === '')
    return invalid(field, 'must be a non-empty URL string');
  const tooLong = urlTooLong(value);
  if (tooLong !== null) return invalid(field, tooLong);
  const parsed = parseUrl(value);
  if (parsed === null) return invalid(field, `not a URL: ${redactSignatures(unparsedUrlShown(value))}`);
  if (!isHttpUrl(parsed))
    return invalid(field, `unsupported scheme ${parsed.protocol} (only http and https)`);
  return pipe(
    splitUserinfo(value),
    E.mapLeft((reason): DownloadFailure => ({ _tag: 'InvalidInput', field, message: reason })),
  );
};

const originOf = (url: string): string | null => parseUrl(url)?.origin ?? null;

/**
 * The caller's headers, plus HTTP Basic from a password in `url` or `headUrl` as curl sends it (R37), unless the
 * caller gave an `Authorization` of their own. Credentials go to one origin: `url`'s and `headUrl`'s must then be
 * the same, with the same credentials, since the probe and the data requests carry the same headers.
 */
const withUrlCredentials = (
  url: SplitUrl,
  headUrl: SplitUrl,
  headers: Readonly<Record<string, string>>,
): Check<Readonly<Record<string, string>>> => {
  const credentials = url.credentials ?? headUrl.credentials;
  if (credentials === null) return E.right(headers);
  if (url.credentials !== null && headUrl.credentials !== null && url.credentials !== headUrl.credentials) {
    return invalid('headUrl', 'holds other credentials than url');
  }
  if (originOf(url.url) !== originOf(headUrl.url)) {
    return invalid(
      'headUrl',
      'a password in a URL goes to that origin only, and headUrl is at another one: pass an Authorization header',
    );
  }
  if (Object.keys(headers).some((name) => name.toLowerCase() === 'authorization')) return E.right(headers);
  return E.right({ ...headers, authorization: basicAuthorization(credentials) });
};

/**
 * The longest time a timer holds (2^31 - 1 ms, some 24.8 days): a longer one fires at once in every JavaScript
 * runtime, so a stall timeout of 30 days would cut every connection in a millisecond. Times past it are refused.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

const number = (
  field: string,
  value: unknown,
  fallback: number,
  rule: { readonly min: number; readonly integer: boolean; readonly max?: number },
): Check<number> => {
  if (value === undefined) return E.right(fallback);
  if (typeof value !== 'number' || !Number.isFinite(value)) return invalid(field, 'must be a finite number');
  if (rule.integer && !Number.isSafeInteger(value)) return invalid(field, 'must be an integer');
  if (value < rule.min) return invalid(field, `must be at least ${rule.min}`);
  if (rule.max !== undefined && value > rule.max) return invalid(field, `must be at most ${rule.max}`);
  return E.right(value);
};

const bool = (field: string, value: unknown, fallback: boolean): Check<boolean> =>
  value === undefined
    ? E.right(fallback)
    : typeof value === 'boolean'
      ? E.right(value)
      : invalid(field, 'must be a boolean');

const hex = (field: string, value: unknown, digits: number): Check<string | null> => {
  if (value === undefined) return E.right(null);
  if (typeof value !== 'string' || !new RegExp(`^[0-9a-fA-F]{${digits}}$`).test(value)) {
    return invalid(field, `must be ${digits} hex digits`);
  }
  return E.right(value.toLowerCase());
};

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** The most characters of header names and values a download sends (R30). */
export const MAX_HEADERS_CHARS = 32 * 1024;

/** Why `headers` are too long to send, or `null`: their names and values over `MAX_HEADERS_CHARS` in all. */
export const headersTooLong = (headers: Readonly<Record<string, string>>): string | null => {
  let size = 0;
  for (const [name, value] of Object.entries(headers)) size += name.length + value.length;
  return size > MAX_HEADERS_CHARS
    ? `${size} characters of headers, more than the ${MAX_HEADERS_CHARS} rdl sends`
    : null;
};

const headerMap = (value: unknown): Check<Readonly<Record<string, string>>> => {
  if (value === undefined) return E.right({});
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return invalid('headers', 'must be an object of header names to strings');
  }
  // A `Headers` or a `Map` has no fields of its own: read as a record, every header would go unsent without a word.
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== null && Object.getPrototypeOf(proto) !== null) {
    return invalid(
      'headers',
      'must be a plain object of header names to strings, not a class instance (a Headers or a Map: Object.fromEntries(it))',
    );
  }
  const out: Record<string, string> = {};
  for (const [name, v] of Object.entries(value)) {
    if (!TOKEN.test(name)) return invalid('headers', `invalid header name ${JSON.stringify(name)}`);
    // Its own fields only: `constructor` or `toString` is a header name like any other, not Object's. `__proto__`
    // is refused by name: every record of headers on the way would take it for their prototype and drop it unsaid.
    const key = name.toLowerCase();
    if (Object.hasOwn(RESERVED_HEADERS, key)) {
      return invalid('headers', `rdl sets ${name} itself: ${RESERVED_HEADERS[key]}`);
    }
    if (key === '__proto__') return invalid('headers', 'a header named __proto__ cannot be sent');
    if (typeof v !== 'string' || /[\r\n\0]/.test(v)) {
      return invalid('headers', `header ${name} must be a string without line breaks`);
    }
    out[name] = v;
  }
  // As servers bound a request's head (nginx: 4 × 8 KiB), and so that a queue's record of it stays readable (R45).
  const tooLong = headersTooLong(out);
  if (tooLong !== null) return invalid('headers', tooLong);
  return E.right(out);
};

/** The retry policy with its defaults (R25), each value checked. */
const resolveRetry = (value: unknown): Check<Required<RetryOptions>> => {
  const raw = (value ?? {}) as Record<string, unknown>;
  if (typeof raw !== 'object' || raw === null) return invalid('retry', 'must be an object');
  return pipe(
    E.Do,
    E.bind('retries', () =>
      number('retry.retries', raw.retries, defaultRetry.retries, { min: 0, integer: true }),
    ),
    E.bind('minDelayMs', () =>
      number('retry.minDelayMs', raw.minDelayMs, defaultRetry.minDelayMs, {
        min: 0,
        integer: false,
        max: MAX_TIMER_MS,
      }),
    ),
    E.bind('maxDelayMs', ({ minDelayMs }) =>
      number('retry.maxDelayMs', raw.maxDelayMs, Math.max(defaultRetry.maxDelayMs, minDelayMs), {
        min: minDelayMs,
        integer: false,
        max: MAX_TIMER_MS,
      }),
    ),
    E.bind('factor', () =>
      number('retry.factor', raw.factor, defaultRetry.factor, { min: 1, integer: false }),
    ),
    E.bind('maxRestarts', () =>
      number('retry.maxRestarts', raw.maxRestarts, defaultRetry.maxRestarts, { min: 0, integer: true }),
    ),
  );
};

/**
 * A rate limit (R44): a number of bytes a second, at least 1, or none. Under `lowSpeedLimit` it would make every body
 * "too slow" and cut it again and again: refused, naming both.
 */
export const rateLimit = (value: unknown, lowSpeedLimit: number): Check<number | null> => {
  if (value === undefined || value === null) return E.right(null);
  // Under 1 byte a second the wait for the next byte passes what a timer can hold (2^31 ms), which fires at once.
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 1)
    return invalid('maxBytesPerSecond', 'must be at least 1 byte a second');
  if (value < lowSpeedLimit)
    return invalid(
      'maxBytesPerSecond',
      `${value} is below lowSpeedLimit ${lowSpeedLimit}, which it would trip`,
    );
  return E.right(value);
};

/**
 * The connection policy (R43): a fixed count, or adaptive up to a cap; every value an integer of at least 1, and no
 * count above `MAX_CONNECTIONS` (a typo of `-x 1000` is refused, not 1 000 sockets opened to one server).
 */
const resolveSegments = (raw: Record<string, unknown>): Check<SegmentOptions> =>
  pipe(
    E.Do,
    E.bind('fixed', () =>
      raw.connections === undefined
        ? E.right(null)
        : number('connections', raw.connections, 1, { min: 1, integer: true, max: MAX_CONNECTIONS }),
    ),
    E.bind('max', ({ fixed }) =>
      number('maxConnections', raw.maxConnections, Math.max(DEFAULT_MAX_CONNECTIONS, fixed ?? 1), {
        min: fixed ?? 1,
        integer: true,
        max: MAX_CONNECTIONS,
      }),
    ),
    E.bind('minSplitBytes', () =>
      number('minSegmentBytes', raw.minSegmentBytes, DEFAULT_MIN_SEGMENT_BYTES, { min: 1, integer: true }),
    ),
  );

/**
 * Why `target` may not be a download's target (R19, R23, R30), or `null`: a last name ending in `.part` is where
 * another download (of the name without it) keeps its bytes; finished over them, that download would go on from
 * this one's file. `targetNameProblem` asks it of every target.
 */
export const partNameProblem = (target: string): string | null =>
  /\.part$/.test(target.split(/[/\\]/).at(-1) ?? '')
    ? `${JSON.stringify(target)} ends in .part, the name of the part file of another download: choose another name`
    : null;

/**
 * Why `name` (a target, a folder given for targets) cannot name a file or folder (R23, R30, R31), or `null`: text
 * that is no well-formed UTF-16 (an unpaired surrogate, U+D800 to U+DFFF) is stored by the file system as U+FFFD,
 * Chromium's OPFS and Node's fs alike, while a lock and a checkpoint keep the string as given: `s\uD800x` and
 * `s\uDBFFx` would be one file with two owners and two checkpoints.
 */
export const unpairedSurrogateProblem = (name: string): string | null => {
  const lone = /\p{Surrogate}/u.exec(name);
  if (lone === null) return null;
  const code = lone[0].charCodeAt(0).toString(16).toUpperCase();
  return `${JSON.stringify(name)} holds an unpaired surrogate (U+${code}), no character of a file name: it would be stored as U+FFFD, the name of another file`;
};

/**
 * Why `target` may not be a download's target, or `null`: `unpairedSurrogateProblem`, then `partNameProblem`. Each
 * adapter asks it of a target before it makes anything; `resolveOptions` asks it of every download.
 */
export const targetNameProblem = (target: string): string | null =>
  unpairedSurrogateProblem(target) ?? partNameProblem(target);

/**
 * Fills the defaults and checks what core can check before any request (R30): URLs are absolute http(s), the target
 * is a non-empty string, numbers are finite and in range (`retries`, `maxRestarts` and `writeBufferBytes` integers,
 * `maxDelayMs >= minDelayMs`, `factor >= 1`, `stallTimeoutMs > 0`, `refreshTimeoutMs > 0`), checksums are hex, headers are valid. The
 * adapters check paths. Values are checked at run time too, for callers without TypeScript.
 *
 * A password in a URL (`https://user:pass@host/…`, R37) is supported as curl does: the URL without its userinfo is
 * what is requested, kept in the checkpoint and reported; `user:pass` becomes an `Authorization: Basic` header
 * beside the caller's (theirs wins), which, like every credential, never goes to another origin (`redirectStep`).
 */
export const resolveOptions = (input: DownloadOptions): E.Either<DownloadFailure, ResolvedOptions> => {
  const raw = input as unknown as Record<string, unknown>;
  if (typeof raw !== 'object' || raw === null) return invalid('options', 'must be an object');
  // Each check in turn, the first failure returned: the options of every item of a list pass through here, and
  // `E.Do` with a bind a field copied its record twenty times over (a tenth of what a list's set-up allocated).
  const url = httpUrl('url', raw.url);
  if (E.isLeft(url)) return url;
  const headUrl = raw.headUrl === undefined ? url : httpUrl('headUrl', raw.headUrl);
  if (E.isLeft(headUrl)) return headUrl;
  if (typeof raw.target !== 'string' || raw.target === '')
    return invalid('target', 'must be a non-empty string');
  const target = raw.target;
  const nameProblem = targetNameProblem(target);
  if (nameProblem !== null) return invalid('target', nameProblem);
  if (raw.onChange !== undefined && raw.onChange !== 'restart' && raw.onChange !== 'fail') {
    return invalid('onChange', "must be 'restart' or 'fail'");
  }
  const onChange = (raw.onChange ?? 'restart') as 'restart' | 'fail';
  const retry = resolveRetry(raw.retry);
  if (E.isLeft(retry)) return retry;
  const stallTimeoutMs = number('stallTimeoutMs', raw.stallTimeoutMs, DEFAULT_STALL_TIMEOUT_MS, {
    min: 1,
    integer: false,
    max: MAX_TIMER_MS,
  });
  if (E.isLeft(stallTimeoutMs)) return stallTimeoutMs;
  const refreshTimeoutMs = number('refreshTimeoutMs', raw.refreshTimeoutMs, stallTimeoutMs.right, {
    min: 1,
    integer: false,
    max: MAX_TIMER_MS,
  });
  if (E.isLeft(refreshTimeoutMs)) return refreshTimeoutMs;
  const lowSpeedLimit = number('lowSpeedLimit', raw.lowSpeedLimit, 0, { min: 0, integer: false });
  if (E.isLeft(lowSpeedLimit)) return lowSpeedLimit;
  const lowSpeedTimeMs = number('lowSpeedTimeMs', raw.lowSpeedTimeMs, DEFAULT_LOW_SPEED_TIME_MS, {
    min: 1,
    integer: false,
    max: MAX_TIMER_MS,
  });
  if (E.isLeft(lowSpeedTimeMs)) return lowSpeedTimeMs;
  const maxBytesPerSecond = rateLimit(raw.maxBytesPerSecond, lowSpeedLimit.right);
  if (E.isLeft(maxBytesPerSecond)) return maxBytesPerSecond;
  const maxFileBytes =
    raw.maxFileBytes === undefined
      ? E.right(null)
      : number('maxFileBytes', raw.maxFileBytes, 0, { min: 0, integer: true });
  if (E.isLeft(maxFileBytes)) return maxFileBytes;
  const expectedSha256 = hex('expectedSha256', raw.expectedSha256, 64);
  if (E.isLeft(expectedSha256)) return expectedSha256;
  const expectedMd5 = hex('expectedMd5', raw.expectedMd5, 32);
  if (E.isLeft(expectedMd5)) return expectedMd5;
  const computeSha256 = bool('computeSha256', raw.computeSha256, false);
  if (E.isLeft(computeSha256)) return computeSha256;
  const given = headerMap(raw.headers);
  if (E.isLeft(given)) return given;
  const headers = withUrlCredentials(url.right, headUrl.right, given.right);
  if (E.isLeft(headers)) return headers;
  const allowHttpsDowngrade = bool('allowHttpsDowngrade', raw.allowHttpsDowngrade, false);
  if (E.isLeft(allowHttpsDowngrade)) return allowHttpsDowngrade;
  const conditionalRequests = bool('conditionalRequests', raw.conditionalRequests, true);
  if (E.isLeft(conditionalRequests)) return conditionalRequests;
  const checkpointIntervalMs = number(
    'checkpointIntervalMs',
    raw.checkpointIntervalMs,
    DEFAULT_CHECKPOINT_INTERVAL_MS,
    { min: 0, integer: false, max: MAX_TIMER_MS },
  );
  if (E.isLeft(checkpointIntervalMs)) return checkpointIntervalMs;
  const writeBufferBytes = number('writeBufferBytes', raw.writeBufferBytes, DEFAULT_WRITE_BUFFER_BYTES, {
    min: 1,
    integer: true,
  });
  if (E.isLeft(writeBufferBytes)) return writeBufferBytes;
  const segments = resolveSegments(raw);
  if (E.isLeft(segments)) return segments;
  return E.right({
    url: url.right.url,
    headUrl: headUrl.right.url,
    target,
    onChange,
    retry: retry.right,
    stallTimeoutMs: stallTimeoutMs.right,
    refreshTimeoutMs: refreshTimeoutMs.right,
    lowSpeedLimit: lowSpeedLimit.right,
    lowSpeedTimeMs: lowSpeedTimeMs.right,
    maxBytesPerSecond: maxBytesPerSecond.right,
    maxFileBytes: maxFileBytes.right,
    expectedSha256: expectedSha256.right,
    expectedMd5: expectedMd5.right,
    computeSha256: computeSha256.right,
    headers: headers.right,
    conditionalRequests: conditionalRequests.right,
    checkpointIntervalMs: checkpointIntervalMs.right,
    writeBufferBytes: writeBufferBytes.right,
    segments: segments.right,
    allowHttpsDowngrade: allowHttpsDowngrade.right,
  });
};
