import {
  createDownload as createCoreDownload,
  type Download,
  type DownloadOptions,
  type DownloadPorts,
  type DownloadResult,
} from '@rdl/core';
import { refusedDownload } from '@rdl/core/adapter';
import { FileCheckpointStore } from './FileCheckpointStore.js';
import { FsStorage } from './FsStorage.js';
import { NodeHasher } from './NodeHasher.js';
import { NodeHttp } from './NodeHttp.js';
import { systemClock } from './systemClock.js';
import { targetProblem } from './targetPath.js';

/** One HTTP client per redirect policy for every download of the process, so that keep-alive sockets are shared. */
const sharedHttp = new Map<boolean, NodeHttp>();

const httpFor = (allowHttpsDowngrade: boolean): NodeHttp => {
  let http = sharedHttp.get(allowHttpsDowngrade);
  if (http === undefined) {
    http = new NodeHttp({ allowHttpsDowngrade });
    sharedHttp.set(allowHttpsDowngrade, http);
  }
  return http;
};

/**
 * The Node.js ports: HTTP/1.1 on node:net and node:tls with keep-alive (`NodeHttp`, following a redirect from https
 * to http only with `allowHttpsDowngrade`, R37), `<target>.part` files with a `<target>.lock`, checkpoints in
 * `<target>.rdl.json`, node:crypto hashes and the system clock.
 */
export const nodePorts = (options: Pick<DownloadOptions, 'allowHttpsDowngrade'> = {}): DownloadPorts => ({
  http: httpFor(options.allowHttpsDowngrade === true),
  storage: new FsStorage(),
  checkpoints: new FileCheckpointStore(),
  clock: systemClock,
  hasher: new NodeHasher(),
});

/**
 * Downloads `options.url` to the file `options.target` (a path), resumably: the same `Download` surface as core's
 * `createDownload`, with the Node.js ports filled in. `overrides` replaces any of them (tests inject faults
 * there).
 *
 * A target in a folder that does not exist, or naming a folder, is refused before any request and without
 * creating a file (R30): `result` rejects with `ERR_INVALID_INPUT`, and `start()` reports it to subscribers.
 */
export const createDownload = (
  options: DownloadOptions,
  overrides: Partial<DownloadPorts> = {},
): Download => {
  const problem = targetProblem(options.target);
  if (problem !== null) return refusedDownload(problem);
  return createCoreDownload(options, { ...nodePorts(options), ...overrides });
};

/** One call: `createDownload(options, overrides).start()`. Resolves when the file is there, verified. */
export const download = (
  options: DownloadOptions,
  overrides: Partial<DownloadPorts> = {},
): Promise<DownloadResult> => createDownload(options, overrides).start();
