/** How a `LieContentRange` fault bends the Content-Range of a 206 (R8, R9). */
export type ContentRangeLie =
  /** An honest answer for another range than asked: it starts one byte off (R9). */
  | 'wrongStart'
  /** The header names another total than the resource's (R9: the resource changed). */
  | 'wrongTotal'
  /** `bytes b-a/total` with `b < a` (R8). */
  | 'reversed'
  /** `bytes a-total/total`: the last byte is past the end (R8). */
  | 'pastTotal'
  /** No Content-Range at all (R8). */
  | 'missing'
  /** Not `bytes a-b/total` syntax (R8). */
  | 'malformed';

/**
 * One way for `MemoryServer` to misbehave on one request, every way the resume rules (docs/resume-rules.md) name. A request takes the first
 * queued entry that matches it; an entry may hold several faults (e.g. a lie and a cut).
 */
export type Fault =
  /** No response head: the request resolves `Left(NetworkError)` (R25). */
  | { readonly _tag: 'NetworkError'; readonly message: string }
  /** No response head until the request is aborted, then `Left(Aborted)`. */
  | { readonly _tag: 'NoResponse' }
  /** The body iterator rejects (a cut connection) after `afterBytes` bytes (R10, R25, R26). */
  | { readonly _tag: 'CutBody'; readonly afterBytes: number }
  /** The body yields `afterBytes` bytes, then nothing until the request is aborted (R25: stall). */
  | { readonly _tag: 'Stall'; readonly afterBytes: number }
  /** Answer this status instead (5xx, 408, 429, 403, 405, 412, 416…), with an optional Retry-After (R25). */
  | {
      readonly _tag: 'Status';
      readonly status: number;
      readonly retryAfter: string | null;
      readonly headers: Readonly<Record<string, string>>;
    }
  /** Ignore Range (and If-Range): 200 with the full body (R7). */
  | { readonly _tag: 'IgnoreRange' }
  | { readonly _tag: 'LieContentRange'; readonly lie: ContentRangeLie }
  /** Answer a single range as multipart/byteranges (R8). */
  | { readonly _tag: 'Multipart' }
  /** The body ends cleanly `missing` bytes early, headers unchanged (R10). */
  | { readonly _tag: 'ShortBody'; readonly missing: number }
  /** The body goes on `extra` bytes past what Content-Range says (R10). */
  | { readonly _tag: 'LongBody'; readonly extra: number }
  /** Before answering, the resource becomes a new version with a new ETag (R11, R13). */
  | { readonly _tag: 'ChangeResource'; readonly content: Uint8Array | null }
  /** This answer's ETag is sent weak (R2). */
  | { readonly _tag: 'WeakEtag' }
  /** This answer has no ETag. */
  | { readonly _tag: 'NoEtag' }
  /** This answer's representation is gzip-encoded (R5). */
  | { readonly _tag: 'Gzip' }
  /** Answer a redirect to `location` (R17). */
  | { readonly _tag: 'Redirect'; readonly status: 301 | 302 | 303 | 307 | 308; readonly location: string }
  /** This answer's chunks each wait `delayMs` on the clock (a slow connection among fast ones). */
  | { readonly _tag: 'Pace'; readonly delayMs: number }
  /** Set (or, with `null`, remove) response headers. */
  | { readonly _tag: 'SetHeaders'; readonly headers: Readonly<Record<string, string | null>> };

/** Constructors of every fault, with defaults. */
export const fault = {
  networkError: (message = 'connection reset'): Fault => ({ _tag: 'NetworkError', message }),
  noResponse: (): Fault => ({ _tag: 'NoResponse' }),
  cutBody: (afterBytes: number): Fault => ({ _tag: 'CutBody', afterBytes }),
  stall: (afterBytes = 0): Fault => ({ _tag: 'Stall', afterBytes }),
  status: (
    status: number,
    options: { readonly retryAfter?: string; readonly headers?: Readonly<Record<string, string>> } = {},
  ): Fault => ({
    _tag: 'Status',
    status,
    retryAfter: options.retryAfter ?? null,
    headers: options.headers ?? {},
  }),
  ignoreRange: (): Fault => ({ _tag: 'IgnoreRange' }),
  lieContentRange: (lie: ContentRangeLie): Fault => ({ _tag: 'LieContentRange', lie }),
  multipart: (): Fault => ({ _tag: 'Multipart' }),
  shortBody: (missing: number): Fault => ({ _tag: 'ShortBody', missing }),
  longBody: (extra: number): Fault => ({ _tag: 'LongBody', extra }),
  /** Default content: the current bytes with every byte changed, same length, so a mix is visible. */
  changeResource: (content: Uint8Array | null = null): Fault => ({ _tag: 'ChangeResource', content }),
  weakEtag: (): Fault => ({ _tag: 'WeakEtag' }),
  pace: (delayMs: number): Fault => ({ _tag: 'Pace', delayMs }),
  noEtag: (): Fault => ({ _tag: 'NoEtag' }),
  gzip: (): Fault => ({ _tag: 'Gzip' }),
  redirect: (location: string, status: 301 | 302 | 303 | 307 | 308 = 302): Fault => ({
    _tag: 'Redirect',
    status,
    location,
  }),
  setHeaders: (headers: Readonly<Record<string, string | null>>): Fault => ({ _tag: 'SetHeaders', headers }),
} as const;

/** Which requests a queued fault applies to. */
export interface FaultMatch {
  readonly method?: 'HEAD' | 'GET';
  /** The exact URL of the request (after redirects, the URL of that hop). */
  readonly url?: string;
  /** Only requests with a `Range` header (`true`), or only those without (`false`). Default: both. */
  readonly ranged?: boolean;
  /** How many matching requests it hits. Default 1; `Infinity` for all. */
  readonly times?: number;
}
