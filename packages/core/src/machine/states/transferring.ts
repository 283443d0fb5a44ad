import { assign, sendTo } from 'xstate';
import { afterExpiry, afterFailure, afterRestart } from '../../rules/attempts.js';
import { committedPrefix } from '../../rules/checkpointCodec.js';
import type { TransferEndEvent } from '../events.js';
import { heldBytes, machineSetup, segmentsOf, transferEnded } from '../machineSetup.js';

/** The data requests, and what comes between two of them: the attempt rules' verdict, the wait, new URLs. */
export const transferringStates = {
  /** One data request, owned by the transfer actor; the machine sees checkpoints and the outcome. */
  downloading: machineSetup.createStateConfig({
    invoke: {
      id: 'transfer',
      src: 'transfer',
      input: ({ context }) => {
        const checkpoint = context.checkpoint;
        if (checkpoint === null || context.dataUrl === null || context.durableBytes === null) {
          throw new Error('downloading without a checkpoint, a data URL or what storage holds');
        }
        return {
          url: context.dataUrl,
          offset: committedPrefix(checkpoint),
          checkpoint,
          storedBytes: context.durableBytes,
          options: { ...context.options, headers: context.dataHeaders },
          refreshable: context.refreshable,
          segments: segmentsOf(context),
        };
      },
    },
    initial: 'running',
    states: {
      running: {
        on: {
          PAUSE: { target: 'stopping', actions: 'intendPause' },
          CANCEL: { target: 'stopping', actions: 'intendCancel' },
          'transfer.Done': {
            target: '#download.verifying',
            actions: assign(({ event }) => transferEnded(event)),
          },
          'transfer.Complete': {
            target: '#download.verifying',
            actions: assign(({ event }) => transferEnded(event)),
          },
          'transfer.Continue': {
            target: '#download.resuming',
            actions: assign(({ event }) => transferEnded(event)),
          },
          'transfer.Retry': {
            target: '#download.judging',
            actions: assign(({ context, event }) => ({
              ...transferEnded(event),
              failure: event.outcome.failure,
              next: {
                kind: 'retry' as const,
                verdict: afterFailure(context.count, {
                  failure: event.outcome.failure,
                  heldBytes: heldBytes(event.checkpoint),
                  draw: event.outcome,
                  retry: context.options.retry,
                }),
              },
            })),
          },
          'transfer.Restart': {
            target: '#download.judging',
            actions: assign(({ context, event }) => ({
              ...transferEnded(event),
              next: {
                kind: 'restart' as const,
                reason: event.outcome.reason,
                verdict: afterRestart(context.count, {
                  reason: event.outcome.reason,
                  random: event.outcome.random,
                  retry: context.options.retry,
                }),
              },
            })),
          },
          'transfer.Expired': {
            target: '#download.judging',
            actions: assign(({ context, event }) => ({
              ...transferEnded(event),
              expiredStatus: event.outcome.status,
              next: {
                kind: 'refresh' as const,
                verdict: afterExpiry(context.count, {
                  url: event.outcome.url,
                  heldBytes: heldBytes(event.checkpoint),
                  retry: context.options.retry,
                }),
              },
            })),
          },
          'transfer.Fail': {
            target: '#download.failing',
            actions: assign(({ event }) => ({ ...transferEnded(event), failure: event.outcome.failure })),
          },
          // Only a stop ends a request so; a transfer that stops by itself is paused, never lost.
          'transfer.Stopped': {
            target: '#download.pausing',
            actions: assign(({ event }) => transferEnded(event)),
          },
        },
      },
      /**
       * A stop was asked: honoured whatever the outcome, but one that failed (its last save did, say) fails the
       * download, for a pause is told only once its checkpoint is saved (R24). A cancel deletes the files anyway.
       */
      stopping: {
        entry: sendTo('transfer', { type: 'STOP' }),
        on: {
          CANCEL: { actions: 'intendCancel' },
          RESUME: { actions: 'intendResume' },
          PAUSE: { actions: 'intendPauseAgain' },
          'transfer.*': [
            {
              guard: 'cancelIntended',
              target: '#download.cancelling',
              actions: assign(({ event }) => transferEnded(event as TransferEndEvent)),
            },
            {
              guard: 'wholeUnsaved',
              target: '#download.verifying',
              actions: assign(({ event }) => ({
                ...transferEnded(event as TransferEndEvent),
                stopIntent: null,
              })),
            },
            {
              guard: 'transferFailed',
              target: '#download.failing',
              actions: assign(({ event }) => {
                const ended = event as Extract<TransferEndEvent, { type: 'transfer.Fail' }>;
                return { ...transferEnded(ended), failure: ended.outcome.failure, stopIntent: null };
              }),
            },
            {
              target: '#download.pausing',
              actions: assign(({ event }) => transferEnded(event as TransferEndEvent)),
            },
          ],
        },
      },
    },
    on: {
      CHECKPOINTED: {
        actions: assign(({ event }) => ({
          checkpoint: event.checkpoint,
          durableBytes: heldBytes(event.checkpoint),
        })),
      },
    },
  }),

  /** What a passing failure, an expired URL or a restart leads to, as the attempt rules judged it (R18, R25). */
  judging: machineSetup.createStateConfig({
    always: [
      { guard: 'gaveUp', target: 'failing', actions: 'failWithVerdict' },
      { guard: 'refreshes', target: 'refreshing', actions: 'takeVerdict' },
      { guard: 'restarts', target: 'resuming', actions: ['takeVerdict', 'forgetVersion'] },
      { target: 'waiting', actions: ['takeVerdict', 'emitRetry'] },
    ],
  }),

  /** Backoff before the next attempt (R25); `offline()` holds it, `online()` and `resume()` cut it short. */
  waiting: machineSetup.createStateConfig({
    initial: 'backoff',
    states: {
      backoff: {
        after: {
          retryDelay: [{ guard: 'isOnline', target: '#download.resuming' }, { target: 'held' }],
        },
      },
      held: {},
    },
    on: {
      ONLINE: { target: 'resuming', actions: 'setOnline' },
      RESUME: 'resuming',
      PAUSE: 'pausing',
      CANCEL: 'cancelling',
    },
  }),

  /**
   * The next request: the data again when this run probed the resource, else a probe first. A restart waits here
   * with the backoff its rule asked for (none for the first).
   */
  resuming: machineSetup.createStateConfig({
    always: [
      { guard: 'noWait', target: 'dispatching' },
      { guard: ({ context }) => context.next?.kind === 'restart', target: 'waiting' },
      { target: 'dispatching' },
    ],
    exit: assign({ next: null }),
  }),

  /**
   * Planned again from this run's probe when it holds one (R9–R13 then check the answer itself, so no new HEAD is
   * needed; `planRetry` still says whether the bytes can be resumed, R4, R15); else probed first.
   */
  dispatching: machineSetup.createStateConfig({
    always: [{ guard: 'probed', target: 'deciding', actions: 'planNext' }, { target: 'heading' }],
  }),

  /** Ask the caller's hook for new URLs, then probe them and go on from the checkpoint (R18). */
  refreshing: machineSetup.createStateConfig({
    invoke: {
      src: 'refresh',
      input: ({ context }) => ({
        url: context.urls.url,
        status: context.expiredStatus,
        timeoutMs: context.options.refreshTimeoutMs,
      }),
    },
    on: {
      'refresh.Refreshed': {
        target: 'heading',
        actions: assign(({ event }) => ({
          probe: null,
          urls: { url: event.output.urls.url, headUrl: event.output.urls.headUrl ?? event.output.urls.url },
        })),
      },
      'refresh.Fail': {
        target: 'failing',
        actions: assign({ failure: ({ event }) => event.output.failure }),
      },
      PAUSE: 'pausing',
      CANCEL: 'cancelling',
    },
  }),
} as const;
