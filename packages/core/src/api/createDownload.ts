import * as E from 'fp-ts/lib/Either.js';
import { type Actor, createActor, type SnapshotFrom } from 'xstate';
import { RateLimit } from '../machine/actors/rateLimit.js';
import type { DownloadMachine } from '../machine/downloadMachine.js';
import { type MachineBindings, machineFor } from '../machine/machineFor.js';
import { publicStateOf } from '../machine/publicState.js';
import { DownloadError } from '../model/DownloadError.js';
import type { Download, DownloadPorts, DownloadResult, DownloadState } from '../model/download.js';
import type { DownloadFailure } from '../model/failure.js';
import type { DownloadOptions } from '../model/options.js';
import { rateLimit, resolveOptions } from '../rules/resolveOptions.js';
import { noValidators } from '../rules/validators.js';
import { downloadSurface } from './downloadSurface.js';
import { Listeners } from './listeners.js';
import { guardedDownload, refusedDownload } from './refusedDownload.js';

const invalidHook = (field: string): DownloadFailure => ({
  _tag: 'InvalidInput',
  field,
  message: field === 'signal' ? 'must be an AbortSignal' : 'must be a function',
});

/** The caller's `signal` and `refreshUrl`, which are not data: checked here, never kept in the machine's context. */
const hooksProblem = (options: DownloadOptions): DownloadFailure | null => {
  const { signal, refreshUrl } = options as { signal?: unknown; refreshUrl?: unknown };
  if (refreshUrl !== undefined && typeof refreshUrl !== 'function') return invalidHook('refreshUrl');
  if (
    signal !== undefined &&
    (typeof signal !== 'object' ||
      signal === null ||
      typeof (signal as { addEventListener?: unknown }).addEventListener !== 'function' ||
      typeof (signal as { removeEventListener?: unknown }).removeEventListener !== 'function')
  ) {
    return invalidHook('signal');
  }
  return null;
};

/**
 * What ties a download to the queue that runs it (R43–R45): the queue's rate limit over all its downloads, which
 * the download's own limit reads under, the download's live share of its origin's connections, and the moment its
 * file is finished.
 */
export interface QueueBindings extends Omit<MachineBindings, 'limit'> {
  readonly rateLimit?: RateLimit;
}

/** The queue's bindings as the machine takes them: its rate limit is the parent of the download's own. */
const machineBindings = ({ rateLimit: _parent, ...rest }: QueueBindings): Omit<MachineBindings, 'limit'> =>
  rest;

/**
 * Creates one download over the given platform ports. Nothing happens before `start()`. Options are checked first
 * (R30): bad input rejects `result` with `ERR_INVALID_INPUT` before any request, without touching storage.
 */
export const createDownload = (
  options: DownloadOptions,
  ports: DownloadPorts,
  shared: QueueBindings = {},
): Download => guardedDownload(() => boundDownload(options, ports, shared));

