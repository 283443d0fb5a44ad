import type { DownloadPorts, Progress } from '../download.js';
import type { ResolvedOptions } from '../options.js';
import { createAdoptActor } from './adoptActor.js';
import { hashAlgorithms } from './checksums.js';
import { downloadMachine } from './downloadMachine.js';
import { createPrepareActor } from './prepareActor.js';
import { createProbeActor } from './probeActor.js';
import { ProgressReporter } from './progressReporter.js';
import { createRefreshActor } from './refreshActor.js';
import { createDiscardActor, createReleaseActor } from './releaseActor.js';
import { DownloadSession } from './session.js';
import { createTransferActor } from './transferActor.js';
import { createVerifyActor } from './verifyActor.js';

/**
 * The machine of one download, its effects filled with actors that close over the ports and the download's
 * session (open file, running hash). Progress goes to `publish`, throttled, never through the machine.
 */
export const machineFor = (
  options: ResolvedOptions,
  ports: DownloadPorts,
  publish: (progress: Progress) => void,
) => {
  const session = new DownloadSession(ports.hasher, hashAlgorithms(options));
  const progress = new ProgressReporter(ports.clock, publish);
  const { http, storage, checkpoints, clock } = ports;
  const machine = downloadMachine.provide({
    actors: {
      prepare: createPrepareActor({ storage, checkpoints, session }),
      probe: createProbeActor({ http, clock, session }),
      transfer: createTransferActor({ http, checkpoints, clock, session, progress }),
      verify: createVerifyActor({ checkpoints, session }),
      adopt: createAdoptActor({ storage, checkpoints, hasher: ports.hasher, session }),
      refresh: createRefreshActor(ports.refreshUrl),
      release: createReleaseActor({ storage, checkpoints, session }),
      discard: createDiscardActor({ storage, checkpoints, session }),
    },
  });
  return { machine, progress, session };
};
