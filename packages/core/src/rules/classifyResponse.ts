import * as E from 'fp-ts/lib/Either.js';
import type { Checkpoint, Validators } from '../model/checkpoint.js';
import type { Decision, RangeRequest, ResponseHead } from '../model/decision.js';
import { isRetryableStatus, parseRetryAfter } from './backoff.js';
import { coveredBytes } from './byteRanges.js';
import { declaredLength, formatRange, parseContentRange } from './contentRange.js';
import { isExpiredSignature } from './expiredSignature.js';
import { contentEncodingOf } from './probe.js';
import { isPresigned } from './signedUrl.js';
import {
  compareVersions,
  extractValidators,
  noValidators,
  strongEtag,
  strongLastModified,
} from './validators.js';

/** What `classifyResponse` needs beyond the request and the answer. */
export interface ClassifyPolicy {
  /** R11: `'restart'` throws the bytes away and begins again; `'fail'` fails with `ResourceChanged`. */
  readonly onChange: 'restart' | 'fail';
  /** Now, for a `Retry-After` date. */
  readonly nowMs: number;
  /** A `refreshUrl` hook was given, so a 403 after bytes were written means an expired signature (R18). */
  readonly refreshable: boolean;
}

const versionName = (v: Validators): string | null =>
  strongEtag(v) ?? strongLastModified(v) ?? v.etag ?? v.lastModified;

const bad = (reason: string): Decision => ({ _tag: 'Fail', failure: { _tag: 'BadResponse', reason } });

/** The validators that describe the bytes of an answer: its own when it sent any, else the checkpoint's. */
const validatorsOfAnswer = (saved: Validators, seen: Validators): Validators =>
  seen.etag !== null || seen.lastModified !== null ? seen : saved;

/**
 * What to do with the answer to a data request, before a byte of its body is written. A wrong answer never yields
 * `Append`.
 *
 * Statuses:
 * - 412 to a conditional request: the resource changed (R11). 416 `bytes *\/L` with `L` equal to the checkpoint's
 *   total and `offset === L`: `Complete`; any other 416 to a ranged request: changed (R12), named for what differed
 *   (another total, or the same total with the range asked for refused). The body is never written.
 * - 5xx, 408, 429: `Retry`, with the `Retry-After` wait (R25).
 * - 403 after bytes were written (`offset > 0` or bytes in the checkpoint) with `refreshable` or a presigned
 *   checkpoint URL (`isExpiredSignature`): `UrlExpired`, the machine asks the hook or fails with it (R18).
 * - Any other status but 200/206: `HttpStatus`, not retried.
 *
 * A 206 (R8–R10, R13): only to a ranged request; one `Content-Range: bytes a-b/total|*`, never `multipart/byteranges`
 * (with none to be seen where the platform hides headers, `headersFiltered`: `Restart('RANGE_HIDDEN')`);
 * a strong ETag or date different from the checkpoint's, or a total different from it, is a change; `a` must equal the
 * offset asked for; a `Content-Length` must equal `b - a + 1`. Without a condition sent (CORS, or no strong validator),
 * the answer's validators must be proven `'same'`, else nothing is appended (R4, R6). `Append.end` is `b + 1`, capped
 * at the last byte asked for.
 *
 * A 200: to a ranged request it is the whole body from 0: `Restart('RANGE_IGNORED')`, or a change when validators or
 * total differ (R7). To a plain GET it is `Append` from 0, unless other bytes of another version are in the checkpoint
 * (segments), which is a change. Its length (R35):
 * - the checkpoint's total is the probe's, measured for this run: it is the length expected. An answer with no length
 *   of its own (HTTP/1.0 until close, chunked) gets `end` = that total, so a body that ends before it is a short body
 *   the transfer resumes (R10, R26), and one that goes on is never written past it;
 * - an answer that declares another length without naming another version (its validators the probe's, or none) is
 *   `BadResponse`, final: the server gives two lengths for one version, so asking again, or restarting (which
 *   probes again), gets the same contradiction, and neither length can be trusted for the file;
 * - an answer whose validators prove another version (R13) is that version from 0, with its own length;
 * - with no total from the probe, the answer's `Content-Length` (`null` when absent: one stream, R15).
 * A 206 or ranged 200 with another total is a change (R9, R7): the restart probes again, and the plain GET that
 * follows is held to the new probe's total as above, so a server that keeps contradicting itself fails there.
 * `Content-Length` beside a `Transfer-Encoding` is ignored (R36).
 *
 * Content-Encoding other than identity (R5): a ranged answer is `Restart('CONTENT_ENCODED')`, since its offsets
 * count encoded bytes that need not match the saved ones. A plain GET from 0 is saved as the server sent it, the way
 * `curl` does without `--compressed`, but as a single stream that is not resumable: `Append` with `totalLength: null`,
 * `end: null` and no validators, so no later start resumes it (R4, R15). An expected checksum of the decoded file
 * then fails the integrity check (R27) rather than passing a wrong file.
 *
 * With `onChange: 'fail'` every change is `Fail(ResourceChanged)` instead of `Restart('RESOURCE_CHANGED')`.
 */
