import { type AnyEventObject, assign, emit, enqueueActions, fromCallback, setup } from 'xstate';
import type { Checkpoint } from '../model/checkpoint.js';
import type { DownloadEvent } from '../model/download.js';
import type { SegmentOptions } from '../model/options.js';
import { coveredBytes } from '../rules/byteRanges.js';
import { committedPrefix } from '../rules/checkpointCodec.js';
import { isFinishedTarget } from '../rules/finishedTarget.js';
import { planRetry, planStart } from '../rules/planStart.js';
import { segmentPolicy } from '../rules/segmentPolicy.js';
import type { DownloadContext, DownloadMachineInput } from './context.js';
import type { EffectLogic, EffectName } from './effects.js';
import type { DownloadMachineEvent, TransferEndEvent } from './events.js';

/** The events the machine itself reports; createDownload adds `state`, `progress`, `done` and `error`. */
export type MachineEmitted = Extract<DownloadEvent, { type: 'start' | 'restart' | 'retry' | 'notice' }>;

const notProvided = <K extends EffectName>(name: K): EffectLogic<K> =>
  fromCallback<AnyEventObject, unknown>(() => {
    throw new Error(`the ${name} actor was not provided: use createDownload, or machine.provide()`);
  }) as EffectLogic<K>;

/** The bytes a checkpoint counts: what a stop leaves durable, and what progress is measured by (R20, R25). */
export const heldBytes = (checkpoint: Checkpoint | null): number =>
  checkpoint === null ? 0 : coveredBytes(checkpoint.ranges);

/** What every end of a request leaves: its last checkpoint, saved after the bytes it counts were flushed. */
export const transferEnded = (event: TransferEndEvent) => ({
  checkpoint: event.checkpoint,
  partSize: event.partSize,
  // What a later start could resume: none of a checkpoint never stored (R19: a failure then leaves nothing).
  durableBytes: event.stored ? heldBytes(event.checkpoint) : 0,
});

/** The connection policy of the next request (R41–R43), `null` for one stream (`segmentPolicy`). */
export const segmentsOf = (context: DownloadContext): SegmentOptions | null =>
  context.probe === null || context.checkpoint === null
    ? null
    : segmentPolicy({
        options: context.options.segments,
        checkpoint: context.checkpoint,
        probe: context.probe,
        singleOnly: context.singleOnly,
      });

/**
 * The download machine's vocabulary: its types, the effects it invokes (filled by `machine.provide()`), and the
 * guards and actions its states name. The states are in `states/`, the chart in `downloadMachine.ts`.
 */
