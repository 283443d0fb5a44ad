import type { Validators } from '../model/checkpoint.js';
import type { HeaderMap } from '../ports/HttpPort.js';

/** The validators of an answer, verbatim (R1). A missing header is `null`. */
export const extractValidators = (headers: HeaderMap): Validators => ({
  etag: headers.etag ?? null,
  lastModified: headers['last-modified'] ?? null,
  date: headers.date ?? null,
});

/** Validators of nothing: what a checkpoint holds when the answer cannot be resumed (R5). */
export const noValidators: Validators = { etag: null, lastModified: null, date: null };

/**
 * Whether `etag` is weak (`W/"…"`, RFC 9110 §8.8.3). `w/` is accepted as weak too: a tag that might be weak is
 * never trusted for resume.
 */
export const isWeakEtag = (etag: string): boolean => /^\s*w\//i.test(etag);

const ENTITY_TAG = /^(W\/)?"([\x21\x23-\x7e\x80-\xff]*)"$/i;

/** The opaque part of a well-formed entity-tag (weak or strong), or `null` for a malformed one. */
const opaqueTag = (etag: string): string | null => ENTITY_TAG.exec(etag.trim())?.[2] ?? null;

/**
 * The ETag when it is strong and well-formed (`"…"`), for `If-Range`/`If-Match` (R2); `null` for a weak, malformed
 * (unquoted, or several joined by `, `) or missing one.
 */
export const strongEtag = (v: Validators): string | null => {
  if (v.etag === null || isWeakEtag(v.etag)) return null;
  return opaqueTag(v.etag) === null ? null : v.etag.trim();
};

const MONTHS = 'Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec';
const IMF_FIXDATE = new RegExp(`^[A-Z][a-z]{2}, \\d{2} (${MONTHS}) \\d{4} \\d{2}:\\d{2}:\\d{2} GMT$`);
const RFC850 = new RegExp(`^[A-Z][a-z]+, \\d{2}-(${MONTHS})-\\d{2} \\d{2}:\\d{2}:\\d{2} GMT$`);
const ASCTIME = new RegExp(`^[A-Z][a-z]{2} (${MONTHS}) [ \\d]\\d \\d{2}:\\d{2}:\\d{2} \\d{4}$`);

/**
 * Milliseconds since the epoch of an HTTP-date (RFC 9110 §5.6.7: IMF-fixdate, and the obsolete RFC 850 and asctime
 * forms), or `null`. Other text is refused rather than guessed at by `Date.parse`.
 */
export const parseHttpDate = (value: string | null | undefined): number | null => {
  if (value === null || value === undefined) return null;
  const text = value.trim();
  let ms = Number.NaN;
  if (IMF_FIXDATE.test(text) || RFC850.test(text)) ms = Date.parse(text);
  else if (ASCTIME.test(text)) ms = Date.parse(`${text.replace(/ +/g, ' ')} GMT`);
  return Number.isFinite(ms) ? ms : null;
};

/** How much older than the answer's `Date` a `Last-Modified` must be to count as strong (RFC 9110 §8.8.2.2). */
export const STRONG_DATE_MARGIN_MS = 60_000;

/** `Last-Modified` verbatim when it is at least 60 s older than `Date` (R3), else `null`. */
export const strongLastModified = (v: Validators): string | null => {
  const modified = parseHttpDate(v.lastModified);
  const date = parseHttpDate(v.date);
  if (modified === null || date === null) return null;
  return date - modified >= STRONG_DATE_MARGIN_MS ? v.lastModified : null;
};

/** Whether a strong ETag or a strong date identifies the version, so its bytes can be resumed (R4). */
export const hasStrongValidator = (v: Validators): boolean =>
  strongEtag(v) !== null || strongLastModified(v) !== null;

/**
 * Whether `seen` (an answer's validators) names the same version as `saved` (the checkpoint's), strongly (R2, R13).
 *
 * - Both ETags strong: `'same'` when the strings are equal, else `'different'`.
 * - Both ETags well-formed but one weak: `'different'` when the opaque tags differ (even a weak comparison fails);
 *   otherwise the ETags prove nothing.
 * - Then dates: `saved` with a strong `Last-Modified`, `seen` with one: `'same'` when they name the same instant,
 *   else `'different'`. A changed date with no strong date saved is `'different'` too.
 * - Anything else is `'unknown'`: never enough to append to saved bytes.
 */
export const compareVersions = (saved: Validators, seen: Validators): 'same' | 'different' | 'unknown' => {
  const savedStrong = strongEtag(saved);
  const seenStrong = strongEtag(seen);
  if (savedStrong !== null && seenStrong !== null) return savedStrong === seenStrong ? 'same' : 'different';
  if (saved.etag !== null && seen.etag !== null) {
    const a = opaqueTag(saved.etag);
    const b = opaqueTag(seen.etag);
    if (a !== null && b !== null && a !== b) return 'different';
  }
  const savedDate = parseHttpDate(saved.lastModified);
  const seenDate = parseHttpDate(seen.lastModified);
  if (savedDate !== null && seenDate !== null) {
    if (savedDate !== seenDate) return 'different';
    if (strongLastModified(saved) !== null) return 'same';
  }
  return 'unknown';
};
