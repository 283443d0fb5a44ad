import type { Checkpoint } from '../model/checkpoint.js';
import type { TransferOutcome } from '../model/decision.js';
import type {
  AdoptOutput,
  CommitOutput,
  PrepareOutput,
  ProbeOutput,
  RefreshOutput,
  ReleaseOutput,
  VerifyOutput,
} from './effects.js';

/** What the caller sends: the methods of `Download`, one event each. */
export type ControlEvent =
  | { readonly type: 'START' }
  | { readonly type: 'PAUSE' }
  | { readonly type: 'RESUME' }
  | { readonly type: 'CANCEL' }
  | { readonly type: 'ONLINE' }
  | { readonly type: 'OFFLINE' };

/** An effect's output as an event named after its tag (`probe.Probed`…): each transition reads it once. */
export type OutcomeEvent<
  Actor extends string,
  Output extends { readonly _tag: string },
> = Output extends unknown ? { readonly type: `${Actor}.${Output['_tag']}`; readonly output: Output } : never;

/**
 * The end of a data request, `transfer.<outcome>`, with the checkpoint it saved last and the size of the part
 * file now. The machine never sees body chunks, only durable steps. `stored`: that checkpoint is on storage; not
 * when a download whole before its first checkpoint was due saved none (`CheckpointSaver.saveLast`): then nothing
 * on storage counts a byte of it.
 */
type TransferEnded<O extends TransferOutcome> = O extends unknown
  ? {
      readonly type: `transfer.${O['_tag']}`;
      readonly outcome: O;
      readonly checkpoint: Checkpoint;
      readonly stored: boolean;
      readonly partSize: number;
    }
  : never;

export type TransferEndEvent = TransferEnded<TransferOutcome>;

/** What the transfer actor sends its parent. */
export type TransferEvent =
  /** A checkpoint was saved after the bytes it counts were flushed (R20). */
  { readonly type: 'CHECKPOINTED'; readonly checkpoint: Checkpoint } | TransferEndEvent;

/** What the machine sends the transfer actor. */
export type TransferCommand = { readonly type: 'STOP' };

/** An effect broke an invariant (it threw): the machine rethrows it, which fails the actor with that error. */
export type EffectCrashed = {
  readonly type: 'effect.crashed';
  readonly actor: string;
  readonly error: unknown;
};

export type DownloadMachineEvent =
  | ControlEvent
  | TransferEvent
  | OutcomeEvent<'prepare', PrepareOutput>
  | OutcomeEvent<'probe', ProbeOutput>
  | OutcomeEvent<'adopt', AdoptOutput>
  | OutcomeEvent<'verify', VerifyOutput>
  | OutcomeEvent<'commit', CommitOutput>
  | OutcomeEvent<'refresh', RefreshOutput>
  | OutcomeEvent<'release', ReleaseOutput>
  | OutcomeEvent<'discard', ReleaseOutput>
  | EffectCrashed;