const boundDownload = (options: DownloadOptions, ports: DownloadPorts, shared: QueueBindings): Download => {
  const resolved = resolveOptions(options);
  if (E.isLeft(resolved)) return refusedDownload(resolved.left);
  const problem = hooksProblem(options);
  if (problem !== null) return refusedDownload(problem);
  const { signal, refreshUrl } = options;

  const listeners = new Listeners();
  let settled = false;
  let settle!: { resolve: (result: DownloadResult) => void; reject: (error: unknown) => void };
  const result = new Promise<DownloadResult>((resolve, reject) => {
    settle = {
      resolve: (value) => {
        settled = true;
        resolve(value);
      },
      reject: (error) => {
        settled = true;
        reject(error);
      },
    };
  });
  // The caller may never await `result` (a CLI that only subscribes); that is not an unhandled rejection.
  result.catch(() => undefined);

  const limit = new RateLimit(ports.clock, resolved.right.maxBytesPerSecond, shared.rateLimit ?? null);
  const { machine, bind, progress, session } = machineFor(
    ports,
    (p) => listeners.publish({ type: 'progress', progress: p }),
    refreshUrl,
    { ...machineBindings(shared), limit },
  );
  const actor: Actor<DownloadMachine> = createActor(machine, {
    input: { options: resolved.right, refreshable: refreshUrl !== undefined },
    clock: ports.clock,
  });
  bind(actor);

  let state: DownloadState = 'idle';
  const fail = (failure: DownloadFailure, cause?: unknown): void => {
    const error = new DownloadError(failure, cause === undefined ? {} : { cause });
    listeners.publish({ type: 'error', error });
    settle.reject(error);
  };
  /**
   * The caller's signal aborted: the download stops as a pause does (or never starts), then ends `failed` and
   * `result` rejects (ERR_ABORTED). The machine stays where it stopped, `paused` or `idle`, so that a `cancel()`
   * still deletes the part file and the checkpoint through the ports, as any cancel does (R23, R24); nothing else
   * moves it on.
   */
  const aborted = (): boolean => signal?.aborted === true;
  let endedByAbort = false;
  const endAborted = (): void => {
    endedByAbort = true;
    if (state !== 'failed') {
      state = 'failed';
      listeners.publish({ type: 'state', state });
    }
    fail({ _tag: 'Aborted' }, signal?.reason);
  };

  actor.on('*', (event) => {
    listeners.publish(event);
    // R28: after a restart, progress starts again from 0, reported as such.
    if (event.type === 'restart') progress.restart();
    if (event.type === 'start') progress.begin(event.resumedFrom);
  });
  const onSnapshot = (snapshot: SnapshotFrom<DownloadMachine>) => {
    const shown = publicStateOf(snapshot.value, snapshot.context, state);
    const finished = snapshot.status === 'done' && shown === 'done' ? snapshot.context.result : null;
    // The last progress (every byte, 100 %) comes before `done`: after that state only the `done` event is told.
    if (finished !== null) {
      const { checkpoint } = snapshot.context;
      progress.report(finished.bytes, checkpoint?.totalLength ?? finished.bytes, true);
    }
    // Ended by an abort: only a cancel is followed, to `cancelled` (`result` has rejected already).
    if (endedByAbort && shown !== 'cancelling' && shown !== 'cancelled') return;
    if (shown === 'paused' && aborted() && !settled) {
      endAborted();
      return;
    }
    if (shown !== state) {
      state = shown;
      listeners.publish({ type: 'state', state });
    }
    if (snapshot.status !== 'done' || settled) return;
    const context = snapshot.context;
    if (finished !== null) {
      const done: DownloadResult = {
        target: context.options.target,
        bytes: finished.bytes,
        sha256: finished.sha256,
        checks: finished.checks,
        validators: context.checkpoint?.validators ?? noValidators,
      };
      listeners.publish({ type: 'done', result: done });
      settle.resolve(done);
      return;
    }
    const failure: DownloadFailure | null = state === 'cancelled' ? { _tag: 'Cancelled' } : context.failure;
    if (failure === null) {
      settle.reject(new Error(`the download ended in ${state} without a failure: a broken invariant`));
      return;
    }
    fail(failure);
  };
  actor.subscribe({
    next: onSnapshot,
    // Only a broken invariant gets here: expected failures are values, handled above. The part file is closed
    // (its lock released) so that the host can start the download again.
    error: (error) => {
      void session.take()?.close()();
      settle.reject(error);
    },
  });
  actor.start();

  const send = (type: 'START' | 'PAUSE' | 'RESUME' | 'CANCEL' | 'ONLINE' | 'OFFLINE') => {
    if (actor.getSnapshot().status === 'active') actor.send({ type });
  };
  if (signal !== undefined) {
    const onAbort = (): void => {
      // Before any start nothing runs: the download ends at once. Otherwise it pauses, then ends (`onSnapshot`).
      if (state === 'idle' || state === 'paused') endAborted();
      else send('PAUSE');
    };
    if (!signal.aborted) signal.addEventListener('abort', onAbort, { once: true });
    const forget = (): void => signal.removeEventListener('abort', onAbort);
    result.then(forget, forget);
  }
  return downloadSurface({
    send: (command) => {
      if (aborted() && command !== 'cancel') {
        if (command === 'start' && !settled) endAborted();
        return;
      }
      send(command.toUpperCase() as Uppercase<typeof command>);
    },
    listeners,
    snapshot: () => ({ state, progress: progress.latest }),
    result,
    setRateLimit: (bytesPerSecond) => {
      const checked = rateLimit(bytesPerSecond, resolved.right.lowSpeedLimit);
      if (E.isLeft(checked)) throw new DownloadError(checked.left);
      limit.set(checked.right);
    },
  });
};

/** One call: `createDownload(options, ports).start()`. Resolves when the file is there, verified. */
export const download = (options: DownloadOptions, ports: DownloadPorts): Promise<DownloadResult> =>
  createDownload(options, ports).start();
