import { describe, expect, it } from 'vitest';
import { DownloadError } from '../../src/model/DownloadError.js';
import { BURST_SECONDS } from '../../src/rules/tokenBucket.js';
import {
  begin,
  bytesDiff,
  bytesOf,
  drive,
  eventsOf,
  type Run,
  same,
  TARGET,
  type World,
  worldServing,
} from '../support/machineHarness.js';
import { loggedHttp, mostInAWindow, type Read } from '../support/readWindows.js';

const MiB = 1024 * 1024;
const CHUNK = 64 * 1024;

const settle = (w: World, run: Run) => drive(w, run, () => run.settled, 200_000);

describe('rate limits (R44)', () => {
  it('R44: a 10 s transfer limited to 4 MiB/s reads within 1.05 × the limit plus one read in every 1 s window after the first', async () => {
    const content = bytesOf(40 * MiB);
    const w = worldServing(content, {}, { chunkSize: CHUNK });
    const reads: Read[] = [];
    const started = w.clock.now();
    const run = begin(w, { maxBytesPerSecond: 4 * MiB, connections: 1 }, true, {
      ...w.ports,
      http: loggedHttp(w, reads),
    });
    await settle(w, run);
    expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
    expect(eventsOf(run, 'retry')).toEqual([]);
    const first = reads[0]?.at ?? started;
    expect(mostInAWindow(reads, 1_000, first + 1_000)).toBeLessThanOrEqual(4 * MiB * 1.05 + CHUNK);
    expect(mostInAWindow(reads, 10_000, first)).toBeLessThanOrEqual(4 * MiB * 10 * 1.05 + CHUNK);
    // And it was held to the limit: 40 MiB less the first burst take at least 9.75 s at 4 MiB/s.
    const tookMs = (reads.at(-1)?.at ?? 0) - first;
    expect(tookMs).toBeGreaterThanOrEqual(((40 * MiB - 4 * MiB * BURST_SECONDS - CHUNK) / (4 * MiB)) * 1000);
  });

  it('R44: setRateLimit while it runs takes effect within a second: lowered, lowered to a crawl, then lifted', async () => {
    const content = bytesOf(24 * MiB);
    const w = worldServing(content, {}, { chunkSize: CHUNK });
    const reads: Read[] = [];
    const run = begin(w, { maxBytesPerSecond: 8 * MiB, connections: 1 }, true, {
      ...w.ports,
      http: loggedHttp(w, reads),
    });
    const start = w.clock.now();
    await drive(w, run, () => w.clock.now() >= start + 1_000, 200_000);
    run.download.setRateLimit(2 * MiB);
    const lowered = w.clock.now();
    await drive(w, run, () => w.clock.now() >= lowered + 3_000, 200_000);
    // Next to nothing (a read's wait of 4 s), then lifted: the connection waiting does not sleep its 4 s out.
    run.download.setRateLimit(16 * 1024);
    const crawled = w.clock.now();
    await drive(w, run, () => w.clock.now() >= crawled + 500, 200_000);
    run.download.setRateLimit(null);
    const lifted = w.clock.now();
    await settle(w, run);
    expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
    const during = reads.filter((read) => read.at < crawled);
    // From a second after the change on, the new limit holds.
    expect(mostInAWindow(during, 1_000, lowered + 1_000)).toBeLessThanOrEqual(2 * MiB * 1.05 + CHUNK);
    // Before it, the old one; it was not reached by the lower one at once.
    expect(
      mostInAWindow(
        reads.filter((read) => read.at < lowered),
        1_000,
        start,
      ),
    ).toBeGreaterThan(4 * MiB);
    // Lifted, the rest came at once (the server paces nothing).
    expect(w.clock.now() - lifted).toBeLessThan(1_000);
  });

  it('R44: one limit over all the connections of a segmented download', async () => {
    const content = bytesOf(16 * MiB);
    const w = worldServing(content, {}, { chunkSize: CHUNK, chunkDelayMs: 1 });
    const reads: Read[] = [];
    const run = begin(
      w,
      { maxBytesPerSecond: 2 * MiB, connections: 4, minSegmentBytes: 256 * 1024, writeBufferBytes: CHUNK },
      true,
      { ...w.ports, http: loggedHttp(w, reads) },
    );
    await settle(w, run);
    expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
    expect(w.server.mostConnections).toBe(4);
    const first = reads[0]?.at ?? 0;
    // Each connection may have one read in flight when the bucket runs dry.
    expect(mostInAWindow(reads, 1_000, first + 1_000)).toBeLessThanOrEqual(2 * MiB * 1.05 + 4 * CHUNK);
    // The four together were held to the one limit: 16 MiB less the first burst took about 8 s, not 2.
    const tookMs = (reads.at(-1)?.at ?? 0) - first;
    expect(tookMs).toBeGreaterThanOrEqual(
      ((16 * MiB - 2 * MiB * BURST_SECONDS - 4 * CHUNK) / (2 * MiB)) * 1000,
    );
  });

  it('R44: sixteen connections under a limit far below their reads: no two read on the same tokens, so the first seconds hold it too (one read over)', async () => {
    const limit = 100_000;
    const read = 256 * 1024;
    const content = bytesOf(2 * MiB);
    const w = worldServing(content, {}, { chunkSize: read });
    const reads: Read[] = [];
    const run = begin(
      w,
      { maxBytesPerSecond: limit, connections: 16, minSegmentBytes: 64 * 1024, writeBufferBytes: read },
      true,
      { ...w.ports, http: loggedHttp(w, reads) },
    );
    await drive(w, run, () => run.settled, 400_000);
    expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
    const first = reads[0]?.at ?? 0;
    // The burst (a quarter of a second of the limit) and a second of it, and one read: from the first read on.
    expect(mostInAWindow(reads, 1_000, first)).toBeLessThanOrEqual(limit * (1 + BURST_SECONDS) + read);
    expect(mostInAWindow(reads, 10_000, first)).toBeLessThanOrEqual(
      limit * (10 * 1.05 + BURST_SECONDS) + read,
    );
  });

  it('R44, R25: waiting for the limit is no stall: a read that must wait longer than stallTimeoutMs is not cut', async () => {
    const content = bytesOf(1 * MiB);
    const w = worldServing(content, {}, { chunkSize: 256 * 1024 });
    // 64 KiB a second: each 256 KiB read is followed by a 4 s wait, past the 1 s stall timeout.
    const run = begin(w, { maxBytesPerSecond: 64 * 1024, stallTimeoutMs: 1_000, connections: 1 });
    await settle(w, run);
    expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
    expect(eventsOf(run, 'retry')).toEqual([]);
  });

  it('R44, R24: a pause while waiting for the limit stops at once, keeping the bytes', async () => {
    const content = bytesOf(4 * MiB);
    const w = worldServing(content, {}, { chunkSize: CHUNK });
    const run = begin(w, { maxBytesPerSecond: 64 * 1024, connections: 1, checkpointIntervalMs: 100 });
    const start = w.clock.now();
    await drive(w, run, () => w.clock.now() >= start + 2_000, 200_000);
    run.download.pause();
    const asked = w.clock.now();
    await drive(w, run, () => run.download.getSnapshot().state === 'paused', 200_000);
    expect(w.clock.now() - asked).toBeLessThan(100);
    expect(w.storage.partOf(TARGET)?.length ?? 0).toBeGreaterThan(0);
  });

  it('R30: a limit that is not a positive number, or is under lowSpeedLimit, is refused before any request; setRateLimit throws and changes nothing', async () => {
    for (const maxBytesPerSecond of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      const w = worldServing(bytesOf(1024));
      const run = begin(w, { maxBytesPerSecond });
      await settle(w, run);
      await expect(run.download.result).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT' });
      expect(w.server.requests).toEqual([]);
    }
    const w = worldServing(bytesOf(1024));
    const below = begin(w, { maxBytesPerSecond: 1_000, lowSpeedLimit: 2_000 });
    await settle(w, below);
    await expect(below.download.result).rejects.toThrow(/lowSpeedLimit/);

    const content = bytesOf(2 * MiB);
    const ok = worldServing(content, {}, { chunkSize: CHUNK });
    const run = begin(ok, { maxBytesPerSecond: MiB, lowSpeedLimit: 1_000 }, false);
    expect(() => run.download.setRateLimit(0)).toThrow(DownloadError);
    expect(() => run.download.setRateLimit(500)).toThrow(/lowSpeedLimit/);
    run.download.start();
    const start = ok.clock.now();
    await settle(ok, run);
    // Still the 1 MiB/s it was given: 2 MiB less the first burst took over a second.
    expect(ok.clock.now() - start).toBeGreaterThan(1_000);
  });
});
