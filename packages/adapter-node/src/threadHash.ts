import type { Worker, WorkerOptions } from 'node:worker_threads';
import { DownloadError, type HashAlgorithm, type HashState } from '@rdl/core';
import { lazyBuiltin } from './lazyBuiltin.js';

const crypto = lazyBuiltin<typeof import('node:crypto')>('node:crypto');

/** Makes the hash worker from its source; tests pass one that lets them kill it. */
export type SpawnHashWorker = (source: string, options: WorkerOptions) => Worker;

/** The algorithms node:crypto computes on the worker, and the hex digits of each digest. */
export type OpenSslAlgorithm = Exclude<HashAlgorithm, 'crc64ecma'>;
const HEX_DIGITS: Readonly<Record<OpenSslAlgorithm, number>> = { sha256: 64, sha512: 128, md5: 32 };

/** Slots of the ring the bytes go through, and their size: 2 MiB of shared memory a hash. */
const SLOTS = 8;
const SLOT_BYTES = 256 * 1024;
/** `ctrl` cells: slots filled, slots hashed, the worker's failure flag, then each slot's length (-1: digest). */
const PRODUCED = 0;
const CONSUMED = 1;
const FAILED = 2;
const LENGTHS = 3;
/** A wait is cut in slices this long, so that a failure flag raised meanwhile is seen soon. */
const WAIT_SLICE_MS = 50;

/** The worker: hashes each slot as it is filled; on the digest mark writes the hex digest and ends. */
const workerSource = `
const { ctrl, data, result, algorithm, slots, slotBytes } = require('node:worker_threads').workerData;
const c = new Int32Array(ctrl);
const bytes = new Uint8Array(data);
let consumed = 0;
try {
  const hash = require('node:crypto').createHash(algorithm);
  for (;;) {
    while (Atomics.load(c, ${PRODUCED}) === consumed) Atomics.wait(c, ${PRODUCED}, consumed);
    const slot = consumed % slots;
    const length = c[${LENGTHS} + slot];
    if (length < 0) {
      new Uint8Array(result).set(Buffer.from(hash.digest('hex'), 'latin1'));
      Atomics.store(c, ${CONSUMED}, ++consumed);
      Atomics.notify(c, ${CONSUMED});
      break;
    }
    hash.update(bytes.subarray(slot * slotBytes, slot * slotBytes + length));
    Atomics.store(c, ${CONSUMED}, ++consumed);
    Atomics.notify(c, ${CONSUMED});
  }
} catch {
  Atomics.store(c, ${FAILED}, 1);
  Atomics.notify(c, ${CONSUMED});
}
`;

/** Where the hash is computed: on the worker; here (the worker died before hashing a byte); or nowhere. */
type Mode =
  | { readonly kind: 'worker'; readonly worker: Worker }
  | { readonly kind: 'here'; readonly hash: import('node:crypto').Hash }
  /** The worker died holding the hash of bytes this thread no longer has. */
  | { readonly kind: 'lost'; readonly message: string };

/**
 * One hash computed on its own worker thread. `update` copies the bytes into a ring of shared slots (the caller may
 * reuse its buffer at once) and blocks only while the ring is full, i.e. while the hash is slower than the bytes
 * arrive; `digest` waits for the worker to finish. The worker never keeps the process alive.
 *
 * No wait is unbounded: a worker that exits, fails, or makes no progress for `stallMs` while this thread waits on
 * it is given up (and terminated). If it had hashed nothing yet, every byte is still in the ring, and the hash goes
 * on here with node:crypto: the digest is exact. Otherwise the bytes it hashed are gone with it: `lost()` says so,
 * `update` does nothing more and `digest` throws a `DownloadError` (`ERR_IO`, one line), never a wrong digest.
 */
export class ThreadHashState implements HashState {
  readonly #ctrl = new Int32Array(new SharedArrayBuffer((LENGTHS + SLOTS) * 4));
  readonly #data = new Uint8Array(new SharedArrayBuffer(SLOTS * SLOT_BYTES));
  readonly #result = new Uint8Array(new SharedArrayBuffer(128));
  readonly #algorithm: OpenSslAlgorithm;
  readonly #stallMs: number;
  #mode: Mode;
  #produced = 0;
  /** Set by the worker's `exit` or `error` event, which run only between two calls of this thread. */
  #exited = false;

