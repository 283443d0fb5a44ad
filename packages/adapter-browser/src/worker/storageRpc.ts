import type { PartFile, StorageFailure, StoragePort } from '@rdl/core';
import type * as TE from 'fp-ts/TaskEither';
import { holdWorkerLife, watchWorkerLife } from './workerLife.js';

/**
 * The part of `Worker`/`MessagePort`/`DedicatedWorkerGlobalScope` the RPC needs. `error` is heard where the
 * endpoint has it (a `Worker`: its script failed).
 */
export interface MessageEndpoint {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  addEventListener(type: 'message' | 'error', listener: (event: Event) => void): void;
}

type StorageCall =
  | { readonly op: 'open'; readonly target: string }
  | { readonly op: 'remove'; readonly target: string }
  | { readonly op: 'targetSize'; readonly target: string }
  | { readonly op: 'readTarget'; readonly target: string; readonly offset: number; readonly length: number }
  | { readonly op: 'size' | 'flush' | 'commit' | 'discard' | 'close'; readonly file: number }
  | { readonly op: 'write'; readonly file: number; readonly offset: number; readonly bytes: Uint8Array }
  | { readonly op: 'read'; readonly file: number; readonly offset: number; readonly length: number }
  | { readonly op: 'truncate'; readonly file: number; readonly length: number };

interface StorageRequest {
  readonly rdlStorage: 'call';
  readonly id: number;
  readonly call: StorageCall;
}

interface StorageReply {
  readonly rdlStorage: 'reply';
  readonly id: number;
  readonly result: { _tag: 'Left'; left: StorageFailure } | { _tag: 'Right'; right: unknown };
}

/** The serving side lives, holding the Web Lock `lock` until it ends (`null`: no Web Locks there). */
interface StorageAlive {
  readonly rdlStorage: 'alive';
  readonly lock: string | null;
}

const ioError = (message: string): { _tag: 'Left'; left: StorageFailure } => ({
  _tag: 'Left',
  left: { _tag: 'IoError', message },
});

