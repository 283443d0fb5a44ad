import type { CheckpointStore, PartFile, StorageFailure, StoragePort } from '@rdl/core';
import * as E from 'fp-ts/lib/Either.js';
import * as TE from 'fp-ts/lib/TaskEither.js';
import type { ByteSink } from './byteSink.js';
import { toStorageFailure } from './fsFailure.js';

const ioError = (message: string): StorageFailure => ({ _tag: 'IoError', message });

/**
 * A stream has no checkpoint (R32): nothing of it survives the process, so nothing is saved. Core keeps the
 * checkpoint of the running download in memory, which is all a retry within the run needs.
 */
export const noCheckpoints: CheckpointStore = {
  load: () => TE.right(null),
  save: () => TE.right(undefined),
  remove: () => TE.right(undefined),
};

/**
 * Downloads written as a plain stream (R32): a device such as /dev/null, a FIFO, a link to one, stdout. Bytes go
 * to the sink strictly in order, each write after the last; nothing is created, renamed or removed beside the
 * target, and there is no lock. What went out cannot be taken back: a write elsewhere than at the end, or a
 * truncate below it (a restart from 0, a resume before the end) is a `Left` `IoError`, and so the download fails
 * rather than send bytes twice. A retry within the run resumes at the end (a `Range` request); a pause ends the
 * stream, and a resume after it fails: a stream is not resumable.
 *
 * One storage is one stream: `openSink` runs at the first `open`, which is the only one that succeeds.
 */
export class StreamStorage implements StoragePort {
  #opened = false;

  /** `name` names the stream in messages (`/dev/null`, `stdout`). */
  constructor(
    private readonly name: string,
    private readonly openSink: () => Promise<ByteSink>,
  ) {}

  open(_target: string): TE.TaskEither<StorageFailure, PartFile> {
    return async () => {
      if (this.#opened) {
        return E.left(ioError(`${this.name} was written as a stream, which ended: it cannot be resumed`));
      }
      this.#opened = true;
      const sink = await TE.tryCatch(this.openSink, toStorageFailure('open', this.name))();
      return E.map((opened: ByteSink): PartFile => new StreamPartFile(this.name, opened))(sink);
    };
  }

  /** Nothing was created beside the stream, so there is nothing to remove. */
  remove(_target: string): TE.TaskEither<StorageFailure, void> {
    return TE.right(undefined);
  }

  /** A stream is never a finished file a killed run left (R19): there is none to adopt. */
  targetSize(_target: string): TE.TaskEither<StorageFailure, number | null> {
    return TE.right(null);
  }

  readTarget(_target: string, _offset: number, _length: number): TE.TaskEither<StorageFailure, Uint8Array> {
    return TE.left(ioError(`${this.name} is a stream: it cannot be read back`));
  }
}

/** The open stream: what was handed to the sink counts as written, in order. */
class StreamPartFile implements PartFile {
  /** Bytes go out in order: one connection, never segments (R32). */
  readonly sequential = true;
  #sink: ByteSink | null;
  /** The end of the bytes handed to `write` so far, finished or not: where the next write must begin. */
  #queued = 0;
  /** The end of the bytes the sink took. */
  #written = 0;
  /** The writes in flight, one after the other; a failed one fails every write after it. */
  #tail: Promise<void> = Promise.resolve();

  constructor(
    private readonly name: string,
    sink: ByteSink,
  ) {
    this.#sink = sink;
  }

  size(): TE.TaskEither<StorageFailure, number> {
    return this.#whileOpen('size', async () => this.#written);
  }

  write(offset: number, bytes: Uint8Array): TE.TaskEither<StorageFailure, void> {
    return async () => {
      const sink = this.#sink;
      if (sink === null) return E.left(this.#closed('write'));
      if (offset !== this.#queued) {
        return E.left(
          ioError(`${this.name} is a stream at byte ${this.#queued}: it cannot be written at ${offset}`),
        );
      }
      this.#queued += bytes.byteLength;
      const written = this.#tail.then(async () => {
        await sink.write(bytes);
        this.#written += bytes.byteLength;
      });
      this.#tail = written;
      return TE.tryCatch(() => written, toStorageFailure('write', this.name))();
    };
  }

  read(_offset: number, _length: number): TE.TaskEither<StorageFailure, Uint8Array> {
    return TE.left(ioError(`${this.name} is a stream: it cannot be read back`));
  }

  /** The end is the only place a stream can be: truncating there does nothing, anywhere else cannot be done. */
  truncate(length: number): TE.TaskEither<StorageFailure, void> {
    return async () => {
      if (this.#sink === null) return E.left(this.#closed('truncate'));
      if (length === this.#queued) return E.right(undefined);
      return E.left(
        ioError(
          `${this.#queued} bytes already went to ${this.name}, a stream: it cannot go back to byte ${length}`,
        ),
      );
    };
  }

  /** Every write handed on: all a stream can promise of its bytes. */
  flush(): TE.TaskEither<StorageFailure, void> {
    return this.#whileOpen('flush', () => this.#tail);
  }

  commit(): TE.TaskEither<StorageFailure, void> {
    return this.#end('commit');
  }

  /** The bytes sent cannot be deleted: the stream just ends. */
  discard(): TE.TaskEither<StorageFailure, void> {
    return this.#end('discard');
  }

  close(): TE.TaskEither<StorageFailure, void> {
    return this.#sink === null ? TE.right(undefined) : this.#end('close');
  }

  #end(operation: string): TE.TaskEither<StorageFailure, void> {
    return async () => {
      const sink = this.#sink;
      if (sink === null) return E.left(this.#closed(operation));
      this.#sink = null;
      const tail = this.#tail;
      return TE.tryCatch(
        async () => {
          try {
            await tail;
          } finally {
            await sink.end();
          }
        },
        toStorageFailure(operation, this.name),
      )();
    };
  }

  #whileOpen<A>(operation: string, run: () => Promise<A>): TE.TaskEither<StorageFailure, A> {
    return async () =>
      this.#sink === null
        ? E.left(this.#closed(operation))
        : TE.tryCatch(run, toStorageFailure(operation, this.name))();
  }

  #closed(operation: string): StorageFailure {
    return ioError(`${operation} ${this.name}: the stream is closed`);
  }
}
