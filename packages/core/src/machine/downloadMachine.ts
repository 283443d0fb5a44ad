import { initialContext } from './context.js';
import { machineSetup } from './machineSetup.js';
import { endingStates } from './states/ending.js';
import { startingStates } from './states/starting.js';
import { transferringStates } from './states/transferring.js';

export type { MachineEmitted } from './machineSetup.js';

/**
 * The download, as a sequence of steps. It only sequences: what an answer means, where to begin, how long to wait,
 * when to give up are the rules' (`planStart`, `afterFailure`…), and every effect is an actor given by `provide()`
 * that reports its outcome as an event of its own (`probe.Probed`, `transfer.Retry`…).
 *
 * ```
 * idle ─START→ preparing ─→ recognising ─→ heading ─→ deciding ─→ downloading ─Done→ verifying → committing → done
 *                               └→ adopting → done    ↑                │ Continue ─→ resuming ─→ downloading
 *                                                     │                │ Retry/Restart/Expired → judging
 *              judging ─→ waiting ─delay/online→ resuming (─→ heading while no probe of this run holds)
 *                     └─→ refreshing ─→ heading        └→ failing → failed   (a rule gave up)
 *   paused ←── pausing ←─PAUSE (any working state)
 *   cancelled ← cancelling ←─CANCEL (any working state, paused)
 * ```
 *
 * A retry asks the data again without a new probe: the answer's own validators are checked (R9–R13). A restart, a
 * refreshed URL and a new run probe again.
 */
export const downloadMachine = machineSetup.createMachine({
  id: 'download',
  context: ({ input }) => initialContext(input),
  initial: 'idle',
  on: {
    ONLINE: { actions: 'setOnline' },
    OFFLINE: { actions: 'setOffline' },
    'effect.crashed': { actions: 'crash' },
  },
  states: { ...startingStates, ...transferringStates, ...endingStates },
});

export type DownloadMachine = typeof downloadMachine;
