import type { PartFile, StorageFailure, StoragePort } from '@rdl/core';
import type * as TE from 'fp-ts/TaskEither';

/** The part of `Worker`/`MessagePort`/`DedicatedWorkerGlobalScope` the RPC needs. */
export interface MessageEndpoint {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
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

/**
 * Serves `storage` to the other side of `endpoint` (run in a dedicated worker, where `OpfsStorage`'s sync handles
 * exist). Each open part file gets a number; the caller's `RemoteStorage` names it in later calls.
 */
export const serveStorage = (endpoint: MessageEndpoint, storage: StoragePort): void => {
  const files = new Map<number, PartFile>();
  let nextFile = 1;
  const run = async (call: StorageCall): Promise<StorageReply['result']> => {
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
    const request = event.data as StorageRequest | null;
    if (request?.rdlStorage !== 'call') return;
    void run(request.call).then((result) => {
      const reply: StorageReply = { rdlStorage: 'reply', id: request.id, result };
      endpoint.postMessage(reply);
    });
  });
};

/**
 * A `StoragePort` whose calls run in another realm, served there by `serveStorage`: how a page uses `OpfsStorage`,
 * whose sync access handles exist only in a dedicated worker. The contract is the served storage's; every call is
 * one message each way, and written bytes are copied across.
 */
export class RemoteStorage implements StoragePort {
  #nextId = 1;
  readonly #pending = new Map<number, (result: StorageReply['result']) => void>();

  constructor(private readonly endpoint: MessageEndpoint) {
    endpoint.addEventListener('message', (event) => {
      const reply = event.data as StorageReply | null;
      if (reply?.rdlStorage !== 'reply') return;
      this.#pending.get(reply.id)?.(reply.result);
      this.#pending.delete(reply.id);
    });
  }

  #call<A>(call: StorageCall): TE.TaskEither<StorageFailure, A> {
    return () =>
      new Promise((resolve) => {
        const id = this.#nextId++;
        this.#pending.set(id, resolve as (result: StorageReply['result']) => void);
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
