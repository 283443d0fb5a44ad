import { md5 } from '@noble/hashes/legacy.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import { fault } from '../../src/memory/faults.js';
import type { DownloadPorts } from '../../src/model/download.js';
import type { PartFile, StoragePort } from '../../src/ports/StoragePort.js';
import {
  begin,
  bytesDiff,
  bytesOf,
  finish,
  leftByEarlierRun,
  same,
  TARGET,
  URL_A,
  type World,
  world,
} from '../support/machineHarness.js';

const SIZE = 200_000;

/** Storage whose part files count the bytes read back, and can hold reads back (each read waits for `gate`). */
const watchedStorage = (w: World) => {
  const counts = { readBack: 0, reads: 0 };
  let gate: Promise<void> = Promise.resolve();
  const watch = (part: PartFile): PartFile => ({
    size: () => part.size(),
    write: (offset, bytes) => part.write(offset, bytes),
    read: (offset, length) => async () => {
      await gate;
      const read = await part.read(offset, length)();
      counts.reads += 1;
      if (read._tag === 'Right') counts.readBack += read.right.length;
      return read;
    },
    truncate: (length) => part.truncate(length),
    flush: () => part.flush(),
    commit: () => part.commit(),
    discard: () => part.discard(),
    close: () => part.close(),
  });
  const storage: StoragePort = {
    open: (target) => async () => {
      const opened = await w.storage.open(target)();
      return opened._tag === 'Right' ? { _tag: 'Right', right: watch(opened.right) } : opened;
    },
    remove: (target) => w.storage.remove(target),
    targetSize: (target) => w.storage.targetSize(target),
    readTarget: (target, offset, length) => w.storage.readTarget(target, offset, length),
  };
  return {
    storage,
    counts,
    /** Holds every read until `release()` is called. */
    hold: () => {
      let release: () => void = () => undefined;
      gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      return () => release();
    },
  };
};

describe('createDownload: the running hash of a resume (R27)', () => {
  it('R27: a resume sends its request before the bytes already written are read back; sha256 and md5 are those of the file', async () => {
    const content = bytesOf(SIZE);
    const w = world();
    w.server.publish(URL_A, content);
    leftByEarlierRun(w, content, 120_000);
    const watched = watchedStorage(w);
    const release = watched.hold();
    const ports: DownloadPorts = { ...w.ports, storage: watched.storage };
    let readBackAtRequest: number | null = null;
    const http = ports.http;
    const run = begin(w, { computeSha256: true, expectedMd5: bytesToHex(md5(content)) }, true, {
      ...ports,
      http: {
        request: (request) => {
          if (request.method === 'GET') readBackAtRequest ??= watched.counts.readBack;
          if (request.method === 'GET') release();
          return http.request(request);
        },
      },
    });
    const end = await finish(w, run);
    expect(end.code).toBeNull();
    expect(readBackAtRequest).toBe(0);
    expect(end.result?.sha256).toBe(bytesToHex(sha256(content)));
    expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
    expect(w.server.requests.filter((r) => r.method === 'GET').map((r) => r.headers.range)).toEqual([
      'bytes=120000-',
    ]);
  });

  it('R27: a read-back interleaved with the stream and its cuts takes every byte once, in order', async () => {
    const content = bytesOf(SIZE, 3);
    // Small writes, cuts on the way: the hash must take every byte once, in order, across requests.
    for (const cutAt of [1, 4_096, 33_333]) {
      const w = world({}, { chunkSize: 1_000 });
      w.server.publish(URL_A, content);
      w.server.inject(fault.cutBody(cutAt), { method: 'GET' });
      leftByEarlierRun(w, content, 90_000);
      const watched = watchedStorage(w);
      const run = begin(w, { computeSha256: true, writeBufferBytes: 1_500 }, true, {
        ...w.ports,
        storage: watched.storage,
      });
      const end = await finish(w, run);
      expect(end.code).toBeNull();
      expect(end.result?.sha256).toBe(bytesToHex(sha256(content)));
      expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
      // Each byte is read back at most once: the prefix by the chase, the rest never, or by verification.
      expect(watched.counts.readBack).toBeLessThanOrEqual(SIZE);
    }
  });

  it('R27: a read-back that fails leaves the hash short; verification reads back the rest and the digest is right', async () => {
    const content = bytesOf(SIZE, 5);
    const w = world();
    w.server.publish(URL_A, content);
    leftByEarlierRun(w, content, 50_000);
    w.storage.failNext('read', { _tag: 'IoError', message: 'EIO' });
    const end = await finish(w, begin(w, { computeSha256: true }));
    expect(end.code).toBeNull();
    expect(end.result?.sha256).toBe(bytesToHex(sha256(content)));
  });
});
