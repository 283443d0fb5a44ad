import { assign } from 'xstate';
import { noAttempts } from '../../rules/attempts.js';
import { machineSetup } from '../machineSetup.js';

/** Verification and every way out: done, paused, cancelled, failed. */
export const endingStates = {
  /**
   * Length and checksums (R27), then the atomic rename and the checkpoint's removal (R19). Pause and cancel wait
   * for it: stopping between the check and the rename would leave a file the caller did not ask for.
   */
  verifying: machineSetup.createStateConfig({
    invoke: {
      src: 'verify',
      input: ({ context }) => {
        if (context.checkpoint === null) throw new Error('verifying without a checkpoint');
        return { checkpoint: context.checkpoint, options: context.options };
      },
    },
    on: {
      'verify.Verified': {
        target: 'done',
        actions: 'recordResult',
      },
      'verify.Fail': {
        target: 'failing',
        actions: assign(({ context, event }) => ({
          failure: event.output.failure,
          // R27: a mismatch emptied the part file and removed the checkpoint: nothing durable is left.
          durableBytes: event.output.discarded ? 0 : context.durableBytes,
        })),
      },
    },
  }),

  /** Close the part file, keeping it and the checkpoint (R24). */
  pausing: machineSetup.createStateConfig({
    invoke: {
      src: 'release',
      input: ({ context }) => ({
        target: context.options.target,
        emptyUnsaved: context.checkpoint === null && context.partSize === 0 && context.durableBytes === 0,
      }),
    },
    on: {
      'release.*': [
        { guard: 'cancelIntended', target: 'cancelling' },
        // Resumed while it paused: a new run, as from `paused` (R24: everything was saved and closed first).
        {
          guard: 'resumeIntended',
          target: 'preparing',
          actions: assign({ stopIntent: null, count: noAttempts }),
        },
        { target: 'paused', actions: assign({ stopIntent: null }) },
      ],
      CANCEL: { actions: 'intendCancel' },
      RESUME: { actions: 'intendResume' },
      PAUSE: { actions: 'intendPauseAgain' },
    },
  }),

  paused: machineSetup.createStateConfig({
    on: {
      // A new run: its attempts, high-water mark and restarts are its own (R25).
      RESUME: { target: 'preparing', actions: assign({ count: noAttempts }) },
      START: { target: 'preparing', actions: assign({ count: noAttempts }) },
      CANCEL: 'cancelling',
    },
  }),

  /** Delete the part file and the checkpoint (R24). */
  cancelling: machineSetup.createStateConfig({
    invoke: { src: 'discard', input: ({ context }) => ({ target: context.options.target }) },
    on: { 'discard.*': 'cancelled' },
  }),

  /**
   * Close the part file (the lock goes with it). What is durable stays for a later start (R24); a failure with
   * nothing durable leaves nothing behind: the part file and any checkpoint of this run are deleted (R19).
   */
  failing: machineSetup.createStateConfig({
    initial: 'choosing',
    states: {
      choosing: {
        always: [{ guard: 'leavesNothing', target: 'discarding' }, { target: 'releasing' }],
      },
      releasing: {
        invoke: { src: 'release', input: ({ context }) => ({ target: context.options.target }) },
        on: { 'release.*': '#download.failed' },
      },
      discarding: {
        invoke: { src: 'discard', input: ({ context }) => ({ target: context.options.target }) },
        on: { 'discard.*': '#download.failed' },
      },
    },
  }),

  done: { type: 'final' },
  failed: { type: 'final' },
  cancelled: { type: 'final' },
} as const;