/** One line, whatever was thrown. */
const lineOf = (error: unknown): string =>
  (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';

/**
 * Serves `storage` to the other side of `endpoint` (run in a dedicated worker, where `OpfsStorage`'s sync handles
 * exist). Each open part file gets a number; the caller's `RemoteStorage` names it in later calls. Calls are
 * served once the worker's life lock is held and announced (`workerLife.ts`), so that the caller can tell its end
 * from the first answer on; a call that throws is answered with an `IoError`, never left without an answer.
 */
export const serveStorage = (endpoint: MessageEndpoint, storage: StoragePort): void => {
  const files = new Map<number, PartFile>();
  let nextFile = 1;
  const announced = new Promise<void>((resolve) => {
    holdWorkerLife((lock) => {
      const alive: StorageAlive = { rdlStorage: 'alive', lock };
      endpoint.postMessage(alive);
      resolve();
    });
  });
  const run = async (call: StorageCall): Promise<StorageReply['result']> => {
    await announced;
    if (call.op === 'remove') return storage.remove(call.target)();
    if (call.op === 'targetSize') return storage.targetSize(call.target)();
    if (call.op === 'readTarget') return storage.readTarget(call.target, call.offset, call.length)();
    if (call.op === 'open') {
      const opened = await storage.open(call.target)();
      if (opened._tag === 'Left') return opened;
      const id = nextFile++;
      files.set(id, opened.right);
      return { _tag: 'Right', right: id };
    }
    const file = files.get(call.file);
    if (file === undefined)
      return { _tag: 'Left', left: { _tag: 'IoError', message: 'the part file is closed' } };
    switch (call.op) {
      case 'size':
        return file.size()();
      case 'flush':
        return file.flush()();
      case 'commit':
        return file.commit()();
      case 'discard':
        return file.discard()();
      case 'close':
        return file.close()();
      case 'write':
        return file.write(call.offset, call.bytes)();
      case 'read':
        return file.read(call.offset, call.length)();
      case 'truncate':
        return file.truncate(call.length)();
    }
  };
  endpoint.addEventListener('message', (event) => {
    const request = (event as MessageEvent).data as StorageRequest | null;
    if (request?.rdlStorage !== 'call') return;
    const answer = (result: StorageReply['result']) => {
      const reply: StorageReply = { rdlStorage: 'reply', id: request.id, result };
      endpoint.postMessage(reply);
    };
    run(request.call).then(answer, (error: unknown) =>
      answer(ioError(`the storage call ${request.call.op} failed: ${lineOf(error)}`)),
    );
  });
};

/**
 * A `StoragePort` whose calls run in another realm, served there by `serveStorage`: how a page uses `OpfsStorage`,
 * whose sync access handles exist only in a dedicated worker. The contract is the served storage's; every call is
 * one message each way, and written bytes are copied across.
 *
 * Once the serving worker has ended (terminated, crashed, or its script failed: see `workerLife.ts`), every call
 * in flight and every later one resolves `Left(IoError)` with one line saying so, instead of waiting for ever.
 * Without Web Locks, only a script error is heard.
 */
export class RemoteStorage implements StoragePort {
  #nextId = 1;
  readonly #pending = new Map<number, (result: StorageReply['result']) => void>();
  /** Why the serving side is gone, once it is. */
  #ended: string | null = null;

  constructor(private readonly endpoint: MessageEndpoint) {
    endpoint.addEventListener('message', (event) => {
      const message = (event as MessageEvent).data as StorageReply | StorageAlive | null;
      if (message?.rdlStorage === 'alive' && message.lock !== null) {
        watchWorkerLife(message.lock, () => this.#end('the storage worker ended'));
      }
      if (message?.rdlStorage !== 'reply') return;
      this.#pending.get(message.id)?.(message.result);
      this.#pending.delete(message.id);
    });
    endpoint.addEventListener('error', (event) => {
      const detail = (event as ErrorEvent).message;
      this.#end(`the storage worker failed${detail ? `: ${lineOf(detail)}` : ''}`);
    });
  }

  #end(why: string): void {
    if (this.#ended !== null) return;
    this.#ended = why;
    for (const settle of this.#pending.values()) settle(ioError(why));
    this.#pending.clear();
  }

  #call<A>(call: StorageCall): TE.TaskEither<StorageFailure, A> {
    return () =>
      new Promise((resolve) => {
        const settle = resolve as (result: StorageReply['result']) => void;
        if (this.#ended !== null) {
          settle(ioError(this.#ended));
          return;
        }
        const id = this.#nextId++;
        this.#pending.set(id, settle);
        const request: StorageRequest = { rdlStorage: 'call', id, call };
        this.endpoint.postMessage(request);
      });
  }

  open(target: string): TE.TaskEither<StorageFailure, PartFile> {
    return async () => {
      const opened = await this.#call<number>({ op: 'open', target })();
      if (opened._tag === 'Left') return opened;
      const file = opened.right;
      const part: PartFile = {
        size: () => this.#call({ op: 'size', file }),
        write: (offset, bytes) => this.#call({ op: 'write', file, offset, bytes }),
        read: (offset, length) => this.#call({ op: 'read', file, offset, length }),
        truncate: (length) => this.#call({ op: 'truncate', file, length }),
        flush: () => this.#call({ op: 'flush', file }),
        commit: () => this.#call({ op: 'commit', file }),
        discard: () => this.#call({ op: 'discard', file }),
        close: () => this.#call({ op: 'close', file }),
      };
      return { _tag: 'Right', right: part };
    };
  }

  remove(target: string): TE.TaskEither<StorageFailure, void> {
    return this.#call({ op: 'remove', target });
  }

  targetSize(target: string): TE.TaskEither<StorageFailure, number | null> {
    return this.#call({ op: 'targetSize', target });
  }

  readTarget(target: string, offset: number, length: number): TE.TaskEither<StorageFailure, Uint8Array> {
    return this.#call({ op: 'readTarget', target, offset, length });
  }
}
