import fc from 'fast-check';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { CopyBuffers, WriteBatcher } from '../../src/machine/actors/WriteBatcher.js';
import { WriteBehind } from '../../src/machine/actors/WriteBehind.js';
import { concatBytes } from '../../src/memory/asciiBytes.js';
import type { PartFile, StorageFailure } from '../../src/ports/StoragePort.js';
import { idle } from '../support/machineHarness.js';

/**
 * A body as a transport gives it: runs of chunks that are adjacent views of one slot (a socket read into large
 * buffers), mixed with chunks that are Buffers of their own.
 */
const bodyChunks = fc
  .array(
    fc.record({
      sizes: fc.array(fc.integer({ min: 0, max: 700 }), { minLength: 1, maxLength: 8 }),
      oneSlot: fc.boolean(),
      seed: fc.integer({ min: 0, max: 255 }),
    }),
    { maxLength: 12 },
  )
  .map((runs) =>
    runs.flatMap(({ sizes, oneSlot, seed }) => {
      const total = sizes.reduce((n, s) => n + s, 0);
      const slot = Uint8Array.from({ length: total }, (_, i) => (seed + i * 7) & 0xff);
      let at = 0;
      return sizes.map((size) => {
        const view = slot.subarray(at, at + size);
        at += size;
        return oneSlot ? view : view.slice();
      });
    }),
  );

