import type { AbortSignalLike } from '../ports/abort.js';

/** Retry policy for passing failures (R25). */
export interface RetryOptions {
  /**
   * Retries in a row without a new byte before giving up: `n` retries are `n + 1` attempts (0: one attempt, no
   * retry). Default 8.
   */
  readonly retries?: number;
  /** First backoff delay in ms. Default 500. */
  readonly minDelayMs?: number;
  /** Cap of one backoff delay in ms, `Retry-After` included. Default 30 000. */
  readonly maxDelayMs?: number;
  /** Growth of the delay between attempts. Default 2. */
  readonly factor?: number;
  /** Restarts from byte 0 allowed in one run (a changed resource, a server ignoring Range…). Default 8. */
  readonly maxRestarts?: number;
}

/** New URLs for a download whose presigned URL expired (R18). */
export interface RefreshedUrls {
  readonly url: string;
  readonly headUrl?: string;
}

/** What the caller asks for. Everything but `url` and `target` has a default. */
export interface DownloadOptions {
  /** The http(s) URL of the resource. */
  readonly url: string;
  /** The URL of the probe (HEAD). Default: `url`. Presigned URLs sign HEAD and GET apart (R16). */
  readonly headUrl?: string;
  /** Where the file goes, in the storage's namespace (a path in Node, a file name in OPFS). */
  readonly target: string;
  /** What to do when the resource changed under a partial download (R11). Default `'restart'`. */
  readonly onChange?: 'restart' | 'fail';
  readonly retry?: RetryOptions;
  /** A body that sends no byte for this long is cut and retried (R25). Default 30 000 ms. */
  readonly stallTimeoutMs?: number;
  /**
   * How long `refreshUrl` may take to answer before the download fails with `ERR_REFRESH_FAILED` (R18): a hook
   * that never settles would hold the download, its lock and files, for ever. Its own bound, since signing again
   * can take longer than a body may go silent. Default `stallTimeoutMs`.
   */
  readonly refreshTimeoutMs?: number;
  /**
   * A body slower than this many bytes a second, on average over `lowSpeedTimeMs`, is cut and retried (R25), as
   * curl's `--speed-limit` does. Default 0: off.
   */
  readonly lowSpeedLimit?: number;
  /** The window of `lowSpeedLimit`. Default 30 000 ms. */
  readonly lowSpeedTimeMs?: number;
  /**
   * The most bytes a second the download reads, over all its connections (R44), as curl's `--limit-rate`;
   * `Download.setRateLimit` changes it while it runs. At least `lowSpeedLimit`, which it would otherwise trip.
   * Default none.
   */
  readonly maxBytesPerSecond?: number;
  /**
   * The largest file the download accepts, in bytes, as curl's `--max-filesize`: a probe or an answer that
   * announces more fails with `ERR_TOO_LARGE` before a byte of it is written; a body of no announced length is cut
   * when it runs past it (the bytes up to the limit stay, as after any failure). Default none.
   */
  readonly maxFileBytes?: number;
  /** The expected SHA-256 of the whole file, hex; checked before the file appears (R27). */
  readonly expectedSha256?: string;
  /** The expected MD5 of the whole file, hex (R27). */
  readonly expectedMd5?: string;
  /** Compute the SHA-256 of the finished file and return it, even without `expectedSha256`. Default false. */
  readonly computeSha256?: boolean;
  /**
   * Extra request headers (authorization…), sent on every request to the origin of `url`. At another origin (a
   * redirect, R17, R37) only `user-agent`, `accept` and `accept-language` go on: any other may be a secret. A plain
   * object: a `Headers` or a `Map` is refused (`ERR_INVALID_INPUT`), its entries being no fields of it.
   */
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * Send `If-Range`/`If-Match`. Default true. Set to false where a conditional header would cost a CORS preflight
   * the server does not allow; core then compares the validators of each answer itself before writing (R6).
   */
  readonly conditionalRequests?: boolean;
  /** Save a checkpoint at least this often while bytes arrive. Default 1 000 ms. */
  readonly checkpointIntervalMs?: number;
  /** Buffer this many bytes before one storage write. Default 1 MiB. */
  readonly writeBufferBytes?: number;
  /**
   * Connections per file, fixed (`rdl -x N`). Default: adaptive, from one up to `maxConnections`, adding more while
   * they add speed (R43). A resource that is small, has no strong validator (R4), or answers a range with 200 stays
   * on one.
   */
  readonly connections?: number;
  /** The most connections the adaptive count may reach. Default 16. */
  readonly maxConnections?: number;
  /** A segment is never split into pieces smaller than this. Default 1 MiB. */
  readonly minSegmentBytes?: number;
  /**
   * Aborting it stops the download as `pause()` does (its bytes and checkpoint stay for a later start); `result`
   * then rejects with `ERR_ABORTED`, whose `cause` is the signal's reason. Default none.
   */
  readonly signal?: AbortSignalLike;
  /**
   * The caller's hook for presigned URLs (R18): asked for new URLs when a 403 answers a download that holds bytes;
   * the download goes on from its checkpoint with them. Default none (such a 403 is `ERR_URL_EXPIRED`).
   */
  readonly refreshUrl?: RefreshUrl;
  /**
   * Follow a redirect from https to http (R37). Default false: such a redirect fails with `ERR_REDIRECT_REFUSED`,
   * so that an https download never goes on in clear. The adapters' `createDownload` give it to the HTTP port they
   * make; a port passed in `ports` follows its own option of that name.
   */
  readonly allowHttpsDowngrade?: boolean;
}