export const machineSetup = setup({
  types: {
    context: {} as DownloadContext,
    events: {} as DownloadMachineEvent,
    input: {} as DownloadMachineInput,
    emitted: {} as MachineEmitted,
  },
  actors: {
    prepare: notProvided('prepare'),
    probe: notProvided('probe'),
    transfer: notProvided('transfer'),
    verify: notProvided('verify'),
    commit: notProvided('commit'),
    adopt: notProvided('adopt'),
    refresh: notProvided('refresh'),
    release: notProvided('release'),
    discard: notProvided('discard'),
  },
  guards: {
    isOnline: ({ context }) => context.online,
    /** R19: the checkpoint on storage counts no byte, so there is nothing a later start could resume. */
    leavesNothing: ({ context }) => context.durableBytes === 0,
    cancelIntended: ({ context }) => context.stopIntent === 'cancel',
    pauseIntended: ({ context }) => context.stopIntent === 'pause',
    resumeIntended: ({ context }) => context.stopIntent === 'resume',
    /**
     * Every byte is written and no checkpoint was saved (`CheckpointSaver.saveLast`): a pause now would keep a part
     * file nothing counts, fetched again on resume. The download is finished instead, as a pause that comes while
     * it verifies waits for it.
     */
    wholeUnsaved: ({ event }) => {
      const end = event as Partial<TransferEndEvent>;
      return end.outcome?._tag === 'Done' && end.stored === false;
    },
    /**
     * The stopped request failed (its last save, say, R20): the stop cannot end paused, which would say its
     * checkpoint is saved (R24); the download fails with that failure.
     */
    transferFailed: ({ event }) => (event as Partial<TransferEndEvent>).outcome?._tag === 'Fail',
    /** R19, R21, R34: a run killed between its commit and the checkpoint's removal left the finished target. */
    finishedTarget: ({ context }) => isFinishedTarget({ ...context, url: context.options.url }),
    /** This run has probed the resource: a further request needs no probe (R9–R13 check its answer). */
    probed: ({ context }) => context.probe !== null,
    gaveUp: ({ context }) => context.next?.verdict._tag === 'GiveUp',
    refreshes: ({ context }) => context.next?.kind === 'refresh',
    restarts: ({ context }) => context.next?.kind === 'restart',
    noWait: ({ context }) => context.next?.verdict._tag === 'Again' && context.next.verdict.delayMs === 0,
  },
  actions: {
    setOnline: assign({ online: true }),
    setOffline: assign({ online: false }),
    intendPause: assign({ stopIntent: 'pause' as const }),
    intendCancel: assign({ stopIntent: 'cancel' as const }),
    /** A resume or a pause while a stop is under way: the last one wins, a cancel over both. */
    intendResume: assign(
      ({ context }) => ({ stopIntent: context.stopIntent === 'cancel' ? 'cancel' : 'resume' }) as const,
    ),
    intendPauseAgain: assign(
      ({ context }) => ({ stopIntent: context.stopIntent === 'cancel' ? 'cancel' : 'pause' }) as const,
    ),
    /** Every run that goes on says where it begins, before any byte or verification (so `start` … `done`). */
    /** Every run that goes on says where it begins: the bytes it keeps, all its ranges when it runs segments. */
    emitStart: emit(({ context }) => ({
      type: 'start' as const,
      resumedFrom:
        context.checkpoint === null
          ? 0
          : segmentsOf(context) === null
            ? committedPrefix(context.checkpoint)
            : heldBytes(context.checkpoint),
      total: context.checkpoint?.totalLength ?? null,
    })),
    /** The verdict of `judging` taken: its count, and its wait. */
    takeVerdict: assign(({ context }) => {
      const verdict = context.next?.verdict;
      if (verdict?._tag !== 'Again') throw new Error('taking a verdict that gave up');
      return { count: verdict.count, retryDelayMs: verdict.delayMs };
    }),
    failWithVerdict: assign(({ context }) => {
      const verdict = context.next?.verdict;
      if (verdict?._tag !== 'GiveUp') throw new Error('failing with a verdict that goes on');
      return { failure: verdict.failure };
    }),
    emitRetry: emit(({ context }) => {
      if (context.failure === null) throw new Error('a retry without the failure it retries');
      return {
        type: 'retry' as const,
        attempt: context.count.attempt,
        delayMs: context.retryDelayMs,
        failure: context.failure,
      };
    }),
    /**
     * R7, R11, R13, R28: every byte is thrown away. planStart with no stored checkpoint begins fresh, after a new
     * probe of the version to download; the transfer truncates to 0 and saves the fresh checkpoint before it writes a
     * byte of it.
     */
    forgetVersion: enqueueActions(({ context, enqueue }) => {
      const reason = context.next?.reason;
      if (reason === undefined) throw new Error('a restart without its reason');
      // A server that answered a range with 200 (R7) or with a Content-Range the platform hides (R8), or encoded an
      // answer its probe did not say it would (R5), is not asked for segments again in this run; nor one whose segments named another version a second time (R41).
      const segmentedChanges =
        context.segmentedChanges + (reason === 'RESOURCE_CHANGED' && segmentsOf(context) !== null ? 1 : 0);
      enqueue.assign({
        checkpoint: null,
        probe: null,
        segmentedChanges,
        singleOnly:
          context.singleOnly ||
          reason === 'RANGE_IGNORED' ||
          reason === 'RANGE_HIDDEN' ||
          reason === 'CONTENT_ENCODED' ||
          segmentedChanges >= 2,
      });
      enqueue.emit({ type: 'restart', reason });
    }),
    /** Where a run begins: planStart, from the stored checkpoint, the part file and the probe just made. */
    plan: assign({
      plan: ({ context }) => {
        if (context.probe === null) throw new Error('planning without a probe');
        return planStart({
          url: context.options.url,
          stored: context.checkpoint,
          partSize: context.partSize,
          probe: context.probe,
          onChange: context.options.onChange,
          source: context.dataUrl ?? context.urls.url,
          maxFileBytes: context.options.maxFileBytes,
        });
      },
    }),
    /** Where the next request of a run begins, from the checkpoint it saved last, with no new probe. */
    planNext: assign({
      plan: ({ context }) => {
        if (context.probe === null || context.checkpoint === null)
          throw new Error('a next request without a first');
        return planRetry(context.checkpoint, context.probe);
      },
    }),
    /** The file is whole under its name (verified, or a finished target adopted): what `result` resolves with. */
    recordResult: assign({
      result: ({ event }) => {
        if (event.type !== 'verify.Verified' && event.type !== 'adopt.Adopted') {
          throw new Error(`a result recorded on ${event.type}`);
        }
        const { bytes, sha256, checks } = event.output;
        return { bytes, sha256, checks };
      },
    }),
    /** An effect broke an invariant: rethrown, it fails the actor with that error (never an invented failure). */
    crash: ({ event }) => {
      if (event.type === 'effect.crashed') throw event.error;
    },
  },
  delays: {
    retryDelay: ({ context }) => context.retryDelayMs,
  },
});
