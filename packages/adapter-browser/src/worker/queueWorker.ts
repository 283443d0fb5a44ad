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

holdWorkerLife((lock) => scope.postMessage({ type: 'alive', lock }));

scope.addEventListener('message', ({ data: message }) => {
  if (message.type === 'open') {
    queue ??= open(message);
    return;
  }
  const on = queue;
  if (on === null) return;
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
});
