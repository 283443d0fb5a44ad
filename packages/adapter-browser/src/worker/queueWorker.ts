/**
 * The dedicated worker a browser queue runs in (R45): core's queue, kept in IndexedDB (`IdbQueueStore`), each item a
 * download run here as `createDownload` runs one in its worker (fetch, OPFS sync access handles, the machine), bound
 * to the queue (one rate limit, the origin's connections shared). The page drives it with `ToQueueWorker` messages
 * and mirrors it from `FromQueueWorker` messages (`createQueue` in `../createQueue.ts`).
 */

import { createQueue, type Queue } from '@rdl/core';
import { browserClock } from '../browserClock.js';
import { createBoundDownload } from '../createDownload.js';
import { IdbQueueStore } from '../IdbQueueStore.js';
import type { FromQueueWorker, QueueCall, ToQueueWorker } from './queueProtocol.js';
import { toWireQueueEvent } from './queueProtocol.js';
import { holdWorkerLife } from './workerLife.js';

const scope = self as unknown as {
  postMessage(message: FromQueueWorker): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<ToQueueWorker>) => void): void;
};

let queue: Queue | null = null;
let opening = false;
/** Calls that came before the queue was open and loaded: run once it is, in order. */
const early: Extract<ToQueueWorker, { type: 'call' }>[] = [];

/**
 * One queue per database at a time (two tabs would run the same items and overwrite each other's records): the
 * worker holds the Web Lock `rdl-queue:<database>` for as long as it lives. One that finds it held says so (`busy`)
 * and waits for it: the page being unloaded on a reload lets it go soon, another tab when it closes. Where there are
 * no Web Locks, the queue opens unguarded.
 */
const ownDatabase = async (databaseName: string, owned: () => void): Promise<void> => {
  const locks = (globalThis as { navigator?: { locks?: LockManager } }).navigator?.locks;
  if (locks === undefined) {
    owned();
    return;
  }
  const name = `rdl-queue:${databaseName}`;
  const held = await locks.query().catch(() => ({ held: [] }) as LockManagerSnapshot);
  if (held.held?.some((lock) => lock.name === name)) scope.postMessage({ type: 'busy' });
  locks
    .request(name, () => {
      owned();
      return new Promise<never>(() => {});
    })
    .catch(() => owned());
};

const open = (message: Extract<ToQueueWorker, { type: 'open' }>): Queue => {
  const opened = createQueue(message.options, {
    clock: browserClock,
    store: new IdbQueueStore({ databaseName: message.databaseName }),
    createDownload: (options, bindings) => createBoundDownload(options, bindings),
  });
  opened.subscribe((event) => scope.postMessage({ type: 'event', event: toWireQueueEvent(event) }));
  void opened.ready.then(() => scope.postMessage({ type: 'ready', items: opened.items() }));
  return opened;
};

const run = async (on: Queue, call: QueueCall): Promise<unknown> => {
  switch (call.op) {
    case 'add':
      return on.add(call.options).id;
    case 'move':
      return on.move(call.id, call.position);
    case 'reorder':
      return on.reorder(call.ids);
    case 'forget':
      return on.forget(call.ids);
    case 'rate':
      return on.setRateLimit(call.bytesPerSecond);
    case 'pauseAll':
      return on.pauseAll();
    case 'resumeAll':
      return on.resumeAll();
    case 'idle':
      return on.idle();
    case 'flushed':
      return on.flushed();
    default:
      return on[call.op](call.id);
  }
};

const serve = (on: Queue, message: Extract<ToQueueWorker, { type: 'call' }>): void => {
  const answer = (outcome: Extract<FromQueueWorker, { type: 'answer' }>['outcome']) =>
    scope.postMessage({ type: 'answer', id: message.id, outcome, items: on.items() });
  run(on, message.call).then(
    (value) => answer({ ok: true, value }),
    (error: unknown) =>
      answer({
        ok: false,
        message: (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '',
      }),
  );
};

holdWorkerLife((lock) => scope.postMessage({ type: 'alive', lock }));

scope.addEventListener('message', ({ data: message }) => {
  if (message.type === 'open') {
    if (opening) return;
    opening = true;
    void ownDatabase(message.databaseName, () => {
      const opened = open(message);
      // Calls wait for the stored items: an item added before them would take a stored one's id, which core
      // then renames, and a page's rows would change ids across a reload.
      void opened.ready.then(() => {
        queue = opened;
        for (const call of early.splice(0)) serve(opened, call);
      });
    });
    return;
  }
  if (queue === null) early.push(message);
  else serve(queue, message);
});
