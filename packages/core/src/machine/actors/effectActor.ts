import type { AnyEventObject, CallbackLogicFunction } from 'xstate';
import { type AbortSignalLike, createAbortHandle } from '../../ports/abort.js';
import type { EffectCrashed } from '../events.js';
import type { DownloadSession } from './session.js';

/**
 * One effect as an actor's callback (see `machineFor`): `run` goes once (as work the download's `session` tracks, when one is given: release and
 * discard wait for that work, so they are not tracked themselves); its output reaches the machine as
 * the event `<name>.<tag>` (`probe.Probed`, `probe.Retry`…), so that each transition of the chart reads one outcome
 * without narrowing it again. Leaving the state stops the actor, which aborts `signal`; whatever it reports after
 * that is dropped. An exception is a broken invariant: it reaches the machine as `effect.crashed`, never as an
 * invented failure.
 */
export const effectActor =
  <Input, Output extends { readonly _tag: string }>(
    name: string,
    run: (input: Input, signal: AbortSignalLike) => Promise<Output>,
    session?: DownloadSession,
  ): CallbackLogicFunction<AnyEventObject, AnyEventObject, Input> =>
  ({ input, sendBack }) => {
    const abort = createAbortHandle();
    const work = run(input, abort.signal).then(
      (output) => sendBack({ type: `${name}.${output._tag}`, output }),
      (error: unknown) => sendBack({ type: 'effect.crashed', actor: name, error } satisfies EffectCrashed),
    );
    void session?.track(work);
    return () => abort.abort();
  };
