import { assign, emit, enqueueActions } from 'xstate';
import { afterExpiry, afterFailure, atRunStart } from '../../rules/attempts.js';
import { announcedRestart, notices, trimNotice } from '../../rules/notices.js';
import { dataRequestTarget, headersForUrl } from '../../rules/redirect.js';
import { heldBytes, machineSetup, segmentsOf } from '../machineSetup.js';

/** From the first step to the plan: lock and load, recognise a finished target, probe, decide where to begin. */
export const startingStates = {
  idle: machineSetup.createStateConfig({
    on: {
      START: 'preparing',
      CANCEL: 'cancelling',
    },
  }),

  /**
   * Lock and open the part file (R23), load and decode the checkpoint (R22). A pause waits for them: until they are
   * in, what is on storage is unknown, and a pause then kept the empty part file a fresh download had just made
   * (`rdl -m 0.001`), where one that knows there is nothing to keep removes it (`pausing`).
   */
  preparing: machineSetup.createStateConfig({
    entry: assign({ durableBytes: null }),
    invoke: { src: 'prepare', input: ({ context }) => ({ target: context.options.target }) },
    on: {
      'prepare.Ready': {
        target: 'recognising',
        actions: enqueueActions(({ event, enqueue }) => {
          const { checkpoint, partSize, targetSize, torn } = event.output;
          enqueue.assign({
            checkpoint,
            partSize,
            targetSize,
            durableBytes: heldBytes(checkpoint),
            tornCheckpoint: torn !== null,
          });
          if (torn !== null) enqueue.emit({ type: 'notice', ...notices.checkpointInvalid(torn) });
        }),
      },
      'prepare.Fail': {
        target: 'failing',
        actions: assign({ failure: ({ event }) => event.output.failure, stopIntent: null }),
      },
      PAUSE: { actions: 'intendPause' },
      RESUME: { actions: assign({ stopIntent: null }) },
      CANCEL: 'cancelling',
    },
  }),

  /** What is on storage may already be the finished download (R19, R21): then adopt it, with no request. */
  recognising: machineSetup.createStateConfig({
    always: [
      // A pause that came while `preparing`: now that what is on storage is known.
      { guard: 'pauseIntended', target: 'pausing' },
      { guard: 'finishedTarget', target: 'adopting', actions: 'emitStart' },
      { target: 'heading' },
    ],
  }),

  /**
   * Check the finished target (R27: the checksums asked for, read from it), then remove the empty part file, which
   * releases the lock, and the checkpoint (R19). A target that fails a check is not adopted: the run goes on as
   * if it were missing, and its next commit replaces it. Pause and cancel wait for it, as for `verifying`.
   */
  adopting: machineSetup.createStateConfig({
    invoke: {
      src: 'adopt',
      input: ({ context }) => {
        if (context.checkpoint === null) throw new Error('adopting without a checkpoint');
        return { checkpoint: context.checkpoint, options: context.options };
      },
    },
    on: {
      'adopt.Adopted': {
        target: 'done',
        actions: 'recordResult',
      },
      'adopt.Mismatch': {
        target: 'heading',
        actions: emit(({ event }) => ({ type: 'notice' as const, ...event.output.notice })),
      },
      'adopt.Fail': { target: 'failing', actions: assign({ failure: ({ event }) => event.output.failure }) },
    },
  }),

  /** Probe the resource (R16), then let planStart decide where to begin. */
  heading: machineSetup.createStateConfig({
    invoke: {
      src: 'probe',
      input: ({ context }) => ({
        headUrl: context.urls.headUrl,
        // Whole to the origins the caller gave them for, not to those of URLs a refreshUrl hook gave (R37).
        headers: headersForUrl(
          context.urls.headUrl,
          [context.options.url, context.options.headUrl],
          context.options.headers,
        ),
        stallTimeoutMs: context.options.stallTimeoutMs,
        hasBytes: heldBytes(context.checkpoint) > 0,
        refreshable: context.refreshable,
      }),
    },
    on: {
      'probe.Probed': {
        target: 'deciding',
        actions: [
          assign(({ context, event }) => {
            const probe = event.output.probe;
            const data = dataRequestTarget({
              callerUrl: context.options.url,
              url: context.urls.url,
              headUrl: context.urls.headUrl,
              probedUrl: probe.finalUrl,
              probeLeftOrigin: probe.leftOrigin,
              headers: context.options.headers,
            });
            return { probe, dataUrl: data.url, dataHeaders: data.headers };
          }),
          'plan',
        ],
      },
      // A presigned URL that expired while the download was paused or waiting (R18).
      'probe.Expired': {
        target: 'judging',
        actions: assign(({ context, event }) => ({
          expiredStatus: event.output.status,
          next: {
            kind: 'refresh' as const,
            verdict: afterExpiry(context.count, {
              url: context.urls.url,
              heldBytes: heldBytes(context.checkpoint),
              retry: context.options.retry,
            }),
          },
        })),
      },
      'probe.Retry': {
        target: 'judging',
        actions: assign(({ context, event }) => ({
          failure: event.output.failure,
          next: {
            kind: 'retry' as const,
            verdict: afterFailure(context.count, {
              failure: event.output.failure,
              heldBytes: heldBytes(context.checkpoint),
              draw: event.output,
              retry: context.options.retry,
            }),
          },
        })),
      },
      'probe.Fail': { target: 'failing', actions: assign({ failure: ({ event }) => event.output.failure }) },
      PAUSE: 'pausing',
      CANCEL: 'cancelling',
    },
  }),

  /** The plan's verdict, taken at once. */
  deciding: machineSetup.createStateConfig({
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
            checkpoint: ({ context }) => (context.plan?._tag === 'Complete' ? context.plan.checkpoint : null),
          }),
          'emitStart',
        ],
      },
      {
        target: 'downloading',
        actions: [
          enqueueActions(({ context, enqueue }) => {
            const plan = context.plan;
            if (plan === null || (plan._tag !== 'Resume' && plan._tag !== 'Fresh')) {
              throw new Error('deciding without a plan to download');
            }
            const restart = announcedRestart(plan, context.tornCheckpoint);
            if (restart !== null) enqueue.emit({ type: 'restart', reason: restart });
            const segmented = segmentsOf({ ...context, checkpoint: plan.checkpoint }) !== null;
            const trimmed = trimNotice(plan, context.partSize, segmented);
            if (trimmed !== null) enqueue.emit({ type: 'notice', ...trimmed });
            enqueue.assign({
              checkpoint: plan.checkpoint,
              tornCheckpoint: false,
              count: atRunStart(context.count, heldBytes(plan.checkpoint)),
            });
          }),
          'emitStart',
        ],
      },
    ],
  }),
} as const;
