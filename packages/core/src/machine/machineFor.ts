import { type ActorSystem, fromCallback } from 'xstate';
import type { DownloadPorts, Progress } from '../model/download.js';
import type { RefreshUrl } from '../model/options.js';
import { createAdoptActor } from './actors/adoptActor.js';
import { createCommitActor } from './actors/commitActor.js';
import { withKeptCheckpoint } from './actors/keptCheckpoint.js';
import { KnownCheckpoints } from './actors/knownCheckpoints.js';
import { createPrepareActor } from './actors/prepareActor.js';
import { createProbeActor } from './actors/probeActor.js';
import { ProgressReporter } from './actors/progressReporter.js';
import { RateLimit } from './actors/rateLimit.js';
import { createRefreshActor } from './actors/refreshActor.js';
import { createDiscardActor, createReleaseActor } from './actors/releaseActor.js';
import { DownloadSession } from './actors/session.js';
import { createTransferActor } from './actors/transferActor.js';
import { createVerifyActor } from './actors/verifyActor.js';
import { downloadMachine } from './downloadMachine.js';
import type { EffectCallback, EffectLogic, EffectName } from './effects.js';

/** What ties a download to others beside it (a queue's), all optional. */
export interface MachineBindings {
  /** The download's rate limit (R44), which may read under a queue's. Default: none. */
  readonly limit?: RateLimit;
  /** The download's live share of its origin's connections (a queue's, R43). Default: its own growth alone. */
  readonly connectionShare?: () => number;
  /**
   * Called once the file is whole under its name, before its checkpoint is removed (R19), and awaited: a queue
   * records the item finished there, so that no kill leaves a finished file its queue would fetch again (R45). The
   * checkpoint outlives the call, and with it the adoption of the file by the next start (R34). `checkpointStored`
   * says whether a checkpoint that counts the file is on storage (false when neither the journal nor storage could
   * keep the one `committing` was given). It answers whether the record is durable: when not (the queue's store
   * failed), the checkpoint stays beside the file, so that the next start adopts the file (R34) rather than fetch it
   * again.
   */
  readonly finished?: (bytes: number, checkpointStored: boolean) => Promise<boolean>;
  /**
   * Called, and awaited, before the rename of a file no checkpoint on storage counts (a small one saves none,
   * `CheckpointSaver.saveLast`), with the checkpoint that counts it, its bytes flushed (R20): a queue keeps it in its
   * journal, so that a kill after the rename leaves a file the next start adopts (R19, R45), and `finished` need not
   * wait for the queue's store. It answers whether the journal holds it: when not, the checkpoint is saved beside
   * the file instead, before the rename.
   */
  readonly committing?: (checkpoint: string) => Promise<boolean>;
  /** The checkpoint a queue kept (`committing`): what a start loads when storage has none. */
  readonly kept?: string;
}

/** What each actor the machine invokes runs, for one download: callbacks over its ports and its session. */
export type DownloadEffects = { readonly [K in EffectName]: EffectCallback<K> };

// biome-ignore lint/suspicious/noExplicitAny: xstate's own AnyActorSystem, which it does not export.
type AnyActorSystem = ActorSystem<any>;

/** The effects of each running download, by the actor system of its machine (which its invoked actors share). */
const effectsBySystem = new WeakMap<AnyActorSystem, DownloadEffects>();

const effectsOf = (system: AnyActorSystem): DownloadEffects => {
  const effects = effectsBySystem.get(system);
  if (effects === undefined)
    throw new Error('a download actor started without its effects: use machineFor().bind');
  return effects;
};

/**
 * The machine every download runs, built once: `provide()` builds the whole state tree again, a third of a
 * millisecond a download (a tenth of a list's set-up time per file). Each invoked actor runs the callback of its
 * download's effects, found through the actor system it runs in.
 */
const boundMachine = (() => {
  // The scope is the one the machine gives effect `name`; TypeScript cannot tie the two through the generic.
  const delegate = <K extends EffectName>(name: K): EffectLogic<K> =>
    fromCallback((scope) =>
      (effectsOf(scope.system)[name] as EffectCallback<EffectName>)(scope as never),
    ) as EffectLogic<K>;
  return downloadMachine.provide({
    actors: {
      prepare: delegate('prepare'),
      probe: delegate('probe'),
      transfer: delegate('transfer'),
      verify: delegate('verify'),
      commit: delegate('commit'),
      adopt: delegate('adopt'),
      refresh: delegate('refresh'),
      release: delegate('release'),
      discard: delegate('discard'),
    },
  });
})();

/**
 * The machine of one download and its effects: actors that close over the ports and the download's session (open
 * file, running hash), and the caller's `refreshUrl` hook (R18). `bind(actor)` gives an actor of `machine` those
 * effects, before it starts. Progress goes to `publish`, throttled, never through the machine.
 */
export const machineFor = (
  ports: DownloadPorts,
  publish: (progress: Progress) => void,
  refreshUrl?: RefreshUrl,
  bindings: MachineBindings = {},
) => {
  const { limit = new RateLimit(ports.clock, null), connectionShare, finished, committing, kept } = bindings;
  const session = new DownloadSession(ports.hasher);
  const progress = new ProgressReporter(ports.clock, publish);
  const { http, storage, checkpoints, clock } = ports;
  // What the steps under the lock save and load, so that removing a checkpoint never saved asks nothing.
  const locked = new KnownCheckpoints(
    kept === undefined ? checkpoints : withKeptCheckpoint(checkpoints, kept),
  );
  const effects: DownloadEffects = {
    prepare: createPrepareActor({ storage, checkpoints: locked, session }),
    probe: createProbeActor({ http, clock, session }),
    transfer: createTransferActor({
      http,
      checkpoints: locked,
      clock,
      session,
      progress,
      limit,
      ...(connectionShare === undefined ? {} : { connectionShare }),
    }),
    verify: createVerifyActor({ checkpoints: locked, session }),
    commit: createCommitActor({
      checkpoints: locked,
      session,
      ...(finished === undefined ? {} : { finished }),
      ...(committing === undefined ? {} : { committing }),
    }),
    adopt: createAdoptActor({
      storage,
      checkpoints,
      hasher: ports.hasher,
      session,
      ...(finished === undefined ? {} : { finished }),
    }),
    refresh: createRefreshActor(refreshUrl, clock),
    release: createReleaseActor({ storage, checkpoints, session }),
    discard: createDiscardActor({ storage, checkpoints, session }),
  };
  const bind = (actor: { readonly system: AnyActorSystem }): void => {
    effectsBySystem.set(actor.system, effects);
  };
  return { machine: boundMachine, bind, progress, session };
};