  constructor(algorithm: OpenSslAlgorithm, stallMs: number, spawn: SpawnHashWorker) {
    this.#algorithm = algorithm;
    this.#stallMs = stallMs;
    const worker = spawn(workerSource, {
      eval: true,
      // The code is CommonJS whatever flags the program was started with.
      execArgv: [],
      workerData: {
        ctrl: this.#ctrl.buffer,
        data: this.#data.buffer,
        result: this.#result.buffer,
        algorithm,
        slots: SLOTS,
        slotBytes: SLOT_BYTES,
      },
      resourceLimits: { maxYoungGenerationSizeMb: 1, maxOldGenerationSizeMb: 16 },
      stdout: false,
      stderr: false,
    });
    // A failure shows as the worker's exit; the error itself adds nothing the digest could use.
    worker.on('error', () => {
      this.#exited = true;
    });
    worker.on('exit', () => {
      this.#exited = true;
    });
    worker.unref();
    this.#mode = { kind: 'worker', worker };
  }

  update(bytes: Uint8Array): void {
    for (let from = 0; from < bytes.byteLength; ) {
      const length = Math.min(SLOT_BYTES, bytes.byteLength - from);
      const piece = bytes.subarray(from, from + length);
      from += length;
      if (
        this.#mode.kind === 'worker' &&
        this.#awaitWorker(() => this.#produced - this.#consumed() < SLOTS)
      ) {
        const slot = this.#produced % SLOTS;
        this.#data.set(piece, slot * SLOT_BYTES);
        this.#publish(slot, length);
      } else if (this.#mode.kind === 'here') {
        this.#mode.hash.update(piece);
      }
    }
  }

  digest(): string {
    if (this.#mode.kind === 'worker' && this.#awaitWorker(() => this.#produced - this.#consumed() < SLOTS)) {
      this.#publish(this.#produced % SLOTS, -1);
      if (this.#awaitWorker(() => this.#consumed() === this.#produced)) {
        return Buffer.from(this.#result.buffer, 0, HEX_DIGITS[this.#algorithm]).toString('latin1');
      }
    }
    if (this.#mode.kind === 'here') return this.#mode.hash.digest('hex');
    if (this.#mode.kind === 'lost') throw new DownloadError({ _tag: 'IoError', message: this.#mode.message });
    throw new Error('a hash worker given up must have left a mode');
  }

  lost(): boolean {
    if (this.#mode.kind === 'worker') this.#awaitWorker(() => this.#consumed() === this.#produced);
    return this.#mode.kind === 'lost';
  }

  #consumed(): number {
    return Atomics.load(this.#ctrl, CONSUMED);
  }

  #publish(slot: number, length: number): void {
    this.#ctrl[LENGTHS + slot] = length;
    this.#produced += 1;
    Atomics.store(this.#ctrl, PRODUCED, this.#produced);
    Atomics.notify(this.#ctrl, PRODUCED);
  }

  /**
   * Waits until `ready()`, as long as the worker lives and makes progress: `true` when ready, `false` once the
   * worker was given up (see the class).
   */
  #awaitWorker(ready: () => boolean): boolean {
    let seen = this.#consumed();
    let since = performance.now();
    for (;;) {
      if (this.#exited || Atomics.load(this.#ctrl, FAILED) !== 0) return this.#giveUp('stopped');
      if (ready()) return true;
      const now = performance.now();
      const consumed = this.#consumed();
      if (consumed !== seen) {
        seen = consumed;
        since = now;
      } else if (now - since >= this.#stallMs) {
        return this.#giveUp(`made no progress for ${this.#stallMs} ms`);
      }
      Atomics.wait(this.#ctrl, CONSUMED, consumed, Math.min(WAIT_SLICE_MS, this.#stallMs));
    }
  }

  /** Leaves the worker (see the class); always `false`, for `#awaitWorker`. */
  #giveUp(why: string): false {
    if (this.#mode.kind !== 'worker') return false;
    void this.#mode.worker.terminate().catch(() => undefined);
    const consumed = this.#consumed();
    if (consumed > 0) {
      this.#mode = {
        kind: 'lost',
        message: `the ${this.#algorithm} worker thread ${why} after hashing part of the file, so its hash is lost`,
      };
      return false;
    }
    // Nothing was hashed, so the ring has not wrapped: slots 0 to produced-1 hold every byte, in order.
    const hash = crypto().createHash(this.#algorithm);
    for (let slot = 0; slot < this.#produced; slot += 1) {
      const length = this.#ctrl[LENGTHS + slot] ?? -1;
      if (length > 0) hash.update(this.#data.subarray(slot * SLOT_BYTES, slot * SLOT_BYTES + length));
    }
    this.#mode = { kind: 'here', hash };
    return false;
  }
}
