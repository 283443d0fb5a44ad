import { readFile } from 'node:fs/promises';
import type {
  Download,
  DownloadError,
  DownloadEvent,
  DownloadOptions,
  DownloadPorts,
  DownloadResult,
  HttpPort,
  HttpRequest,
} from '@rdl/core';
import * as E from 'fp-ts/lib/Either.js';
import { createDownload, nodePorts } from '../../src/createDownload.js';
import { sha256 } from './faultServer.js';

/** How a run ended, and every event it gave. */
export interface Outcome {
  readonly result: DownloadResult | null;
  readonly error: DownloadError | null;
  readonly events: DownloadEvent[];
}

/** Short delays, so that retries and stalls take milliseconds in tests. */
export const fastOptions = {
  retry: { retries: 4, minDelayMs: 5, maxDelayMs: 50, factor: 2 },
  stallTimeoutMs: 1_000,
  checkpointIntervalMs: 20,
} as const satisfies Partial<DownloadOptions>;

/**
 * Runs one download to its end with the Node ports (and `overrides`), after `control` had the chance to act on
 * it (pause it, subscribe…). Never rejects: a failure is in `error`.
 */
export const runDownload = async (
  options: DownloadOptions,
  overrides: Partial<DownloadPorts> = {},
  control: (download: Download) => void = () => undefined,
): Promise<Outcome> => {
  const download = createDownload({ ...fastOptions, ...options }, overrides);
  const events: DownloadEvent[] = [];
  download.subscribe((event) => events.push(event));
  control(download);
  download.start();
  try {
    return { result: await download.result, error: null, events };
  } catch (error) {
    return { result: null, error: error as DownloadError, events };
  }
};

/** Runs `options` and fails the test unless it completes. */
export const completes = async (
  options: DownloadOptions,
  overrides: Partial<DownloadPorts> = {},
): Promise<Outcome> => {
  const outcome = await runDownload(options, overrides);
  if (outcome.error !== null)
    throw new Error(`expected success, got ${outcome.error.code}: ${outcome.error.message}`);
  return outcome;
};

/** Runs `options` and fails the test unless it fails; returns the error. */
export const fails = async (
  options: DownloadOptions,
  overrides: Partial<DownloadPorts> = {},
): Promise<Outcome & { readonly error: DownloadError }> => {
  const outcome = await runDownload(options, overrides);
  if (outcome.error === null) throw new Error('expected a failure, the download completed');
  return { ...outcome, error: outcome.error };
};

export const fileSha256 = async (path: string): Promise<string> => sha256(await readFile(path));

export const restartReasons = (events: readonly DownloadEvent[]): string[] =>
  events.flatMap((event) => (event.type === 'restart' ? [event.reason] : []));

/**
 * `http` whose response bodies call `asking` with their request each time their reader asks for more bytes: by then
 * the reader has taken in every chunk it was given before (a download has written or queued them, and counted them
 * in its progress).
 */
export const watchedReads = (http: HttpPort, asking: (request: HttpRequest) => void): HttpPort => ({
  request: (request) => async () => {
    const answer = await http.request(request)();
    if (E.isLeft(answer)) return answer;
    const response = answer.right;
    const body: AsyncIterable<Uint8Array> = {
      [Symbol.asyncIterator]: () => {
        const inner = response.body[Symbol.asyncIterator]();
        return {
          next: () => {
            const next = inner.next();
            asking(request);
            return next;
          },
          return: async () => (await inner.return?.()) ?? { done: true, value: undefined },
        };
      },
    };
    return E.right({ ...response, body });
  },
});

/**
 * Starts `options` and pauses it once its progress counts `bytes` (the test makes the server stall there), as a run
 * that was stopped would: the part file and the checkpoint stay. Resolves once the download is paused.
 *
 * Progress events are throttled, so the count is read from the snapshot each time the download asks the body for
 * more bytes: the pause comes right after the chunk that reached `bytes`, never from a timer.
 */
export const pauseAt = async (
  options: DownloadOptions,
  bytes: number,
  overrides: Partial<DownloadPorts> = {},
): Promise<{ readonly download: Download; readonly events: DownloadEvent[] }> => {
  let pausing = false;
  const reached = (): void => {
    if (pausing || download.getSnapshot().progress.bytes < bytes) return;
    pausing = true;
    download.pause();
  };
  const http = watchedReads(overrides.http ?? nodePorts(options).http, reached);
  const download = createDownload(
    { ...fastOptions, writeBufferBytes: 16 * 1024, ...options },
    { ...overrides, http },
  );
  const events: DownloadEvent[] = [];
  download.result.catch(() => undefined);
  await new Promise<void>((resolve, reject) => {
    download.subscribe((event) => {
      events.push(event);
      if (pausing && event.type === 'state' && event.state === 'paused') resolve();
      if (event.type === 'error') reject(event.error);
      if (event.type === 'done') reject(new Error('the download completed before it could be paused'));
    });
    download.start();
  });
  return { download, events };
};
