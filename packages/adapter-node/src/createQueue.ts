import {
  createQueue as createCoreQueue,
  type DownloadPorts,
  type Queue,
  type QueueOptions,
  type QueueStore,
} from '@rdl/core';
import { readOptions } from '@rdl/core/adapter';
import { createBoundDownload, nodePorts } from './createDownload.js';
import { FileQueueStore } from './FileQueueStore.js';
import { NodeHttp } from './NodeHttp.js';
import { systemClock } from './systemClock.js';

/** Options of the Node.js queue. */
export interface NodeQueueOptions extends QueueOptions {
  /**
   * The file the queue is kept in (R45), as a journal (`FileQueueStore`): a queue created again over the same file
   * after a kill goes on with the same items. Default: none, the queue lives in memory only.
   */
  readonly file?: string;
  /** Where the queue is kept, instead of `file` (a database, a test's). */
  readonly store?: QueueStore;
}

/**
 * The queue's own fields and core's, read once (R30, `readOptions`): options that are no object or cannot be read
 * are core's `DownloadError`, never a raw `TypeError`; core checks the rest.
 */
const takenApart = (
  options: NodeQueueOptions,
): { file: string | undefined; store: QueueStore | undefined; queueOptions: QueueOptions } => {
  return readOptions(options, ({ file, store, ...queueOptions }) => ({ file, store, queueOptions }));
};

/**
 * A queue of downloads to files (core's `createQueue`), with the Node.js ports: every item a `createDownload` of
 * the Node adapter over the process's shared transport, so that keep-alive connections and TLS sessions are shared
 * across items and the per-origin cap holds for all of them. A `maxConnectionsPerOrigin` of its own gets the queue
 * transports of its own with that cap. `overrides` replaces any of the download ports. `close()` stops it (core's
 * `Queue.close`), closes its journal and the transports it made.
 */
export const createQueue = (
  options: NodeQueueOptions = {},
  overrides: Partial<DownloadPorts> = {},
): Queue => {
  const { file, store, queueOptions } = takenApart(options);
  const cap = queueOptions.maxConnectionsPerOrigin;
  // One transport per redirect policy (R37), as the process's shared ones are.
  const own = new Map<boolean, NodeHttp>();
  const httpFor = (allowHttpsDowngrade: boolean): DownloadPorts['http'] => {
    if (overrides.http !== undefined) return overrides.http;
    if (cap === undefined) return nodePorts({ allowHttpsDowngrade }).http;
    let http = own.get(allowHttpsDowngrade);
    if (http === undefined) {
      http = new NodeHttp({ maxConnectionsPerOrigin: cap, allowHttpsDowngrade });
      own.set(allowHttpsDowngrade, http);
    }
    return http;
  };
  const queue = createCoreQueue(
    {
      ...queueOptions,
      maxConnectionsPerOrigin: cap ?? httpFor(false).maxConnectionsPerOrigin ?? 16,
    },
    {
      clock: overrides.clock ?? systemClock,
      ...(store !== undefined ? { store } : file !== undefined ? { store: new FileQueueStore(file) } : {}),
      createDownload: (item, bindings) =>
        createBoundDownload(
          item,
          { ...overrides, http: httpFor(item.allowHttpsDowngrade === true) },
          bindings,
        ),
    },
  );
  // The transports made for this queue's cap go with it (their idle sockets); the process's shared ones stay.
  const close = queue.close.bind(queue);
  return Object.assign(queue, {
    close: async (): Promise<void> => {
      await close();
      for (const http of own.values()) http.close();
    },
  });
};
