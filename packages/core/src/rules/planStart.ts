import { CHECKPOINT_VERSION, type Checkpoint, type Validators } from '../model/checkpoint.js';
import type { ProbeResult, RestartReason, StartPlan } from '../model/decision.js';
import { clipRanges, coveredBytes, prefixLength } from './byteRanges.js';
import { compareCheckpointUrl, storedUrl } from './checkpointUrl.js';
import {
  compareVersions,
  hasStrongValidator,
  noValidators,
  strongEtag,
  strongLastModified,
} from './validators.js';

/**
 * A checkpoint with no bytes for the version the probe saw. An encoded resource (R5) keeps no validators and no
 * total, so it is a single stream that no later start resumes. Its URL is `storedUrl(url)`: no password, no
 * signature on disk (R37).
 */
export const freshCheckpoint = (url: string, probe: ProbeResult, source: string = url): Checkpoint => {
  const encoded = probe.contentEncoding !== null;
  return {
    version: CHECKPOINT_VERSION,
    url: storedUrl(url),
    source: storedUrl(source),
    validators: encoded ? noValidators : probe.validators,
    totalLength: encoded ? null : probe.totalLength,
    ranges: [],
  };
};

const versionName = (v: Validators): string | null =>
  strongEtag(v) ?? strongLastModified(v) ?? v.etag ?? v.lastModified;

/**
 * How a run begins, from the stored checkpoint (already decoded, R22; `null` when there was none or it could not be
 * decoded), the size of the part file on storage, and the probe.
 *
 * In order:
 * - A probe that announces more than `maxFileBytes`: `Fail(TooLarge)`, before any data request; the part file and
 *   checkpoint stay as they are.
 * - A checkpoint of another URL (scheme, host, port or path, `compareCheckpointUrl`): `Fresh('URL_CHANGED')` (R22).
 *   One whose URL differs only in the query (a presigned URL signed again) goes on below only when the checkpoint
 *   and the probe have the same strong ETag (R2, R13): servers that choose the object by the query (`?file=a`,
 *   `?file=b`) may give two objects one size and one date, never one strong ETag. Else `Fresh('URL_CHANGED')`, or
 *   a change (R11) when both have strong ETags that differ. A resume then keeps the new URL.
 * - The same rule for where the bytes come from: data requests that now go elsewhere than the checkpoint's `source`
 *   (a redirect that leads to another URL than in the run that saved them, a URL a `refreshUrl` hook gave) go on
 *   from its bytes only under one strong ETag on both sides, whatever part of the URL differs (R11, R13); else
 *   `Fresh('SOURCE_CHANGED')`.
 * - An encoded resource: `Fresh('CONTENT_ENCODED')` (R5).
 * - A zero-length resource: `Complete` with no request (R14).
 * - Validators of the probe differ strongly from the checkpoint's: `Fresh('RESOURCE_CHANGED')`, or
 *   `Fail(ResourceChanged)` with `onChange: 'fail'` (R11, R13). Not proven the same (no strong validator on either
 *   side): `Fresh('NO_STRONG_VALIDATOR')` (R3, R4).
 * - A total that differs: changed; an unknown total or no byte ranges: `Fresh('NOT_RANGEABLE')` (R15).
 * - The checkpoint's ranges are clipped to `partSize` (R21) and kept: a segmented run fetches only the gaps (R42), on
 *   one connection too (`segmentPolicy`); a single stream (a part file written in order only, a server that ignored
 *   a range) goes on from `offset`, the prefix from byte 0, and fetches the rest again. Nothing left of saved
 *   bytes: `Fresh('PART_FILE_MISSING')`. Every byte present: `Complete`. Else `Resume`.
 *
 * `reason` is set only when the checkpoint counted bytes that are thrown away; a first start is
 * `Fresh(null)`. Bytes in a part file with no checkpoint were never trusted (R20), so they are dropped silently.
 */
