import { assign } from 'xstate';
import { noAttempts } from '../../rules/attempts.js';
import { machineSetup } from '../machineSetup.js';

/** Verification and every way out: done, paused, cancelled, failed. */
export const endingStates = {
  /**
   * Length and checksums (R27), the part file still open and locked. A cancel meanwhile is kept for when they are
   * done: then the part file and the checkpoint are deleted (R24), whatever the checks found, and no file takes the
   * target's name. A pause lets the download finish: stopping between the check and the rename would only make it
   * hash the file again on resume.
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
      'verify.Verified': [
        { guard: 'cancelIntended', target: 'cancelling' },
        { target: 'committing', actions: 'recordResult' },
      ],
      'verify.Fail': [
        { guard: 'cancelIntended', target: 'cancelling' },
        {
          target: 'failing',
          actions: assign(({ context, event }) => ({
            failure: event.output.failure,
            // R27: a mismatch emptied the part file and removed the checkpoint: nothing durable is left.
            durableBytes: event.output.discarded ? 0 : context.durableBytes,
          })),
        },
      ],
      CANCEL: { actions: 'intendCancel' },
    },
  }),

  /**
   * The atomic rename, then the checkpoint's removal (R19). A cancel now comes too late (the file is taking its
   * name) and is dropped: the download ends done.
   */
  committing: machineSetup.createStateConfig({
    invoke: {
      src: 'commit',
      input: ({ context }) => {
        if (context.result === null) throw new Error('committing without a verified result');
        return {
          target: context.options.target,
          bytes: context.result.bytes,
          checkpoint: context.checkpoint,
          durableBytes: context.durableBytes ?? 0,
        };
      },
    },
    on: {
      'commit.Committed': 'done',
      'commit.Fail': {
        target: 'failing',
        actions: assign({ failure: ({ event }) => event.output.failure }),
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
   * nothing durable leaves nothing behind: the part file and any checkpoint of this run are deleted (R19). A cancel
   * asked meanwhile (after a pause whose save failed, say) is still one: the files are deleted, and it ends cancelled.
   */
  failing: machineSetup.createStateConfig({
    initial: 'choosing',
    on: { CANCEL: { actions: 'intendCancel' } },
    states: {
      choosing: {
        always: [{ guard: 'leavesNothing', target: 'discarding' }, { target: 'releasing' }],
      },
      releasing: {
        invoke: { src: 'release', input: ({ context }) => ({ target: context.options.target }) },
        on: {
          'release.*': [
            { guard: 'cancelIntended', target: '#download.cancelling' },
            { target: '#download.failed' },
          ],
        },
      },
      discarding: {
        invoke: { src: 'discard', input: ({ context }) => ({ target: context.options.target }) },
        on: {
          'discard.*': [
            { guard: 'cancelIntended', target: '#download.cancelled' },
            { target: '#download.failed' },
          ],
        },
      },
    },
  }),

  done: { type: 'final' },
  failed: { type: 'final' },
  cancelled: { type: 'final' },
} as const;