describe('WriteBatcher', () => {
  it('hands out every byte once, in order, in batches no bigger than a batch plus a chunk', () => {
    fc.assert(
      fc.property(bodyChunks, fc.integer({ min: 1, max: 2000 }), (chunks, batchBytes) => {
        const batcher = new WriteBatcher(batchBytes);
        const out: Uint8Array[] = [];
        for (const chunk of chunks) {
          const before = batcher.pending;
          const ready = batcher.add(chunk);
          for (const batch of ready) expect(batch.length).toBeLessThanOrEqual(batchBytes + chunk.length);
          out.push(...ready);
          expect(batcher.pending).toBe(before + chunk.length - ready.reduce((n, b) => n + b.length, 0));
          expect(batcher.pending).toBeLessThan(batchBytes);
        }
        out.push(batcher.take());
        expect(batcher.pending).toBe(0);
        expect(concatBytes(out)).toEqual(concatBytes(chunks));
      }),
    );
  });

  it('writes adjacent views of one buffer as they are, without a copy', () => {
    const slot = new Uint8Array(1000).map((_, i) => i & 0xff);
    const batcher = new WriteBatcher(600);
    expect(batcher.add(slot.subarray(0, 200))).toEqual([]);
    expect(batcher.add(slot.subarray(200, 400))).toEqual([]);
    const [batch] = batcher.add(slot.subarray(400, 700));
    expect(batch?.buffer).toBe(slot.buffer);
    expect(batch?.byteOffset).toBe(0);
    expect(batch?.length).toBe(700);
  });

  it('sends a large run out before a chunk of another buffer, instead of copying it with that chunk', () => {
    const slot = new Uint8Array(500).fill(1);
    const batcher = new WriteBatcher(800);
    expect(batcher.add(slot.subarray(0, 450))).toEqual([]);
    const other = new Uint8Array(10).fill(2);
    const [run] = batcher.add(other);
    expect(run?.buffer).toBe(slot.buffer);
    expect(run?.length).toBe(450);
    expect(batcher.take()).toBe(other);
  });

  it('reuses the buffer of a copied batch once storage gave it back', () => {
    const batcher = new WriteBatcher(8);
    const fill = (value: number): Uint8Array | undefined =>
      [1, 2, 3].flatMap(() => batcher.add(new Uint8Array(3).fill(value)))[0];
    const first = fill(1);
    expect(first).toEqual(new Uint8Array(9).fill(1));
    batcher.recycle(first!);
    const second = fill(2);
    expect(second).toEqual(new Uint8Array(9).fill(2));
    expect(second?.buffer).toBe(first?.buffer);
    // A chunk the body gave is never taken in as a spare buffer.
    const foreign = new Uint8Array(16);
    batcher.recycle(foreign);
    expect(fill(3)?.buffer).not.toBe(foreign.buffer);
  });

  it('the downloads of a process share their copy buffers: the next one reuses what the last gave back', () => {
    // A capacity of its own, so that no other test's spare is taken here.
    const fill = (batcher: WriteBatcher, value: number): Uint8Array | undefined =>
      [1, 2, 3].flatMap(() => batcher.add(new Uint8Array(3).fill(value)))[0];
    const earlier = new WriteBatcher(7);
    const first = fill(earlier, 1);
    expect(first).toEqual(new Uint8Array(9).fill(1));
    earlier.recycle(first!);
    const later = new WriteBatcher(7);
    const second = fill(later, 2);
    expect(second).toEqual(new Uint8Array(9).fill(2));
    expect(second?.buffer).toBe(first?.buffer);
    // While a batch is out, no other download gets its buffer.
    const third = fill(new WriteBatcher(7), 3);
    expect(third?.buffer).not.toBe(second?.buffer);
    expect(second).toEqual(new Uint8Array(9).fill(2));
  });

  it('copies a batch smaller than its capacity into a buffer of the next power of two from 64 KiB, reused at that size', () => {
    const copies = new CopyBuffers(2 * 1024 * 1024);
    const small = copies.take(100 * 1024);
    expect(small.length).toBe(100 * 1024);
    expect(small.buffer.byteLength).toBe(128 * 1024);
    expect(copies.take(1000).buffer.byteLength).toBe(64 * 1024);
    expect(copies.take(2 * 1024 * 1024).buffer.byteLength).toBe(2 * 1024 * 1024);
    expect(copies.giveBack(small)).toBe(true);
    expect(copies.take(65 * 1024).buffer).toBe(small.buffer);
    expect(copies.take(3 * 1024 * 1024).buffer.byteLength).toBe(3 * 1024 * 1024);
    // With no spare of its size, a batch takes the smallest bigger spare rather than a new buffer.
    const big = copies.take(2 * 1024 * 1024);
    expect(copies.giveBack(big)).toBe(true);
    expect(copies.take(300 * 1024).buffer).toBe(big.buffer);
  });

  it('keeps spare copy buffers of at most six full capacities in bytes, whatever their sizes', () => {
    const MiB = 1024 * 1024;
    const copies = new CopyBuffers(MiB);
    const full = Array.from({ length: 7 }, () => copies.take(MiB));
    const small = Array.from({ length: 3 }, () => copies.take(64 * 1024));
    for (const buffer of [...full, ...small]) expect(copies.giveBack(buffer)).toBe(true);
    const kept = new Set(full.slice(0, 6).map((b) => b.buffer));
    const again = Array.from({ length: 6 }, () => copies.take(MiB).buffer);
    expect(again.every((b) => kept.has(b))).toBe(true);
    // The seventh full one and the small ones found no room: the next take allocates.
    expect(copies.take(MiB).buffer).not.toBe(full[6]?.buffer);
    const fresh = copies.take(64 * 1024).buffer;
    expect(small.some((b) => b.buffer === fresh)).toBe(false);
  });

  it('copies small chunks of separate buffers into one batch', () => {
    const batcher = new WriteBatcher(8);
    const a = Uint8Array.of(1, 2, 3);
    const b = Uint8Array.of(4, 5, 6);
    const c = Uint8Array.of(7, 8, 9);
    expect(batcher.add(a)).toEqual([]);
    expect(batcher.add(b)).toEqual([]);
    const [batch] = batcher.add(c);
    expect(batch).toEqual(Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9));
    expect(batch?.buffer).not.toBe(a.buffer);
  });
});

/** A part file whose writes complete when the test says so, in any order it likes, and may fail. */
class HeldPartFile implements PartFile {
  readonly bytes: number[] = [];
  readonly held: Array<() => void> = [];
  /** How many writes are running at once, at most. */
  maxConcurrent = 0;
  #running = 0;
  failAt: number | null = null;
  writes = 0;

