import type { DownloadPorts, Progress } from '../model/download.js';
import type { RefreshUrl } from '../model/options.js';
import { createAdoptActor } from './actors/adoptActor.js';
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

/**
 * The machine of one download, its effects filled with actors that close over the ports and the download's
 * session (open file, running hash), and the caller's `refreshUrl` hook (R18). Progress goes to `publish`, throttled,
 * never through the machine.
 */
export const machineFor = (
  ports: DownloadPorts,
  publish: (progress: Progress) => void,
  refreshUrl?: RefreshUrl,
  /** The download's rate limit (R44). Default: none. */
  limit: RateLimit = new RateLimit(ports.clock, null),
) => {
  const session = new DownloadSession(ports.hasher);
  const progress = new ProgressReporter(ports.clock, publish);
  const { http, storage, checkpoints, clock } = ports;
  const machine = downloadMachine.provide({
    actors: {
      prepare: createPrepareActor({ storage, checkpoints, session }),
      probe: createProbeActor({ http, clock, session }),
      transfer: createTransferActor({ http, checkpoints, clock, session, progress, limit }),
      verify: createVerifyActor({ checkpoints, session }),
      adopt: createAdoptActor({ storage, checkpoints, hasher: ports.hasher, session }),
      refresh: createRefreshActor(refreshUrl),
      release: createReleaseActor({ storage, checkpoints, session }),
      discard: createDiscardActor({ storage, checkpoints, session }),
    },
  });
  return { machine, progress, session };
};
