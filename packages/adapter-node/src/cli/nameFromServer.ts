import { lstatSync } from 'node:fs';
import { resolve } from 'node:path';
import type { DownloadFailure, DownloadOptions, HttpPort, HttpResponse, RetryOptions } from '@rdl/core';
import {
  afterFailure,
  compareCheckpointUrl,
  decodeCheckpoint,
  fromHttpFailure,
  isFinal,
  noAttempts,
  parseRetryAfter,
  probeFailureVerdict,
  probeFromResponse,
  probeRequestHeaders,
  resolveOptions,
  shouldProbeWithGet,
  strongEtag,
} from '@rdl/core/rules';
import * as E from 'fp-ts/lib/Either.js';
import { FileCheckpointStore } from '../FileCheckpointStore.js';
import { lockState } from '../fileLock.js';
import { errnoOf } from '../fsFailure.js';
import { lstatOrNull, unsafeReason } from '../ownFile.js';
import { checkpointPathOf, lockPathOf, partPathOf } from '../sidecarPaths.js';
import { systemClock } from '../systemClock.js';
import { sidecarOfAnother } from '../targetPath.js';
import { defaultFileName } from './outputPath.js';
import {
  dispositionFileName,
  MAX_NUMBERED,
  maxServerNameBytes,
  numberedName,
  serverFileName,
  urlFileName,
} from './serverFileName.js';

/** The path `-J` chose, and what the user should hear about the choice (a name not used, a numbered name). */
export interface ServerNamed {
  readonly target: string;
  readonly notices: readonly string[];
}

/** A name as it goes in a notice: cut, so that a 10 KB name is not a 10 KB line (the line is escaped, R38). */
const shown = (name: string): string => JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}…` : name);

/** A probe that learnt nothing, with the wait its answer asked for (`Retry-After`). */
interface ProbeFailed {
  readonly failure: DownloadFailure;
  readonly retryAfterMs: number | null;
}

/** What a probe of `-J` learnt: the answer, and its strong ETag. */
interface Probed {
  readonly response: HttpResponse;
  readonly etag: string | null;
}

/**
 * One probe of `-J` (R16, as core's): a HEAD to the probe URL, or `GET bytes=0-0` when it is refused, with the
 * download's own headers, redirects and transport, bounded by the stall timeout. Its body is never read.
 */
const probeOnce = async (
  http: HttpPort,
  request: { readonly url: string; readonly headers: Readonly<Record<string, string>> },
  stallTimeoutMs: number,
): Promise<E.Either<ProbeFailed, Probed>> => {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), stallTimeoutMs);
  try {
    const ask = (method: 'HEAD' | 'GET') =>
      http.request({
        method,
        ...request,
        headers: probeRequestHeaders(method, request.headers),
        signal: abort.signal,
      })();
    let method: 'HEAD' | 'GET' = 'HEAD';
    let answer = await ask('HEAD');
    const refused = E.isRight(answer) && shouldProbeWithGet(answer.right.status);
    if (refused || (E.isLeft(answer) && !isFinal(answer.left) && !abort.signal.aborted)) {
      if (E.isRight(answer)) void answer.right.body[Symbol.asyncIterator]().return?.();
      method = 'GET';
      answer = await ask('GET');
    }
    if (E.isLeft(answer)) {
      const failure: DownloadFailure = abort.signal.aborted
        ? { _tag: 'Stalled', afterMs: stallTimeoutMs }
        : fromHttpFailure(answer.left);
      return E.left({ failure, retryAfterMs: null });
    }
    const response = answer.right;
    void response.body[Symbol.asyncIterator]().return?.();
    const judged = probeFromResponse(method, response.url, response);
    if (E.isRight(judged)) return E.right({ response, etag: strongEtag(judged.right.validators) });
    const retryAfterMs = parseRetryAfter(response.headers['retry-after'], systemClock.now());
    return E.left({ failure: judged.left, retryAfterMs });
  } finally {
    clearTimeout(timer);
  }
};

/** Told before each wait of the name probe for another attempt: what failed, the attempt to come, the wait (R28). */
export type ProbeRetry = (failure: DownloadFailure, attempt: number, delayMs: number) => void;

/**
 * The probe of `-J` under the download's retry policy (R25), by core's rules: which failures pass is
 * `probeFailureVerdict`'s to say, the wait (`Retry-After` honoured) and when to give up `afterFailure`'s, so that
 * `-J` fails only where the download itself would. Each wait is told `onRetry` first, as the download tells its
 * own, so that a wait of Retry-After: 30 is not a silent one.
 */
const probe = async (
  http: HttpPort,
  request: { readonly url: string; readonly headers: Readonly<Record<string, string>> },
  policy: { readonly stallTimeoutMs: number; readonly retry: Required<RetryOptions> },
  onRetry: ProbeRetry,
): Promise<E.Either<DownloadFailure, Probed>> => {
  let count = noAttempts;
  for (;;) {
    const answer = await probeOnce(http, request, policy.stallTimeoutMs);
    if (E.isRight(answer)) return answer;
    const { failure, retryAfterMs } = answer.left;
    if (probeFailureVerdict(failure, { hasBytes: false, refreshable: false }) !== 'retry')
      return E.left(failure);
    const verdict = afterFailure(count, {
      failure,
      heldBytes: 0,
      draw: { retryAfterMs, random: systemClock.random() },
      retry: policy.retry,
    });
    if (verdict._tag === 'GiveUp') return E.left(verdict.failure);
    count = verdict.count;
    onRetry(failure, count.attempt, verdict.delayMs);
    await new Promise((resolve) => setTimeout(resolve, verdict.delayMs));
  }
};

const exists = (path: string): boolean => {
  try {
    return lstatSync(path, { throwIfNoEntry: false }) !== undefined;
  } catch {
    return false;
  }
};

/**
 * Whether `target` holds a checkpoint of a download of `url`, to go on with: of the same URL as core judges it (a
 * password or a signature is never in the checkpoint, R37), or of the URL signed again (only the query differs)
 * under the strong ETag the probe gave (R22: another query may name another object).
 */
const isDownloadOf = async (target: string, url: string, etag: string | null): Promise<boolean> => {
  const text = await new FileCheckpointStore().load(target)();
  if (E.isLeft(text) || text.right === null) return false;
  const checkpoint = decodeCheckpoint(text.right);
  if (E.isLeft(checkpoint)) return false;
  const relation = compareCheckpointUrl(checkpoint.right.url, url);
  return (
    relation === 'same' ||
    (relation === 'query' && etag !== null && strongEtag(checkpoint.right.validators) === etag)
  );
};

/**
 * Why `target` is another download's, or `null` when this one may take it (R19, R21, R23): no file there, no
 * checkpoint (this URL's was looked for first: `isDownloadOf`), no live lock; a part file with neither holds nothing
 * to resume (a run killed before its first checkpoint, or a plain `rdl` run would start it over too), so the
 * download starts over in it, unless it is not rdl's to write (a link, another user's: R31).
 */
const takenBy = async (target: string): Promise<string | null> => {
  if (exists(target)) return 'it exists';
  if (exists(checkpointPathOf(target))) return "it holds another download's checkpoint";
  try {
    const lock = await lockState(lockPathOf(target));
    if (lock?._tag === 'Busy') return 'another download is running there';
    if (lock?._tag === 'Unsafe') return `its lock is not rdl's: ${lock.reason}`;
    const part = await lstatOrNull(partPathOf(target));
    const unsafe = part === null ? null : unsafeReason(part);
    return unsafe === null ? null : `its part file is not rdl's: ${unsafe}`;
  } catch (error) {
    return `its lock or part file cannot be read (${errnoOf(error) ?? String(error)})`;
  }
};