  write(offset: number, bytes: Uint8Array) {
    return () =>
      new Promise<E.Either<StorageFailure, void>>((resolve) => {
        this.#running += 1;
        this.maxConcurrent = Math.max(this.maxConcurrent, this.#running);
        this.held.push(() => {
          this.#running -= 1;
          this.writes += 1;
          if (this.failAt !== null && this.writes >= this.failAt) {
            resolve(E.left({ _tag: 'NoSpace', message: 'full' }));
            return;
          }
          bytes.forEach((b, i) => {
            this.bytes[offset + i] = b;
          });
          resolve(E.right(undefined));
        });
      });
  }

  /** Completes every write held so far, newest first when `newestFirst` is set. */
  newestFirst = false;

  releaseAll(): void {
    const held = this.held.splice(0);
    for (const release of this.newestFirst ? held.reverse() : held) release();
  }

  size = () => async () => E.right(this.bytes.length);
  read = () => async () => E.right(new Uint8Array());
  truncate = () => async () => E.right(undefined);
  flush = () => async () => E.right(undefined);
  commit = () => async () => E.right(undefined);
  discard = () => async () => E.right(undefined);
  close = () => async () => E.right(undefined);
}

const settle = async (part: HeldPartFile, work: Promise<void>): Promise<void> => {
  let done = false;
  void work.then(() => {
    done = true;
  });
  while (!done) {
    await idle();
    part.releaseAll();
  }
};

describe('WriteBehind', () => {
  it('R20: at most two writes at once; `written` only counts bytes whose writes completed, all before it included, whatever order they complete in', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 20 }),
        fc.integer({ min: 1, max: 120 }),
        fc.boolean(),
        async (sizes, maxAhead, newestFirst) => {
          const part = new HeldPartFile();
          part.newestFirst = newestFirst;
          const seen: Array<[number, number]> = [];
          const writer = new WriteBehind(part, 10, maxAhead, (at, bytes) => {
            seen.push([at, bytes.length]);
            // Every byte before `at + length` is on storage when the callback runs.
            for (let i = 10; i < at + bytes.length; i += 1) expect(part.bytes[i]).toBeDefined();
          });
          let at = 10;
          for (const size of sizes) {
            const bytes = Uint8Array.from({ length: size }, (_, i) => (at + i) & 0xff);
            at += size;
            await settle(part, writer.push(bytes));
            expect(writer.queued).toBe(at);
            // Past `push`, no more than `maxAhead` bytes wait for the disk.
            expect(writer.queued - writer.written).toBeLessThanOrEqual(maxAhead);
          }
          await settle(part, writer.drain());
          expect(writer.written).toBe(at);
          expect(part.maxConcurrent).toBeLessThanOrEqual(2);
          const starts: number[] = [];
          sizes.reduce((offset, size) => {
            starts.push(offset);
            return offset + size;
          }, 10);
          expect(seen.map(([offset]) => offset)).toEqual(starts);
          expect(part.bytes.slice(10)).toEqual(Array.from({ length: at - 10 }, (_, i) => (10 + i) & 0xff));
        },
      ),
    );
  });

  it('lets the caller go on while a write is in flight, up to the bytes allowed ahead', async () => {
    const part = new HeldPartFile();
    const writer = new WriteBehind(part, 0, 100, () => undefined);
    await writer.push(new Uint8Array(60));
    expect(writer.queued).toBe(60);
    expect(writer.written).toBe(0);
    let through = false;
    const second = writer.push(new Uint8Array(60)).then(() => {
      through = true;
    });
    for (let i = 0; i < 5; i += 1) await idle();
    expect(through).toBe(false);
    await settle(part, second);
    expect(writer.written).toBeGreaterThanOrEqual(20);
  });

  it('R29: stops at the first failed write, keeps the failure, and starts no write after it', async () => {
    const part = new HeldPartFile();
    part.failAt = 2;
    const writer = new WriteBehind(part, 0, 1000, () => undefined);
    await writer.push(Uint8Array.of(1));
    await writer.push(Uint8Array.of(2));
    // Two writes run; the third waits for a free place.
    expect(part.held.length).toBe(2);
    await writer.push(Uint8Array.of(3));
    await settle(part, writer.drain());
    expect(writer.failure).toEqual({ _tag: 'NoSpace', message: 'full' });
    expect(writer.written).toBe(1);
    expect(part.bytes).toEqual([1]);
    // The third write started when the first one completed, before the second failed; nothing starts after.
    expect(part.writes).toBe(3);
    await writer.push(Uint8Array.of(4));
    await settle(part, writer.drain());
    expect(part.writes).toBe(3);
  });

  it('R20: a later write that completes first is not counted until the ones before it are', async () => {
    const part = new HeldPartFile();
    const seen: number[] = [];
    const writer = new WriteBehind(part, 0, 1000, (at) => seen.push(at));
    await writer.push(Uint8Array.of(1, 1));
    await writer.push(Uint8Array.of(2, 2));
    expect(part.held.length).toBe(2);
    part.held.splice(1, 1)[0]?.();
    for (let i = 0; i < 3; i += 1) await idle();
    expect(part.bytes).toEqual([undefined, undefined, 2, 2]);
    expect(writer.written).toBe(0);
    expect(seen).toEqual([]);
    part.releaseAll();
    await writer.drain();
    expect(writer.written).toBe(4);
    expect(seen).toEqual([0, 2]);
  });
});