export const classifyResponse = (
  request: RangeRequest,
  response: ResponseHead,
  checkpoint: Checkpoint,
  policy: ClassifyPolicy,
): Decision => {
  const { status, headers } = response;
  const seen = extractValidators(headers);
  const changed = (reason: string, expected: string | null, actual: string | null): Decision =>
    policy.onChange === 'fail'
      ? { _tag: 'Fail', failure: { _tag: 'ResourceChanged', reason, expected, actual } }
      : { _tag: 'Restart', reason: 'RESOURCE_CHANGED' };
  const versionChanged = (why: string): Decision =>
    changed(why, versionName(checkpoint.validators), versionName(seen));
  const totalChanged = (actual: number | null): Decision =>
    changed(
      'the total length changed',
      checkpoint.totalLength === null ? null : String(checkpoint.totalLength),
      actual === null ? null : String(actual),
    );
  const httpStatus: Decision = { _tag: 'Fail', failure: { _tag: 'HttpStatus', status, url: checkpoint.url } };
  const hasBytes = request.offset > 0 || coveredBytes(checkpoint.ranges) > 0;

  if (status === 412) {
    return request.condition === 'none' ? httpStatus : versionChanged('412 Precondition Failed');
  }
  if (status === 416) {
    if (!request.ranged) return httpStatus;
    const range = parseContentRange(headers['content-range']);
    if (E.isRight(range) && range.right._tag === 'Unsatisfied') {
      const length = range.right.total;
      if (length !== checkpoint.totalLength) return totalChanged(length);
      if (request.offset === length) return { _tag: 'Complete' };
      // Same total, yet the range is refused: what differs is the answer to the bytes asked for, not the length.
      const asked = formatRange(request.offset, request.lastByte);
      return request.offset < length
        ? changed(
            `416 for ${asked} although ${request.offset} < ${length}`,
            `bytes ${request.offset}-${request.lastByte ?? length - 1}/${length}`,
            `bytes */${length}`,
          )
        : changed(`416 for ${asked} past the end`, `at most ${length}`, String(request.offset));
    }
    return versionChanged('416 Range Not Satisfiable');
  }
  if (isRetryableStatus(status)) {
    return {
      _tag: 'Retry',
      failure: { _tag: 'HttpStatus', status, url: checkpoint.url },
      retryAfterMs: parseRetryAfter(headers['retry-after'], policy.nowMs),
    };
  }
  // A presigned URL may be the checkpoint's or the one a plain link redirected to (an object store's download link).
  const answered = response.url !== undefined && isPresigned(response.url) ? response.url : checkpoint.url;
  if (isExpiredSignature({ status, hasBytes, refreshable: policy.refreshable, url: answered })) {
    return { _tag: 'Fail', failure: { _tag: 'UrlExpired', url: checkpoint.url } };
  }
  if (status !== 200 && status !== 206) return httpStatus;

  const comparison = compareVersions(checkpoint.validators, seen);
  const encoding = contentEncodingOf(headers);
  const contentLength = declaredLength(headers);

  if (status === 200) {
    if (request.ranged) {
      // R5: an encoded answer names its own representation (Apache's mod_deflate gives `"abc-gzip"` for `"abc"`):
      // its ETag says nothing of the bytes held, and no range of it is one of the resource.
      if (encoding !== null) return { _tag: 'Restart', reason: 'CONTENT_ENCODED' };
      if (comparison === 'different') return versionChanged('the ETag or Last-Modified changed');
      if (
        encoding === null &&
        contentLength !== null &&
        checkpoint.totalLength !== null &&
        contentLength !== checkpoint.totalLength
      ) {
        return totalChanged(contentLength);
      }
      return { _tag: 'Restart', reason: 'RANGE_IGNORED' };
    }
    if (coveredBytes(checkpoint.ranges) > 0) {
      if (comparison === 'different') return versionChanged('the ETag or Last-Modified changed');
      if (encoding !== null) return { _tag: 'Restart', reason: 'CONTENT_ENCODED' };
      if (
        contentLength !== null &&
        checkpoint.totalLength !== null &&
        contentLength !== checkpoint.totalLength
      ) {
        return totalChanged(contentLength);
      }
    }
    if (encoding !== null) {
      return { _tag: 'Append', start: 0, end: null, totalLength: null, validators: noValidators };
    }
    const validators = validatorsOfAnswer(checkpoint.validators, seen);
    const expected = checkpoint.totalLength;
    if (expected === null || comparison === 'different') {
      return { _tag: 'Append', start: 0, end: contentLength, totalLength: contentLength, validators };
    }
    if (contentLength !== null && contentLength !== expected) {
      const version = versionName(seen) ?? versionName(checkpoint.validators);
      return bad(
        `the GET declared ${contentLength} bytes where the probe declared ${expected}, ${version === null ? 'with no validator to tell versions apart' : `for the same version ${version}`}`,
      );
    }
    // R35: with no length of its own (an HTTP/1.0 body until close, a chunked body), the answer is bound by the
    // probe's: a body that ends before it is a cut to resume, one that goes on past it is not written past it.
    return { _tag: 'Append', start: 0, end: expected, totalLength: expected, validators };
  }

  // 206
  if (!request.ranged) return bad('206 to a request without Range');
  const contentType = headers['content-type']?.trim().toLowerCase() ?? '';
  if (contentType.startsWith('multipart/byteranges'))
    return bad('multipart/byteranges answer to a single range');
  const parsed = parseContentRange(headers['content-range']);
  if (E.isLeft(parsed)) {
    // R8, R4: a Content-Range the platform hides places no byte of this answer, nor of any later ranged one: the
    // bytes held can never be gone on from, so they are thrown away for one plain GET, rather than kept for ever.
    if (headers['content-range'] === undefined && response.headersFiltered === true) {
      return { _tag: 'Restart', reason: 'RANGE_HIDDEN' };
    }
    return bad(parsed.left);
  }
  const range = parsed.right;
  if (range._tag === 'Unsatisfied')
    return bad(`206 with an unsatisfied Content-Range ${headers['content-range']}`);
  // R5: as for a 200 above; restarted on one stream, it does not come back (a restart for a changed ETag did).
  if (encoding !== null) return { _tag: 'Restart', reason: 'CONTENT_ENCODED' };
  if (comparison === 'different') return versionChanged('the ETag or Last-Modified changed');
  if (range.total !== null && checkpoint.totalLength !== null && range.total !== checkpoint.totalLength) {
    return totalChanged(range.total);
  }
  if (range.total === null && checkpoint.totalLength !== null && range.last >= checkpoint.totalLength) {
    return totalChanged(null);
  }
  if (range.first !== request.offset) {
    return bad(`asked for byte ${request.offset}, the answer starts at ${range.first}`);
  }
  if (request.condition === 'none' && comparison !== 'same') {
    return { _tag: 'Restart', reason: 'NO_STRONG_VALIDATOR' };
  }
  // R13, R17: a range redirected elsewhere was answered by a server that never named the version asked for (it may
  // ignore If-Match): only the same strong validators prove its bytes are of the version held.
  if (response.redirected === true && comparison !== 'same') {
    return { _tag: 'Restart', reason: 'SOURCE_CHANGED' };
  }
  if (contentLength !== null && contentLength !== range.last - range.first + 1) {
    return bad(`Content-Length ${contentLength} does not match Content-Range ${headers['content-range']}`);
  }
  const end = request.lastByte === null ? range.last + 1 : Math.min(range.last, request.lastByte) + 1;
  return {
    _tag: 'Append',
    start: range.first,
    end,
    totalLength: range.total ?? checkpoint.totalLength,
    // The bytes belong to the version the checkpoint names (proven, or checked by the server through If-Range/If-Match).
    validators: checkpoint.validators,
  };
};