/**
 * Where `name` goes in `cwd` without replacing another download's file: the first of `name`, `name (1)`…
 * `name (99)` that holds this URL's checkpoint (a killed run of this command: it resumes there, R34 included), else
 * the first one no other download has (`takenBy`), with why `name` was not.
 */
const placeFor = async (
  name: string,
  url: string,
  etag: string | null,
  cwd: string,
): Promise<
  E.Either<DownloadFailure, { readonly name: string; readonly ours: boolean; readonly taken: string | null }>
> => {
  const candidates = Array.from({ length: MAX_NUMBERED + 1 }, (_, n) => numberedName(name, n));
  for (const candidate of candidates) {
    if (await isDownloadOf(resolve(cwd, candidate), url, etag))
      return E.right({ name: candidate, ours: true, taken: null });
  }
  let first: string | null = null;
  for (const [n, candidate] of candidates.entries()) {
    const taken = await takenBy(resolve(cwd, candidate));
    if (taken === null) return E.right({ name: candidate, ours: false, taken: first });
    if (n === 0) first = taken;
  }
  return E.left({
    _tag: 'InvalidInput',
    field: '-J',
    message: `${shown(name)} and its numbered names up to (${MAX_NUMBERED}) are all taken`,
  });
};

/**
 * `-J`: the file's name from the server, found by a probe before the download (which probes again, so a run
 * killed at any point finds the same name, and its checkpoint, the next time). In order: the `Content-Disposition`
 * file name, the last segment of the URL the probe was redirected to, the URL's default name; a name from the
 * server that `serverFileName` refuses is skipped, and said so. An existing file of another download is never
 * replaced: the name gets a number (`placeFor`). `onRetry` is told each wait of the probe for another attempt
 * (default: nothing).
 */
export const nameFromServer = async (
  http: HttpPort,
  options: DownloadOptions,
  cwd: string,
  onRetry: ProbeRetry = () => {},
): Promise<E.Either<DownloadFailure, ServerNamed>> => {
  const resolved = resolveOptions(options);
  if (E.isLeft(resolved)) return resolved;
  const { url, headUrl, headers } = resolved.right;
  const answer = await probe(http, { url: headUrl, headers }, resolved.right, onRetry);
  if (E.isLeft(answer)) return answer;
  const notices: string[] = [];
  const { response, etag } = answer.right;
  const fromServer = [
    { from: 'Content-Disposition', raw: dispositionFileName(response.headers['content-disposition']) },
    { from: 'redirected URL', raw: response.url === headUrl ? null : urlFileName(response.url) },
  ];
  let name: string | null = null;
  for (const { from, raw } of fromServer) {
    if (raw === null || name !== null) continue;
    const judged = serverFileName(raw);
    // A checkpoint's name, or the lock of a download there, would be another download's sidecar (R19, R23).
    const why = E.isLeft(judged)
      ? judged.left
      : sidecarOfAnother(resolve(cwd, judged.right)) === null
        ? null
        : "it is the name of another download's checkpoint or lock";
    if (why === null) name = E.getOrElse(() => raw)(judged);
    else notices.push(`rdl: the ${from} file name ${shown(raw)} is not used: ${why}`);
  }
  const chosen = name ?? defaultFileName(new URL(url), maxServerNameBytes);
  const place = await placeFor(chosen, url, etag, cwd);
  if (E.isLeft(place)) return place;
  const placed = place.right.name;
  if (placed !== chosen) {
    notices.push(
      place.right.ours
        ? `rdl: going on with this URL's download in ${shown(placed)}`
        : `rdl: ${shown(chosen)} is not used: ${place.right.taken}; kept, and the file saved as ${shown(placed)}`,
    );
  }
  return E.right({ target: resolve(cwd, placed), notices });
};
