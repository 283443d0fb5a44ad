import { resolve } from 'node:path';
import {
  createDownload as createCoreDownload,
  type Download,
  type DownloadOptions,
  type DownloadPorts,
  type DownloadResult,
  type QueueBindings,
} from '@rdl/core';
import { guardedDownload, refusedDownload } from '@rdl/core/adapter';
import * as E from 'fp-ts/lib/Either.js';
import { openFileSink, writableSink } from './byteSink.js';
import { FileCheckpointStore } from './FileCheckpointStore.js';
import { FsStorage } from './FsStorage.js';
import { NodeHasher } from './NodeHasher.js';
import { NodeHttp, type NodeHttpOptions } from './NodeHttp.js';
import { noCheckpoints, StreamStorage } from './StreamStorage.js';
import { systemClock } from './systemClock.js';
import { targetKindOf } from './targetKind.js';
import { sidecarNameProblem, targetProblem } from './targetPath.js';

/**
 * What `nodePorts` builds its transport from: the redirect policy of a download, and the proxy of its requests (see
 * `NodeHttpOptions`: `proxy` `http://[user:password@]host[:port]` or `''` for none, `noProxy` as `NO_PROXY`).
 * Default: no downgrade, the proxy from the environment (`http_proxy`, `https_proxy`, `all_proxy`, `no_proxy`,
 * lower case first).
 */
export type NodePortOptions = Pick<DownloadOptions, 'allowHttpsDowngrade'> &
  Pick<NodeHttpOptions, 'proxy' | 'noProxy'>;

/**
 * One HTTP client per redirect policy and proxy settings for every download of the process, so that keep-alive
 * sockets are shared.
 */
const sharedHttp = new Map<string, NodeHttp>();

const httpFor = (options: NodePortOptions): NodeHttp => {
  const settings = {
    allowHttpsDowngrade: options.allowHttpsDowngrade === true,
    ...(options.proxy === undefined ? {} : { proxy: options.proxy }),
    ...(options.noProxy === undefined ? {} : { noProxy: options.noProxy }),
  };
  const key = JSON.stringify([settings.allowHttpsDowngrade, options.proxy ?? null, options.noProxy ?? null]);
  let http = sharedHttp.get(key);
  if (http === undefined) {
    http = new NodeHttp(settings);
    sharedHttp.set(key, http);
  }
  return http;
};

/**
 * The Node.js ports: HTTP/1.1 on node:net and node:tls with keep-alive (`NodeHttp`, following a redirect from https
 * to http only with `allowHttpsDowngrade`, R37, through the proxy of `proxy` / `noProxy` or the environment),
 * `<target>.part` files with a `<target>.lock`, checkpoints in
 * `<target>.rdl.json`, node:crypto hashes and the system clock.
 */
export const nodePorts = (options: NodePortOptions = {}): DownloadPorts => ({
  http: httpFor(options),
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
 * A target that exists and is not a regular file (a device such as /dev/null, a FIFO, a socket, a symbolic link)
 * is written through as a plain stream (R32, `targetKindOf`): in order, not resumable, with no file created beside
 * it, never renamed over, truncated or removed; `isStreamTarget` tells which. A link or a special file of another
 * user than this one or root is refused (`ERR_UNSAFE_PATH`).
 *
 * A relative target is resolved against the current folder once, here: a later `process.chdir()` moves nothing of
 * the download, and `result.target` is that absolute path.
 *
 * A target in a folder that does not exist, naming a folder, or whose name leaves no room for its sidecars' (more
 * than `maxTargetNameBytes`), is refused before any request and without creating a file (R30): `result` rejects
 * with `ERR_INVALID_INPUT`, and `start()` reports it to subscribers.
 */
export const createDownload = (options: DownloadOptions, overrides: Partial<DownloadPorts> = {}): Download =>
  createBoundDownload(options, overrides, {});

/**
 * `createDownload` tied to a queue (`bindings`, which `createQueue` gives): the same surface as the browser's, so the
 * third parameter stays out of the public one.
 */
export const createBoundDownload = (
  options: DownloadOptions,
  overrides: Partial<DownloadPorts>,
  bindings: QueueBindings,
): Download => guardedDownload(() => nodeDownload(options, overrides, bindings));

const nodeDownload = (
  given: DownloadOptions,
  overrides: Partial<DownloadPorts>,
  bindings: QueueBindings,
): Download => {
  if (typeof given !== 'object' || given === null)
    return refusedDownload({ _tag: 'InvalidInput', field: 'options', message: 'must be an object' });
  if (typeof given.target !== 'string' || given.target === '')
    return refusedDownload({ _tag: 'InvalidInput', field: 'target', message: 'must be a non-empty string' });
  // Every port names the part file, the checkpoint and the lock by the target's path: a relative one would follow a
  // process.chdir() made while the download runs, and put its checkpoint, lock or finished file in another folder.
  const options: DownloadOptions = { ...given, target: resolve(given.target) };
  const problem = targetProblem(options.target);
  if (problem !== null) return refusedDownload(problem);
  const kind = targetKindOf(options.target);
  if (E.isLeft(kind)) return refusedDownload(kind.left);
  if (kind.right._tag === 'File') {
    const tooLong = sidecarNameProblem(options.target);
    if (tooLong !== null) return refusedDownload(tooLong);
    return createCoreDownload(options, { ...nodePorts(options), ...overrides }, bindings);
  }
  const stream = kind.right;
  const storage = new StreamStorage(options.target, () => openFileSink(options.target, stream));
  return createCoreDownload(
    options,
    { ...nodePorts(options), storage, checkpoints: noCheckpoints, ...overrides },
    bindings,
  );
};

/**
 * Downloads `options.url` into the stream `output` (`rdl URL -o -` gives stdout), as `createDownload` writes a
 * device (R32): in order, not resumable, nothing written to disk. `options.target` only names the stream in
 * messages.
 */
export const createStreamDownload = (
  options: DownloadOptions,
  output: NodeJS.WritableStream,
  overrides: Partial<DownloadPorts> = {},
): Download => {
  const storage = new StreamStorage(options.target, async () => writableSink(output));
  return createCoreDownload(options, {
    ...nodePorts(options),
    storage,
    checkpoints: noCheckpoints,
    ...overrides,
  });
};

/** One call: `createDownload(options, overrides).start()`. Resolves when the file is there, verified. */
export const download = (
  options: DownloadOptions,
  overrides: Partial<DownloadPorts> = {},
): Promise<DownloadResult> => createDownload(options, overrides).start();
