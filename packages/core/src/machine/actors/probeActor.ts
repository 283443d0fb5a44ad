import * as E from 'fp-ts/lib/Either.js';
import type { DownloadFailure } from '../../model/failure.js';
import { fromHttpFailure, isFinal } from '../../model/failure.js';
import type { AbortSignalLike } from '../../ports/abort.js';
import { createAbortHandle } from '../../ports/abort.js';
import type { Clock, TimerId } from '../../ports/Clock.js';
import type { HttpPort, HttpResponse } from '../../ports/HttpPort.js';
import { parseRetryAfter } from '../../rules/backoff.js';
import {
  probeFailureVerdict,
  probeFromResponse,
  probeRequestHeaders,
  shouldProbeWithGet,
} from '../../rules/probe.js';
import { serverChecksums } from '../../rules/serverChecksums.js';
import type { ProbeInput, ProbeOutput } from '../effects.js';
import { effectActor } from './effectActor.js';
import { releaseBody } from './releaseBody.js';
import type { DownloadSession } from './session.js';

export interface ProbeDeps {
  readonly http: HttpPort;
  readonly clock: Clock;
  readonly session: DownloadSession;
}

/**
 * R16: a HEAD to `headUrl`; when it is refused (403/405/501) or fails on the network, a `GET bytes=0-0`, whose body
 * is never written. An answer that takes longer than `stallTimeoutMs` is cut and retried (R25). What a failure
 * means is `probeFailureVerdict`'s to say.
 */
export const createProbeActor = (deps: ProbeDeps) =>
  effectActor(
    'probe',
    (input: ProbeInput, signal: AbortSignalLike) => {
      const abort = createAbortHandle();
      if (signal.aborted) abort.abort();
      else signal.addEventListener('abort', () => abort.abort(), { once: true });
      let stalled = false;
      let timer: TimerId | null = null;
      const disarm = (): void => {
        if (timer !== null) deps.clock.clearTimeout(timer);
        timer = null;
      };
      const arm = (): void => {
        disarm();
        timer = deps.clock.setTimeout(() => {
          stalled = true;
          abort.abort();
        }, input.stallTimeoutMs);
      };
      arm();
      // R25: waiting for a connection of the port's is no silence of the server's.
      const onQueued = (waiting: boolean): void => (waiting ? disarm() : arm());
      return probe(deps, input, abort.signal, onQueued).then((output) => {
        disarm();
        return stalled && output._tag !== 'Probed'
          ? failed(deps, input, { _tag: 'Stalled', afterMs: input.stallTimeoutMs }, null)
          : output;
      });
    },
    deps.session,
  );

const probe = async (
  deps: ProbeDeps,
  input: ProbeInput,
  signal: AbortSignalLike,
  onQueued: (waiting: boolean) => void,
): Promise<ProbeOutput> => {
  const head = await deps.http.request({
    method: 'HEAD',
    url: input.headUrl,
    headers: probeRequestHeaders('HEAD', input.headers),
    signal,
    onQueued,
  })();
  let method: 'HEAD' | 'GET' = 'HEAD';
  let response: HttpResponse;
  if (E.isRight(head) && !shouldProbeWithGet(head.right.status)) {
    response = head.right;
  } else {
    // A refused redirect or certificate, or a malformed answer, would be the same for the GET: no second probe.
    if (E.isLeft(head) && (isFinal(head.left) || signal.aborted)) {
      return failed(deps, input, fromHttpFailure(head.left), null);
    }
    const get = await deps.http.request({
      method: 'GET',
      url: input.headUrl,
      headers: probeRequestHeaders('GET', input.headers),
      signal,
      onQueued,
    })();
    if (E.isLeft(get)) return failed(deps, input, fromHttpFailure(get.left), null);
    method = 'GET';
    response = get.right;
    releaseBody(response.body);
  }
  const result = probeFromResponse(
    method,
    response.url,
    { status: response.status, headers: response.headers },
    response.leftOrigin ?? null,
  );
  if (E.isRight(result)) {
    // The server's checksums of the file (R27): a HEAD's, or a 200's, describe the whole body; a 206's only some.
    deps.session.learnChecksums(
      serverChecksums(response.headers, method === 'HEAD' || response.status === 200),
      true,
    );
    return { _tag: 'Probed', probe: result.right };
  }
  return failed(deps, input, result.left, parseRetryAfter(response.headers['retry-after'], deps.clock.now()));
};

const failed = (
  deps: ProbeDeps,
  input: ProbeInput,
  failure: DownloadFailure,
  retryAfterMs: number | null,
): ProbeOutput => {
  switch (probeFailureVerdict(failure, input)) {
    case 'expired':
      if (failure._tag !== 'HttpStatus') throw new Error('an expired signature is an HTTP status');
      return { _tag: 'Expired', status: failure.status };
    case 'retry':
      return { _tag: 'Retry', failure, retryAfterMs, random: deps.clock.random() };
    case 'fail':
      return { _tag: 'Fail', failure };
  }
};
