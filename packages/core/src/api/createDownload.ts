import * as E from 'fp-ts/lib/Either.js';
import { type Actor, createActor, type SnapshotFrom } from 'xstate';
import type { DownloadMachine } from '../machine/downloadMachine.js';
import { machineFor } from '../machine/machineFor.js';
import { publicStateOf } from '../machine/publicState.js';
import { DownloadError } from '../model/DownloadError.js';
import type { Download, DownloadPorts, DownloadResult, DownloadState } from '../model/download.js';
import type { DownloadFailure } from '../model/failure.js';
import type { DownloadOptions } from '../model/options.js';
import { resolveOptions } from '../rules/resolveOptions.js';
import { noValidators } from '../rules/validators.js';
import { Listeners } from './listeners.js';
import { refusedDownload } from './refusedDownload.js';

/**
 * Creates one download over the given platform ports. Nothing happens before `start()`. Options are checked first
 * (R30): bad input rejects `result` with `ERR_INVALID_INPUT` before any request, without touching storage.
 */
export const createDownload = (options: DownloadOptions, ports: DownloadPorts): Download => {
  const resolved = resolveOptions(options);
  if (E.isLeft(resolved)) return refusedDownload(resolved.left);

  const listeners = new Listeners();
  let settle!: { resolve: (result: DownloadResult) => void; reject: (error: unknown) => void };
  const result = new Promise<DownloadResult>((resolve, reject) => {
    settle = { resolve, reject };
  });
  // The caller may never await `result` (a CLI that only subscribes); that is not an unhandled rejection.
  result.catch(() => undefined);

  const { machine, progress, session } = machineFor(resolved.right, ports, (p) =>
    listeners.publish({ type: 'progress', progress: p }),
  );
  const actor: Actor<DownloadMachine> = createActor(machine, {
    input: { options: resolved.right, refreshable: ports.refreshUrl !== undefined },
    clock: ports.clock,
  });

  let state: DownloadState = 'idle';
  actor.on('*', (event) => {
    listeners.publish(event);
    // R28: after a restart, progress starts again from 0, reported as such.
    if (event.type === 'restart') progress.restart();
  });
  const onSnapshot = (snapshot: SnapshotFrom<DownloadMachine>) => {
    const shown = publicStateOf(snapshot.value, snapshot.context, state);
    if (shown !== state) {
      state = shown;
      listeners.publish({ type: 'state', state });
    }
    if (snapshot.status !== 'done') return;
    const context = snapshot.context;
    if (state === 'done' && context.result !== null) {
      const done: DownloadResult = {
        target: context.options.target,
        bytes: context.result.bytes,
        sha256: context.result.sha256,
        validators: context.checkpoint?.validators ?? noValidators,
      };
      progress.report(done.bytes, context.checkpoint?.totalLength ?? done.bytes, true);
      listeners.publish({ type: 'done', result: done });
      settle.resolve(done);
      return;
    }
    const failure: DownloadFailure | null = state === 'cancelled' ? { _tag: 'Cancelled' } : context.failure;
    if (failure === null) {
      settle.reject(new Error(`the download ended in ${state} without a failure: a broken invariant`));
      return;
    }
    const error = new DownloadError(failure);
    listeners.publish({ type: 'error', error });
    settle.reject(error);
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
  return {
    start: () => send('START'),
    pause: () => send('PAUSE'),
    resume: () => send('RESUME'),
    cancel: () => send('CANCEL'),
    online: () => send('ONLINE'),
    offline: () => send('OFFLINE'),
    subscribe: (listener) => listeners.add(listener),
    getSnapshot: () => ({ state, progress: progress.latest }),
    result,
  };
};
