import type { HashAlgorithm, Hasher, HashState } from '@rdl/core';
import { Crc64 } from '@rdl/core/adapter';
import { lazyBuiltin } from './lazyBuiltin.js';

const crypto = lazyBuiltin<typeof import('node:crypto')>('node:crypto');
const workerThreads = lazyBuiltin<typeof import('node:worker_threads')>('node:worker_threads');

/** Options of `NodeHasher`. */
export interface NodeHasherOptions {
  /**
   * Hash on a worker thread, so that the download's thread only copies the bytes (SHA-256 costs 0.4 to 1 s a GiB of
   * that thread otherwise). Default true; false hashes inline.
   */
  readonly offThread?: boolean;
}

/**
 * `Hasher` over node:crypto (OpenSSL): incremental SHA-256, SHA-512 and MD5 at native speed, by default off the main
 * thread. CRC-64 (OSS's `x-oss-hash-crc64ecma`), which OpenSSL lacks, is core's `Crc64`, inline.
 */
export class NodeHasher implements Hasher {
  private readonly offThread: boolean;

  constructor(options: NodeHasherOptions = {}) {
    this.offThread = options.offThread ?? true;
  }

  create(algorithm: HashAlgorithm): HashState {
    if (algorithm === 'crc64ecma') return new Crc64();
    if (this.offThread) {
      try {
        return new ThreadHashState(algorithm);
      } catch {
        // No worker threads here: hash inline.
      }
    }
    const hash = crypto().createHash(algorithm);
    return {
      update: (bytes) => {
        hash.update(bytes);
      },
      digest: () => hash.digest('hex'),
    };
  }
}

/** The algorithms node:crypto computes here, and the hex digits of each digest. */
type OpenSslAlgorithm = Exclude<HashAlgorithm, 'crc64ecma'>;
const HEX_DIGITS: Readonly<Record<OpenSslAlgorithm, number>> = { sha256: 64, sha512: 128, md5: 32 };

/** Slots of the ring the bytes go through, and their size: 2 MiB of shared memory a hash. */
const SLOTS = 8;
const SLOT_BYTES = 256 * 1024;
/** `ctrl` cells: slots filled, slots hashed (-1: the worker failed), then each slot's length (-1: digest). */
const PRODUCED = 0;
const CONSUMED = 1;
const LENGTHS = 2;

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
  Atomics.store(c, ${CONSUMED}, -1);
  Atomics.notify(c, ${CONSUMED});
}
`;

/**
 * One hash computed on its own worker thread. `update` copies the bytes into a ring of shared slots (the caller may
 * reuse its buffer at once) and blocks only while the ring is full, i.e. while the hash is slower than the bytes
 * arrive; `digest` waits for the worker to finish. The worker never keeps the process alive.
 */
class ThreadHashState implements HashState {
  private readonly ctrl = new Int32Array(new SharedArrayBuffer((LENGTHS + SLOTS) * 4));
  private readonly data = new Uint8Array(new SharedArrayBuffer(SLOTS * SLOT_BYTES));
  private readonly result = new Uint8Array(new SharedArrayBuffer(128));
  private readonly algorithm: OpenSslAlgorithm;
  private produced = 0;

  constructor(algorithm: OpenSslAlgorithm) {
    this.algorithm = algorithm;
    const worker = new (workerThreads().Worker)(workerSource, {
      eval: true,
      // The code is CommonJS whatever flags the program was started with.
      execArgv: [],
      workerData: {
        ctrl: this.ctrl.buffer,
        data: this.data.buffer,
        result: this.result.buffer,
        algorithm,
        slots: SLOTS,
        slotBytes: SLOT_BYTES,
      },
      resourceLimits: { maxYoungGenerationSizeMb: 1, maxOldGenerationSizeMb: 16 },
      stdout: false,
      stderr: false,
    });
    // A failure is reported through `ctrl`; the event would only repeat it.
    worker.on('error', () => undefined);
    worker.unref();
  }

  update(bytes: Uint8Array): void {
    for (let from = 0; from < bytes.byteLength; ) {
      const length = Math.min(SLOT_BYTES, bytes.byteLength - from);
      const slot = this.nextSlot();
      this.data.set(bytes.subarray(from, from + length), slot * SLOT_BYTES);
      this.publish(slot, length);
      from += length;
    }
  }

  digest(): string {
    this.publish(this.nextSlot(), -1);
    this.waitUntil(() => this.consumed() === this.produced);
    return Buffer.from(this.result.buffer, 0, HEX_DIGITS[this.algorithm]).toString('latin1');
  }

  private consumed(): number {
    const consumed = Atomics.load(this.ctrl, CONSUMED);
    if (consumed < 0) throw new Error(`the ${this.algorithm} worker failed`);
    return consumed;
  }

  /** The next free slot, once the worker has hashed enough of the ring. */
  private nextSlot(): number {
    this.waitUntil(() => this.produced - this.consumed() < SLOTS);
    return this.produced % SLOTS;
  }

  private publish(slot: number, length: number): void {
    this.ctrl[LENGTHS + slot] = length;
    this.produced += 1;
    Atomics.store(this.ctrl, PRODUCED, this.produced);
    Atomics.notify(this.ctrl, PRODUCED);
  }

  private waitUntil(ready: () => boolean): void {
    for (;;) {
      const seen = Atomics.load(this.ctrl, CONSUMED);
      if (ready()) return;
      Atomics.wait(this.ctrl, CONSUMED, seen, 1000);
    }
  }
}