export const planStart = (input: {
  readonly url: string;
  readonly stored: Checkpoint | null;
  readonly partSize: number;
  readonly probe: ProbeResult;
  readonly onChange: 'restart' | 'fail';
  /** Where this run's data requests go (`dataRequestTarget`): what the bytes will come from. */
  readonly source: string;
  /** The largest file accepted; `null`: any. */
  readonly maxFileBytes: number | null;
}): StartPlan => {
  const { url, stored, partSize, probe, maxFileBytes } = input;
  if (maxFileBytes !== null && probe.totalLength !== null && probe.totalLength > maxFileBytes) {
    return { _tag: 'Fail', failure: { _tag: 'TooLarge', limit: maxFileBytes, size: probe.totalLength } };
  }
  const fresh = freshCheckpoint(url, probe, input.source);
  const hadBytes = stored !== null && coveredBytes(stored.ranges) > 0;
  const restart = (reason: RestartReason): StartPlan => ({
    _tag: 'Fresh',
    reason: hadBytes ? reason : null,
    checkpoint: fresh,
  });
  const changed = (reason: string, expected: string | null, actual: string | null): StartPlan =>
    input.onChange === 'fail' && hadBytes
      ? { _tag: 'Fail', failure: { _tag: 'ResourceChanged', reason, expected, actual } }
      : restart('RESOURCE_CHANGED');

  /** Bytes of one URL go on from another only under one strong ETag on both sides (R2, R13); else `null`. */
  const elsewhere = (held: Checkpoint, why: string, reason: RestartReason): StartPlan | null => {
    const saved = strongEtag(held.validators);
    const seen = strongEtag(probe.validators);
    if (saved !== null && seen !== null && saved !== seen)
      return changed(`the ETag changed (${why})`, saved, seen);
    return saved === null || saved !== seen ? restart(reason) : null;
  };
  const relation = stored === null ? 'same' : compareCheckpointUrl(stored.url, url);
  if (relation === 'other') return restart('URL_CHANGED');
  if (stored !== null && relation === 'query') {
    const plan = elsewhere(stored, 'the URL differs in its query', 'URL_CHANGED');
    if (plan !== null) return plan;
  }
  if (probe.contentEncoding !== null) return restart('CONTENT_ENCODED');
  if (probe.totalLength === 0) return { _tag: 'Complete', checkpoint: fresh };
  if (stored === null) return { _tag: 'Fresh', reason: null, checkpoint: fresh };
  if (stored.source !== undefined && compareCheckpointUrl(stored.source, input.source) !== 'same') {
    const plan = elsewhere(stored, 'the bytes come from another URL', 'SOURCE_CHANGED');
    if (plan !== null) return plan;
  }

  const comparison = compareVersions(stored.validators, probe.validators);
  if (comparison === 'different') {
    return changed(
      'the ETag or Last-Modified changed',
      versionName(stored.validators),
      versionName(probe.validators),
    );
  }
  if (comparison === 'unknown') return restart('NO_STRONG_VALIDATOR');
  if (stored.totalLength !== null && probe.totalLength !== null && stored.totalLength !== probe.totalLength) {
    return changed('the total length changed', String(stored.totalLength), String(probe.totalLength));
  }
  if (stored.totalLength === null || probe.totalLength === null || !probe.acceptsRanges) {
    return restart('NOT_RANGEABLE');
  }

  // R21: only what the part file really holds is kept; every range of it, so that a segmented run fetches only the
  // gaps (R42), one connection's run too. A single stream goes on from the prefix (`offset`) and drops the rest.
  const ranges = clipRanges(stored.ranges, partSize);
  const offset = prefixLength(ranges);
  const checkpoint: Checkpoint = { ...stored, url: fresh.url, source: storedUrl(input.source), ranges };
  if (coveredBytes(ranges) === 0) return restart('PART_FILE_MISSING');
  if (offset >= stored.totalLength) return { _tag: 'Complete', checkpoint };
  return { _tag: 'Resume', offset, checkpoint };
};

/**
 * Where the next request of a run begins after a passing failure or an answer that ended where it said it would,
 * with no new probe: the answer's own validators are checked then (R9–R13), so a HEAD per retry would only double
 * the requests. From the checkpoint's prefix when its bytes can be resumed; else at 0, and said why when bytes are
 * thrown away: an encoded resource (R5), no strong validator (R4), no total or no ranges (R15). Every byte there: `Complete`.
 */
export const planRetry = (checkpoint: Checkpoint, probe: ProbeResult): StartPlan => {
  const offset = prefixLength(checkpoint.ranges);
  const held = coveredBytes(checkpoint.ranges);
  const fresh = (reason: RestartReason): StartPlan => ({
    _tag: 'Fresh',
    reason: held > 0 ? reason : null,
    checkpoint: { ...checkpoint, ranges: [] },
  });
  if (checkpoint.totalLength !== null && offset >= checkpoint.totalLength)
    return { _tag: 'Complete', checkpoint };
  if (held === 0) return fresh('PART_FILE_MISSING');
  // An encoded resource keeps no validators (R5): the reason is its coding, as planStart says it.
  if (probe.contentEncoding !== null) return fresh('CONTENT_ENCODED');
  if (!hasStrongValidator(checkpoint.validators)) return fresh('NO_STRONG_VALIDATOR');
  if (checkpoint.totalLength === null || !probe.acceptsRanges) return fresh('NOT_RANGEABLE');
  return { _tag: 'Resume', offset, checkpoint };
};
