import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { fault } from '../../src/memory/faults.js';
import type { CheckpointStore } from '../../src/ports/CheckpointStore.js';
import type { PartFile, StoragePort } from '../../src/ports/StoragePort.js';
import { committedPrefix, decodeCheckpoint } from '../../src/rules/checkpointCodec.js';
import { begin, bytesDiff, bytesOf, finish, same, TARGET, URL_A, world } from '../support/machineHarness.js';

const SIZE = 300_000;

describe('createDownload: writes and checkpoints behind the network (R20)', () => {
  it('R20: while a flush runs, writes go on; every checkpoint counts only bytes that were flushed before it was saved', async () => {
    const content = bytesOf(SIZE, 11);
    const w = world({}, { chunkSize: 2_000, chunkDelayMs: 1 });
    w.server.publish(URL_A, content);
    const seen = { flushes: 0, writesDuringFlush: 0, checkpoints: [] as number[] };
    let flushing = false;
    const slow = (part: PartFile): PartFile => ({
      ...part,
      size: () => part.size(),
      read: (offset, length) => part.read(offset, length),
      truncate: (length) => part.truncate(length),
      commit: () => part.commit(),
      discard: () => part.discard(),
      close: () => part.close(),
      write: (offset, bytes) => async () => {
        if (flushing) seen.writesDuringFlush += 1;
        return part.write(offset, bytes)();
      },
      // A flush that takes a while, as an fdatasync of a lot of data does: the flush happens at its start (what a
      // write completes later is not flushed by it), and it reports success only at its end.
      flush: () => async () => {
        flushing = true;
        seen.flushes += 1;
        const flushed = await part.flush()();
        await new Promise<void>((resolve) => w.clock.setTimeout(resolve, 4));
        flushing = false;
        return flushed;
      },
    });
    const storage: StoragePort = {
      open: (target) => async () => {
        const opened = await w.storage.open(target)();
        return E.isRight(opened) ? E.right(slow(opened.right)) : opened;
      },
      remove: (target) => w.storage.remove(target),
      targetSize: (target) => w.storage.targetSize(target),
      readTarget: (target, offset, length) => w.storage.readTarget(target, offset, length),
    };
    const checkpoints: CheckpointStore = {
      load: (target) => w.checkpoints.load(target),
      remove: (target) => w.checkpoints.remove(target),
      save: (target, text) => async () => {
        const decoded = decodeCheckpoint(text);
        if (E.isRight(decoded)) {
          const counted = committedPrefix(decoded.right);
          const durable = w.storage.durablePartOf(TARGET) ?? new Uint8Array();
          // What the checkpoint counts is on disk and is the server's bytes (R20).
          expect(durable.length).toBeGreaterThanOrEqual(counted);
          expect(bytesDiff(durable.subarray(0, counted), content.subarray(0, counted))).toEqual(
            same(content.subarray(0, counted)),
          );
          seen.checkpoints.push(counted);
        }
        return w.checkpoints.save(target, text)();
      },
    };
    const run = begin(w, { checkpointIntervalMs: 5, writeBufferBytes: 4_000 }, true, {
      ...w.ports,
      storage,
      checkpoints,
    });
    const end = await finish(w, run);
    expect(end.code).toBeNull();
    expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
    // The network and the writes did not wait for the flushes, and checkpoints were taken on the way.
    expect(seen.writesDuringFlush).toBeGreaterThan(0);
    expect(seen.checkpoints.filter((n) => n > 0 && n < SIZE).length).toBeGreaterThan(2);
    expect(seen.checkpoints).toEqual([...seen.checkpoints].sort((a, b) => a - b));
  });

  it('R27: chunks written as they came (adjacent views) and given back to the transport once written: the file and its sha256 are right', async () => {
    const content = bytesOf(SIZE, 12);
    const w = world({}, { chunkSize: 3_000, slotBodies: true });
    w.server.publish(URL_A, content);
    w.server.inject(fault.cutBody(100_001), { method: 'GET' });
    const end = await finish(
      w,
      begin(w, { computeSha256: true, writeBufferBytes: 16_000, checkpointIntervalMs: 1 }),
    );
    expect(end.code).toBeNull();
    expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
    expect(end.result?.sha256).toBe(bytesToHex(sha256(content)));
    // Every byte that arrived went back to the transport, poisoned there, after it was written and hashed.
    expect(w.server.recycledBytes).toBe(w.server.bytesSent);
  });
});
