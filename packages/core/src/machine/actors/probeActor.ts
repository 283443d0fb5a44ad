import * as E from 'fp-ts/lib/Either.js';
import { fromPromise } from 'xstate';
import type { DownloadFailure } from '../../model/failure.js';
import { fromHttpFailure, isFinal } from '../../model/failure.js';
import { type AbortSignalLike, createAbortHandle } from '../../ports/abort.js';
import type { Clock } from '../../ports/Clock.js';
import type { HttpPort, HttpResponse } from '../../ports/HttpPort.js';
import { isRetryableStatus, parseRetryAfter } from '../../rules/backoff.js';
import { probeFromResponse, probeRequestHeaders, shouldProbeWithGet } from '../../rules/probe.js';
import type { ProbeInput, ProbeOutput } from '../effects.js';
import { releaseBody } from './releaseBody.js';
import type { DownloadSession } from './session.js';

export interface ProbeDeps {
  readonly http: HttpPort;
  readonly clock: Clock;
  readonly session: DownloadSession;
}

/**
 * R16: a HEAD to `headUrl`; when it is refused (403/405/501) or fails on the network, a `GET bytes=0-0`, whose body
 * is never written. An answer that takes longer than `stallTimeoutMs` is cut and retried (R25).
 */
export const createProbeActor = (deps: ProbeDeps) =>
  fromPromise<ProbeOutput, ProbeInput>(({ input, signal }) => {
    const abort = createAbortHandle();
    const parent = signal as unknown as AbortSignalLike;
    if (parent.aborted) abort.abort();
    else parent.addEventListener('abort', () => abort.abort(), { once: true });
    let stalled = false;
    const timer = deps.clock.setTimeout(() => {
      stalled = true;
      abort.abort();
    }, input.stallTimeoutMs);
    const work = probe(deps, input, abort.signal).then((output) => {
      deps.clock.clearTimeout(timer);
      return stalled && output._tag === 'Failed'
        ? failed(deps, { _tag: 'Stalled', afterMs: input.stallTimeoutMs }, null)
        : output;
    });
    return deps.session.track(work);
  });

const probe = async (deps: ProbeDeps, input: ProbeInput, signal: AbortSignalLike): Promise<ProbeOutput> => {
  const head = await deps.http.request({
    method: 'HEAD',
    url: input.headUrl,
    headers: probeRequestHeaders('HEAD', input.headers),
    signal,
  })();
  let method: 'HEAD' | 'GET' = 'HEAD';
  let response: HttpResponse;
  if (E.isRight(head) && !shouldProbeWithGet(head.right.status)) {
    response = head.right;
  } else {
    // A refused redirect or certificate would be refused again for the GET: no second probe.
    if (E.isLeft(head) && (isFinal(head.left) || signal.aborted)) {
      return failed(deps, fromHttpFailure(head.left), null);
    }
    const get = await deps.http.request({
      method: 'GET',
      url: input.headUrl,
      headers: probeRequestHeaders('GET', input.headers),
      signal,
    })();
    if (E.isLeft(get)) return failed(deps, fromHttpFailure(get.left), null);
    method = 'GET';
    response = get.right;
    releaseBody(response.body);
  }
  const result = probeFromResponse(method, response.url, {
    status: response.status,
    headers: response.headers,
  });
  if (E.isRight(result)) return { _tag: 'Probed', probe: result.right };
  return failed(deps, result.left, parseRetryAfter(response.headers['retry-after'], deps.clock.now()));
};

const failed = (deps: ProbeDeps, failure: DownloadFailure, retryAfterMs: number | null): ProbeOutput => ({
  _tag: 'Failed',
  failure,
  retryable:
    failure._tag === 'NetworkError' ||
    failure._tag === 'Stalled' ||
    (failure._tag === 'HttpStatus' && isRetryableStatus(failure.status)),
  retryAfterMs,
  random: deps.clock.random(),
});