/** Signs a URL again: the expired one and the status that said so in, fresh URLs out (R18). */
export type RefreshUrl = (expired: {
  readonly url: string;
  readonly status: number;
}) => Promise<RefreshedUrls>;

/** Options with every default filled in: what the machine keeps in its (JSON) context. */
export interface ResolvedOptions {
  readonly url: string;
  readonly headUrl: string;
  readonly target: string;
  readonly onChange: 'restart' | 'fail';
  readonly retry: Required<RetryOptions>;
  readonly stallTimeoutMs: number;
  readonly refreshTimeoutMs: number;
  readonly lowSpeedLimit: number;
  readonly lowSpeedTimeMs: number;
  /** `null`: no limit. */
  readonly maxBytesPerSecond: number | null;
  /** `null`: no limit. */
  readonly maxFileBytes: number | null;
  readonly expectedSha256: string | null;
  readonly expectedMd5: string | null;
  readonly computeSha256: boolean;
  readonly headers: Readonly<Record<string, string>>;
  readonly conditionalRequests: boolean;
  readonly checkpointIntervalMs: number;
  readonly writeBufferBytes: number;
  readonly segments: SegmentOptions;
  readonly allowHttpsDowngrade: boolean;
}

export const defaultRetry: Required<RetryOptions> = {
  retries: 8,
  minDelayMs: 500,
  maxDelayMs: 30_000,
  factor: 2,
  maxRestarts: 8,
};

/** Default `stallTimeoutMs`. */
export const DEFAULT_STALL_TIMEOUT_MS = 30_000;
/** Default `lowSpeedTimeMs`. */
export const DEFAULT_LOW_SPEED_TIME_MS = 30_000;
/** Default `checkpointIntervalMs`. */
export const DEFAULT_CHECKPOINT_INTERVAL_MS = 1_000;
/** The connection policy of a segmented download (R41–R43), resolved. */
export interface SegmentOptions {
  /** `connections`, `null` for adaptive. */
  readonly fixed: number | null;
  readonly max: number;
  readonly minSplitBytes: number;
}

/** The most connections one file may use, fixed or adaptive. */
export const MAX_CONNECTIONS = 64;
/** Default `maxConnections`. */
export const DEFAULT_MAX_CONNECTIONS = 16;
/** Default `minSegmentBytes`: 1 MiB. */
export const DEFAULT_MIN_SEGMENT_BYTES = 1_048_576;

/** Default `writeBufferBytes`: 1 MiB. */
export const DEFAULT_WRITE_BUFFER_BYTES = 1_048_576;
