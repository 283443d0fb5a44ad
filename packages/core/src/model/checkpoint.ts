/**
 * The validators a server gave for one version of a resource, kept verbatim (R1). `date` is the response's `Date`,
 * needed to judge whether `lastModified` is strong (R3).
 */
export interface Validators {
  readonly etag: string | null;
  readonly lastModified: string | null;
  readonly date: string | null;
}

/** A half-open byte range `[start, end)`. */
export type ByteRange = readonly [start: number, end: number];

export const CHECKPOINT_VERSION = 1;

/**
 * What a download has durably on storage: which version of which resource, and which bytes of it. Only bytes that
 * were flushed before this record was saved are counted (R20). `ranges` is sorted, disjoint and merged; a single
 * stream has at most one range `[0, n)`, segmented downloads have several, with no change of format.
 */
export interface Checkpoint {
  readonly version: typeof CHECKPOINT_VERSION;
  /** The URL the caller gave (R17), not the one redirects led to. */
  readonly url: string;
  /**
   * Where its bytes came from, as `storedUrl` writes it: the URL the data requests went to, after the probe's
   * redirects, or the URL a `refreshUrl` hook gave. Bytes are resumed from another only under one strong ETag
   * (planStart): a redirect that now leads elsewhere, or a refreshed URL that names another object, may give one of
   * the same size and date. Absent from a checkpoint written before it was kept.
   */
  readonly source?: string;
  readonly validators: Validators;
  /** The full length of the resource, `null` when the server did not tell (R15). */
  readonly totalLength: number | null;
  readonly ranges: readonly ByteRange[];
}
