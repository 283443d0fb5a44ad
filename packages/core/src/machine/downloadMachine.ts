import { assign, emit, enqueueActions, fromCallback, fromPromise, sendTo, setup } from 'xstate';
import type { Checkpoint } from '../model/checkpoint.js';
import type { DownloadEvent } from '../model/download.js';
import type { DownloadFailure } from '../model/failure.js';
import { retryDelay } from '../rules/backoff.js';
import { coveredBytes } from '../rules/byteRanges.js';
import { committedPrefix } from '../rules/checkpointCodec.js';
import { isFinishedTarget } from '../rules/finishedTarget.js';
import { planStart } from '../rules/planStart.js';
import { dataRequestTarget } from '../rules/redirect.js';
import { type DownloadContext, type DownloadMachineInput, initialContext } from './context.js';
import type {
  AdoptInput,
  AdoptOutput,
  PrepareInput,
  PrepareOutput,
  ProbeInput,
  ProbeOutput,
  RefreshInput,
  RefreshOutput,
  ReleaseInput,
  ReleaseOutput,
  TransferInput,
  VerifyInput,
  VerifyOutput,
} from './effects.js';
import type { BackoffInputs, DownloadMachineEvent, TransferCommand, TransferOutcome } from './events.js';

/** The events the machine itself reports; createDownload adds `state`, `progress`, `done` and `error`. */
export type MachineEmitted = Extract<DownloadEvent, { type: 'start' | 'restart' | 'retry' | 'notice' }>;

const notProvided = (name: string) => (): Promise<never> =>
  Promise.reject(new Error(`the ${name} actor was not provided: use createDownload, or machine.provide()`));

/** The attempt number of the retry a passing failure asks for: bytes that arrived reset the count (R25). */
const nextAttempt = (context: DownloadContext, progressed: boolean): number =>
  progressed ? 1 : context.attempt + 1;

const exhausted = (context: DownloadContext, progressed: boolean): boolean =>
  nextAttempt(context, progressed) > context.options.retry.retries;

const giveUp = (context: DownloadContext, last: DownloadFailure): DownloadFailure => ({
  _tag: 'RetriesExhausted',
  attempts: context.attempt + 1,
  last,
});

const retryPlan = (context: DownloadContext, retry: BackoffInputs, progressed: boolean) => {
  const attempt = nextAttempt(context, progressed);
  return {
    attempt,
    retryDelayMs: retryDelay(attempt, context.options.retry, retry.random, retry.retryAfterMs),
    failure: retry.failure,
  };
};

const durableBytesOf = (checkpoint: Checkpoint | null): number =>
  checkpoint === null ? 0 : coveredBytes(checkpoint.ranges);

const hasBytes = (context: DownloadContext): boolean =>
  context.checkpoint !== null && committedPrefix(context.checkpoint) > 0;

const outcomeIs =
  <T extends TransferOutcome['_tag']>(tag: T) =>
  ({ event }: { event: DownloadMachineEvent }): boolean =>
    event.type === 'TRANSFER_END' && event.outcome._tag === tag;

/**
 * The download, as a sequence of steps. It only sequences: what an answer means, where to begin, how long to wait
 * are the rule functions' (planStart, retryDelay…), and every effect is an actor given by `provide()`.
 *
 * ```
 * idle ─START→ preparing → heading → (plan) ─Resume/Fresh→ downloading ─Done/Complete→ verifying → done
 *                 ↑            ↑  └─Complete→ verifying            │ Retry → waiting ─delay/online→ heading
 *                 │            └──── Restart / Continue ───────────┤ UrlExpired → refreshing → heading
 *   paused ←── pausing ←─PAUSE (any working state)                 └ Fail → failing → failed
 *                                   (failing releases the part file, or deletes it when nothing is durable)
 *   cancelled ← cancelling ←─CANCEL (any working state, paused)
 *
 *   preparing ─finished target (isFinishedTarget, R19, R21)→ adopting → done   (a failed checksum → heading)
 * ```
 */
export const downloadMachine = setup({
  types: {
    context: {} as DownloadContext,
    events: {} as DownloadMachineEvent,
    input: {} as DownloadMachineInput,
    emitted: {} as MachineEmitted,
  },
  actors: {
    prepare: fromPromise<PrepareOutput, PrepareInput>(notProvided('prepare')),
    probe: fromPromise<ProbeOutput, ProbeInput>(notProvided('probe')),
    transfer: fromCallback<TransferCommand, TransferInput>(() => {
      throw new Error('the transfer actor was not provided: use createDownload, or machine.provide()');
    }),
    verify: fromPromise<VerifyOutput, VerifyInput>(notProvided('verify')),
    adopt: fromPromise<AdoptOutput, AdoptInput>(notProvided('adopt')),
    refresh: fromPromise<RefreshOutput, RefreshInput>(notProvided('refresh')),
    release: fromPromise<ReleaseOutput, ReleaseInput>(notProvided('release')),
    discard: fromPromise<ReleaseOutput, ReleaseInput>(notProvided('discard')),
  },
  guards: {
    isOnline: ({ context }) => context.online,
    /** R19: the checkpoint on storage counts no byte, so there is nothing a later start could resume. */
    leavesNothing: ({ context }) => context.durableBytes === 0,
    cancelIntended: ({ context }) => context.stopIntent === 'cancel',
    /** R19, R21: a run killed between its commit and the checkpoint's removal left the finished target. */
    finishedTarget: ({ context }) => isFinishedTarget(context),
  },
  actions: {
    setOnline: assign({ online: true }),
    setOffline: assign({ online: false }),
    intendPause: assign({ stopIntent: 'pause' as const }),
    intendCancel: assign({ stopIntent: 'cancel' as const }),
    /** Every transfer ends with the checkpoint it saved last; the machine keeps it, whatever comes next. */
    recordTransferEnd: assign(({ context, event }) =>
      event.type === 'TRANSFER_END'
        ? {
            checkpoint: event.checkpoint,
            partSize: event.partSize,
            durableBytes: durableBytesOf(event.checkpoint),
          }
        : context,
    ),
    /** Every run that goes on says where it begins, before any byte or verification (so `start` … `done`). */
    emitStart: emit(({ context }) => ({
      type: 'start' as const,
      resumedFrom: context.checkpoint === null ? 0 : committedPrefix(context.checkpoint),
      total: context.checkpoint?.totalLength ?? null,
    })),
    emitRetry: emit(({ context }) => ({
      type: 'retry' as const,
      attempt: context.attempt,
      delayMs: context.retryDelayMs,
      failure: context.failure ?? { _tag: 'NetworkError' as const, message: 'unknown' },
    })),
  },
  delays: {
    retryDelay: ({ context }) => context.retryDelayMs,
  },
}).createMachine({
  id: 'download',
  context: ({ input }) => initialContext(input),
  initial: 'idle',
  on: {
    ONLINE: { actions: 'setOnline' },
    OFFLINE: { actions: 'setOffline' },
  },
  states: {
    idle: {
      on: {
        START: 'preparing',
        CANCEL: 'cancelling',
      },
    },

    /** Lock and open the part file (R23), load and decode the checkpoint (R22). */
    preparing: {
      entry: assign({ durableBytes: null }),
      invoke: {
        id: 'prepare',
        src: 'prepare',
        input: ({ context }) => ({ target: context.options.target }),
        onDone: [
          {
            guard: ({ event }) => event.output._tag === 'Failed',
            target: 'failing',
            actions: assign({
              failure: ({ event }) => (event.output._tag === 'Failed' ? event.output.failure : null),
            }),
          },
          {
            target: 'recognising',
            actions: [
              assign(({ event }) =>
                event.output._tag === 'Ready'
                  ? {
                      checkpoint: event.output.checkpoint,
                      partSize: event.output.partSize,
                      targetSize: event.output.targetSize,
                      durableBytes: durableBytesOf(event.output.checkpoint),
                    }
                  : {},
              ),
              enqueueActions(({ event, enqueue }) => {
                if (event.output._tag === 'Ready' && event.output.notice !== null) {
                  enqueue.emit({ type: 'notice', ...event.output.notice });
                }
              }),
            ],
          },
        ],
      },
      on: { PAUSE: 'pausing', CANCEL: 'cancelling' },
    },

    /** What is on storage may already be the finished download (R19, R21): then adopt it, with no request. */
    recognising: {
      always: [{ guard: 'finishedTarget', target: 'adopting', actions: 'emitStart' }, { target: 'heading' }],
    },

    /**
     * Check the finished target (R27: the checksums asked for, read from it), then remove the empty part file, which
     * releases the lock, and the checkpoint (R19). A target that fails a check is not adopted: the run goes on as
     * if it were missing, and its next commit replaces it. Pause and cancel wait for it, as for `verifying`.
     */
    adopting: {
      invoke: {
        id: 'adopt',
        src: 'adopt',
        input: ({ context }) => {
          if (context.checkpoint === null) throw new Error('adopting without a checkpoint');
          return { checkpoint: context.checkpoint, options: context.options };
        },
        onDone: [
          {
            guard: ({ event }) => event.output._tag === 'Adopted',
            target: 'done',
            actions: assign({
              result: ({ event }) =>
                event.output._tag === 'Adopted'
                  ? { bytes: event.output.bytes, sha256: event.output.sha256 }
                  : null,
            }),
          },
          {
            guard: ({ event }) => event.output._tag === 'Mismatch',
            target: 'heading',
            actions: enqueueActions(({ event, enqueue }) => {
              if (event.output._tag === 'Mismatch') enqueue.emit({ type: 'notice', ...event.output.notice });
            }),
          },
          {
            target: 'failing',
            actions: assign({
              failure: ({ event }) => (event.output._tag === 'Failed' ? event.output.failure : null),
            }),
          },
        ],
      },
    },

    /** Probe the resource (R16), then let planStart decide where to begin. */
    heading: {
      invoke: {
        id: 'probe',
        src: 'probe',
        input: ({ context }) => ({
          headUrl: context.urls.headUrl,
          headers: context.options.headers,
          stallTimeoutMs: context.options.stallTimeoutMs,
        }),
        onDone: [
          {
            guard: ({ event }) => event.output._tag === 'Probed',
            target: 'deciding',
            actions: assign(({ context, event }) => {
              if (event.output._tag !== 'Probed') return {};
              const probe = event.output.probe;
              const data = dataRequestTarget({
                url: context.urls.url,
                headUrl: context.urls.headUrl,
                probedUrl: probe.finalUrl,
                headers: context.options.headers,
              });
              return {
                probe,
                dataUrl: data.url,
                dataHeaders: data.headers,
                plan: planStart({
                  url: context.options.url,
                  stored: context.checkpoint,
                  partSize: context.partSize,
                  probe,
                  onChange: context.options.onChange,
                }),
              };
            }),
          },
          {
            // A presigned URL that expired while the download was paused or waiting (R18).
            guard: ({ context, event }) =>
              event.output._tag === 'Failed' &&
              event.output.failure._tag === 'HttpStatus' &&
              event.output.failure.status === 403 &&
              context.refreshable &&
              hasBytes(context) &&
              !exhausted(context, false),
            target: 'refreshing',
            actions: assign(({ context }) => ({ attempt: context.attempt + 1, expiredStatus: 403 })),
          },
          {
            guard: ({ context, event }) =>
              event.output._tag === 'Failed' && event.output.retryable && exhausted(context, false),
            target: 'failing',
            actions: assign(({ context, event }) =>
              event.output._tag === 'Failed' ? { failure: giveUp(context, event.output.failure) } : {},
            ),
          },
          {
            guard: ({ event }) => event.output._tag === 'Failed' && event.output.retryable,
            target: 'waiting',
            actions: [
              assign(({ context, event }) =>
                event.output._tag === 'Failed' ? retryPlan(context, event.output, false) : {},
              ),
              'emitRetry',
            ],
          },
          {
            target: 'failing',
            actions: assign({
              failure: ({ event }) => (event.output._tag === 'Failed' ? event.output.failure : null),
            }),
          },
        ],
      },
      on: { PAUSE: 'pausing', CANCEL: 'cancelling' },
    },

    /** The plan's verdict, taken at once. */
    deciding: {
      always: [
        {
          guard: ({ context }) => context.plan?._tag === 'Fail',
          target: 'failing',
          actions: assign({
            failure: ({ context }) => (context.plan?._tag === 'Fail' ? context.plan.failure : null),
          }),
        },
        {
          guard: ({ context }) => context.plan?._tag === 'Complete',
          target: 'verifying',
          actions: [
            assign({
              checkpoint: ({ context }) =>
                context.plan?._tag === 'Complete' ? context.plan.checkpoint : null,
            }),
            'emitStart',
          ],
        },
        {
          target: 'downloading',
          actions: [
            enqueueActions(({ context, enqueue }) => {
              const plan = context.plan;
              if (plan?._tag === 'Fresh' && plan.reason !== null)
                enqueue.emit({ type: 'restart', reason: plan.reason });
              if (plan?._tag === 'Resume' && plan.offset < context.partSize) {
                enqueue.emit({
                  type: 'notice',
                  code: 'PART_TRIMMED',
                  message: `the part file held ${context.partSize} bytes, the checkpoint counts ${plan.offset}: the rest is fetched again`,
                });
              }
            }),
            assign({
              checkpoint: ({ context }) =>
                context.plan?._tag === 'Resume' || context.plan?._tag === 'Fresh'
                  ? context.plan.checkpoint
                  : context.checkpoint,
            }),
            'emitStart',
          ],
        },
      ],
    },

    /** One data request, owned by the transfer actor; the machine sees checkpoints and the outcome. */
    downloading: {
      invoke: {
        id: 'transfer',
        src: 'transfer',
        input: ({ context }) => {
          const checkpoint = context.checkpoint;
          if (checkpoint === null || context.dataUrl === null) {
            throw new Error('downloading without a checkpoint or a data URL: the plan must set both');
          }
          return {
            url: context.dataUrl,
            offset: committedPrefix(checkpoint),
            checkpoint,
            options: { ...context.options, headers: context.dataHeaders },
            refreshable: context.refreshable,
          };
        },
      },
      initial: 'running',
      states: {
        running: {
          on: {
            PAUSE: { target: 'stopping', actions: 'intendPause' },
            CANCEL: { target: 'stopping', actions: 'intendCancel' },
          },
        },
        stopping: {
          entry: sendTo('transfer', { type: 'STOP' }),
          on: { CANCEL: { actions: 'intendCancel' } },
        },
      },
      on: {
        CHECKPOINTED: {
          actions: assign(({ event }) => ({
            checkpoint: event.checkpoint,
            durableBytes: durableBytesOf(event.checkpoint),
          })),
        },
        TRANSFER_END: [
          // A stop was asked: whatever the outcome, the checkpoint is saved; honour the stop.
          { guard: 'cancelIntended', target: 'cancelling', actions: 'recordTransferEnd' },
          {
            guard: ({ context, event }) => context.stopIntent === 'pause' || event.outcome._tag === 'Stopped',
            target: 'pausing',
            actions: 'recordTransferEnd',
          },
          {
            guard: ({ event }) => event.outcome._tag === 'Done' || event.outcome._tag === 'Complete',
            target: 'verifying',
            actions: ['recordTransferEnd', assign({ attempt: 0 })],
          },
          {
            guard: outcomeIs('Continue'),
            target: 'heading',
            actions: ['recordTransferEnd', assign({ attempt: 0 })],
          },
          {
            guard: outcomeIs('Restart'),
            target: 'heading',
            actions: [
              'recordTransferEnd',
              // planStart with no stored checkpoint begins fresh; the transfer truncates to 0 and saves the fresh
              // checkpoint before it writes a byte of the new version.
              assign({ checkpoint: null }),
              emit(({ event }) => ({
                type: 'restart' as const,
                reason: event.outcome._tag === 'Restart' ? event.outcome.reason : 'RESOURCE_CHANGED',
              })),
            ],
          },
          {
            guard: ({ context, event }) =>
              event.outcome._tag === 'Retry' && exhausted(context, event.outcome.progressed),
            target: 'failing',
            actions: [
              'recordTransferEnd',
              assign(({ context, event }) =>
                event.outcome._tag === 'Retry' ? { failure: giveUp(context, event.outcome.failure) } : {},
              ),
            ],
          },
          {
            guard: outcomeIs('Retry'),
            target: 'waiting',
            actions: [
              'recordTransferEnd',
              assign(({ context, event }) =>
                event.outcome._tag === 'Retry'
                  ? retryPlan(context, event.outcome, event.outcome.progressed)
                  : {},
              ),
              'emitRetry',
            ],
          },
          {
            guard: ({ context, event }) =>
              event.outcome._tag === 'Fail' &&
              event.outcome.failure._tag === 'UrlExpired' &&
              context.refreshable &&
              !exhausted(context, false),
            target: 'refreshing',
            actions: [
              'recordTransferEnd',
              assign(({ context }) => ({ attempt: context.attempt + 1, expiredStatus: 403 })),
            ],
          },
          {
            target: 'failing',
            actions: [
              'recordTransferEnd',
              assign({
                failure: ({ event }) =>
                  event.outcome._tag === 'Fail'
                    ? event.outcome.failure
                    : { _tag: 'IoError', message: `unexpected transfer outcome ${event.outcome._tag}` },
              }),
            ],
          },
        ],
      },
    },

    /** Backoff before the next attempt (R25); `offline()` holds it, `online()` and `resume()` cut it short. */
    waiting: {
      initial: 'backoff',
      states: {
        backoff: {
          after: {
            retryDelay: [{ guard: 'isOnline', target: '#download.heading' }, { target: 'held' }],
          },
        },
        held: {},
      },
      on: {
        ONLINE: { target: 'heading', actions: 'setOnline' },
        RESUME: 'heading',
        PAUSE: 'pausing',
        CANCEL: 'cancelling',
      },
    },

    /** Ask the caller's hook for new URLs, then go on from the checkpoint (R18). */
    refreshing: {
      invoke: {
        id: 'refresh',
        src: 'refresh',
        input: ({ context }) => ({ url: context.urls.url, status: context.expiredStatus }),
        onDone: [
          {
            guard: ({ event }) => event.output._tag === 'Refreshed',
            target: 'heading',
            actions: assign(({ event }) =>
              event.output._tag === 'Refreshed'
                ? {
                    urls: {
                      url: event.output.urls.url,
                      headUrl: event.output.urls.headUrl ?? event.output.urls.url,
                    },
                  }
                : {},
            ),
          },
          {
            target: 'failing',
            actions: assign({
              failure: ({ event }) => (event.output._tag === 'Failed' ? event.output.failure : null),
            }),
          },
        ],
      },
      on: { PAUSE: 'pausing', CANCEL: 'cancelling' },
    },

    /**
     * Length and checksums (R27), then the atomic rename and the checkpoint's removal (R19). Pause and cancel wait
     * for it: stopping between the check and the rename would leave a file the caller did not ask for.
     */
    verifying: {
      invoke: {
        id: 'verify',
        src: 'verify',
        input: ({ context }) => {
          if (context.checkpoint === null) throw new Error('verifying without a checkpoint');
          return { checkpoint: context.checkpoint, options: context.options };
        },
        onDone: [
          {
            guard: ({ event }) => event.output._tag === 'Verified',
            target: 'done',
            actions: assign({
              result: ({ event }) =>
                event.output._tag === 'Verified'
                  ? { bytes: event.output.bytes, sha256: event.output.sha256 }
                  : null,
            }),
          },
          {
            target: 'failing',
            actions: assign(({ context, event }) =>
              event.output._tag === 'Failed'
                ? {
                    failure: event.output.failure,
                    // R27: a mismatch emptied the part file and removed the checkpoint: nothing durable is left.
                    durableBytes: event.output.failure._tag === 'IntegrityError' ? 0 : context.durableBytes,
                  }
                : {},
            ),
          },
        ],
      },
    },

    /** Close the part file, keeping it and the checkpoint (R24). */
    pausing: {
      invoke: {
        id: 'release',
        src: 'release',
        input: ({ context }) => ({ target: context.options.target }),
        onDone: [
          { guard: 'cancelIntended', target: 'cancelling' },
          { target: 'paused', actions: assign({ stopIntent: null }) },
        ],
      },
      on: { CANCEL: { actions: 'intendCancel' } },
    },

    paused: {
      on: {
        RESUME: { target: 'preparing', actions: assign({ attempt: 0 }) },
        START: { target: 'preparing', actions: assign({ attempt: 0 }) },
        CANCEL: 'cancelling',
      },
    },

    /** Delete the part file and the checkpoint (R24). */
    cancelling: {
      invoke: {
        id: 'discard',
        src: 'discard',
        input: ({ context }) => ({ target: context.options.target }),
        onDone: { target: 'cancelled' },
      },
    },

    /**
     * Close the part file (the lock goes with it). What is durable stays for a later start (R24); a failure with
     * nothing durable leaves nothing behind: the part file and any checkpoint of this run are deleted (R19).
     */
    failing: {
      initial: 'choosing',
      states: {
        choosing: {
          always: [{ guard: 'leavesNothing', target: 'discarding' }, { target: 'releasing' }],
        },
        releasing: {
          invoke: {
            id: 'release',
            src: 'release',
            input: ({ context }) => ({ target: context.options.target }),
            onDone: { target: '#download.failed' },
          },
        },
        discarding: {
          invoke: {
            id: 'discard',
            src: 'discard',
            input: ({ context }) => ({ target: context.options.target }),
            onDone: { target: '#download.failed' },
          },
        },
      },
    },

    done: { type: 'final' },
    failed: { type: 'final' },
    cancelled: { type: 'final' },
  },
});

export type DownloadMachine = typeof downloadMachine;
