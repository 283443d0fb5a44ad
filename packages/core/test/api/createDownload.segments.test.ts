import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import * as E from 'fp-ts/lib/Either.js';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { describe, expect, it } from 'vitest';
import { fault } from '../../src/memory/faults.js';
import { gzipStored } from '../../src/memory/gzipStored.js';
import type { DownloadOptions } from '../../src/model/options.js';
import type { PartFile } from '../../src/ports/StoragePort.js';
import { coveredBytes } from '../../src/rules/byteRanges.js';
import { decodeCheckpoint, encodeCheckpoint } from '../../src/rules/checkpointCodec.js';
import {
  begin,
  bytesDiff,
  bytesOf,
  drive,
  eventsOf,
  finish,
  gets,
  processPorts,
  same,
  TARGET,
  URL_A,
  type World,
  world,
  worldServing,
} from '../support/machineHarness.js';
import { overriding, recordingReads } from '../support/recordingReads.js';

/**
 * Segmented runs over the memory ports (R41–R43): each connection's request and answer, what a checkpoint counts,
 * what a resume asks for, and how the count of connections follows the server. Chunks are paced on the manual clock,
 * so the connections of a run are really in flight together.
 */

const SIZE = 96_000;
const SERVING = { chunkSize: 1_000, chunkDelayMs: 5 };
const ADAPTIVE: Partial<DownloadOptions> = {
  minSegmentBytes: 4_000,
  writeBufferBytes: 2_000,
  checkpointIntervalMs: 20,
};
const SEGMENTED: Partial<DownloadOptions> = { ...ADAPTIVE, connections: 4 };

const served = (content: Uint8Array = bytesOf(SIZE)): { w: World; content: Uint8Array } => ({
  w: worldServing(content, {}, SERVING),
  content,
});

/** The `[a, b]` of a closed `bytes=a-b`, `[a, null]` of an open one. */
const rangeOf = (header: string | undefined): [number, number | null] | null => {
  const m = /^bytes=(\d+)-(\d*)$/.exec(header ?? '');
  return m === null ? null : [Number(m[1]), m[2] === '' ? null : Number(m[2])];
};

const savedRanges = (w: World) => {
  const raw = w.checkpoints.raw(TARGET);
  if (raw === null) return null;
  const decoded = decodeCheckpoint(raw);
  if (E.isLeft(decoded)) throw new Error(decoded.left);
  return decoded.right.ranges;
};

/**
 * The run's process dies: its files lose what was not flushed, its network and checkpoint store go dead. Returns
 * the ranges the last checkpoint saved, each checked to be the server's bytes on what storage kept (R20, R42).
 */
const crashed = async (
  w: World,
  run: ReturnType<typeof begin>,
  process: ReturnType<typeof processPorts>,
  content: Uint8Array,
) => {
  w.storage.crash();
  process.kill();
  run.download.pause();
  await drive(w, run, () => run.download.getSnapshot().state === 'paused' || run.settled);
  const held = savedRanges(w) ?? [];
  const durable = w.storage.durablePartOf(TARGET) ?? new Uint8Array(0);
  for (const [start, end] of held) {
    expect(bytesDiff(durable.subarray(start, end), content.subarray(start, end)).firstDiff).toBe(-1);
  }
  return held;
};

describe('createDownload: segmented runs', () => {
  it('R41: each later connection asks for bytes=a-b with If-Match; the file is exact and no byte comes twice', async () => {
    const { w, content } = served();
    const run = begin(w, SEGMENTED);
    const end = await finish(w, run);
    expect(end.code).toBeNull();
    expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
    const requests = gets(w);
    expect(requests.length).toBeGreaterThanOrEqual(4);
    const etag = w.server.resource(URL_A)?.current.etag;
    // The first asks as a single stream would; every segment is closed and conditional on the one version.
    expect(requests[0]?.headers.range).toBeUndefined();
    for (const request of requests.slice(1)) {
      const range = rangeOf(request.headers.range);
      expect(range?.[1]).not.toBeNull();
      expect(request.headers['if-match']).toBe(etag);
      expect(request.headers['if-range']).toBeUndefined();
    }
    expect(w.server.mostConnections).toBe(4);
    expect(w.server.bytesSent).toBeLessThanOrEqual(SIZE + 4 * SERVING.chunkSize);
    expect(Math.max(...eventsOf(run, 'progress').map((e) => e.progress.connections))).toBe(4);
  });

  it('R28: progress is the sum over segments, never above the total, and never goes back', async () => {
    const { w } = served();
    const run = begin(w, SEGMENTED);
    await finish(w, run);
    const bytes = eventsOf(run, 'progress').map((e) => e.progress.bytes);
    expect(bytes.at(-1)).toBe(SIZE);
    expect(Math.max(...bytes)).toBe(SIZE);
    expect(bytes.every((b, i) => i === 0 || b >= (bytes[i - 1] ?? 0))).toBe(true);
  });

  it('R41, R11: a 412 on one segment stops every segment; the restart writes only the new version', async () => {
    const { w } = served();
    // The resource changes just before the third request is answered: its If-Match fails (412) while the first two
    // connections still stream the old version.
    const next = bytesOf(SIZE, 7);
    w.server.inject([], { method: 'GET', times: 2 });
    w.server.inject(fault.changeResource(next), { method: 'GET' });
    const run = begin(w, SEGMENTED);
    const end = await finish(w, run);
    expect(end.code).toBeNull();
    expect(eventsOf(run, 'restart').map((e) => e.reason)).toEqual(['RESOURCE_CHANGED']);
    expect(bytesDiff(w.storage.fileOf(TARGET), next)).toEqual(same(next));
    expect(end.result?.validators.etag).toBe(w.server.resource(URL_A)?.current.etag);
  });

  it('R41: under onChange fail a changed resource fails the download and leaves no file', async () => {
    const { w } = served();
    w.server.inject([], { method: 'GET', times: 2 });
    w.server.inject(fault.changeResource(bytesOf(SIZE, 8)), { method: 'GET' });
    const run = begin(w, { ...SEGMENTED, onChange: 'fail' });
    const end = await finish(w, run);
    expect(end.code).toBe('ERR_RESOURCE_CHANGED');
    expect(w.storage.fileOf(TARGET)).toBeNull();
  });

  it('R41, R11: backends that each name the same bytes by their own ETag end two segmented runs, then one connection fetches the file', async () => {
    const content = bytesOf(SIZE);
    const { w } = served(content);
    // Two backends behind one name, taking requests in turn: each answers with its own ETag, so a segment's If-Match
    // names the other backend's version (412). Before, every segmented run was restarted until ERR_TOO_MANY_RESTARTS.
    let requests = 0;
    const http = {
      request: (request: Parameters<typeof w.server.request>[0]) => {
        requests++;
        w.server.publish(URL_A, content, { etag: requests % 2 === 0 ? '"backend-a"' : '"backend-b"' });
        return w.server.request(request);
      },
    };
    const run = begin(w, SEGMENTED, true, { ...w.ports, http });
    const end = await finish(w, run);
    expect(end.code).toBeNull();
    expect(eventsOf(run, 'restart').map((e) => e.reason)).toEqual(['RESOURCE_CHANGED', 'RESOURCE_CHANGED']);
    expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
    // The third run is one stream: after its probe, one GET brings every byte.
    const lastRun = gets(w).slice(-1);
    expect(lastRun[0]?.headers.range).toBeUndefined();
    expect(eventsOf(run, 'progress').at(-1)?.progress.connections).toBe(1);
  });

  it('R41, R11: a resource that really changed once under a segmented run is fetched in segments again', async () => {
    const { w } = served();
    const next = bytesOf(SIZE, 9);
    w.server.inject([], { method: 'GET', times: 2 });
    w.server.inject(fault.changeResource(next), { method: 'GET' });
    const run = begin(w, SEGMENTED);
    expect((await finish(w, run)).code).toBeNull();
    expect(bytesDiff(w.storage.fileOf(TARGET), next)).toEqual(same(next));
    expect(
      Math.max(
        ...eventsOf(run, 'progress')
          .slice(-5)
          .map((e) => e.progress.connections),
      ),
    ).toBe(4);
  });

  it('R42: after a crash the next run asks only for the gaps; the ranges saved count only flushed bytes', async () => {
    const content = bytesOf(SIZE);
    const w = worldServing(content, {}, SERVING);
    // The first run's process dies: its files lose what was not flushed, its network and checkpoint store go dead.
    const process = processPorts(w);
    const first = begin(w, SEGMENTED, true, process.ports);
    await drive(
      w,
      first,
      () => (savedRanges(w)?.length ?? 0) >= 2 && coveredBytes(savedRanges(w) ?? []) > SIZE / 3,
    );
    const held = await crashed(w, first, process, content);
    const before = gets(w).length;
    const sentBefore = w.server.bytesSent;
    const second = begin(w, SEGMENTED);
    const end = await finish(w, second);
    expect(end.code).toBeNull();
    expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
    // No request of the second run starts inside a range the checkpoint held.
    for (const request of gets(w).slice(before)) {
      const range = rangeOf(request.headers.range);
      const from = range?.[0] ?? 0;
      expect(held.some(([start, stop]) => from >= start && from < stop)).toBe(false);
    }
    expect(w.server.bytesSent - sentBefore).toBeLessThanOrEqual(
      SIZE - coveredBytes(held) + 8 * SERVING.chunkSize,
    );
    expect(eventsOf(second, 'start')[0]?.resumedFrom).toBe(coveredBytes(held));
  });

  it.each([
    ['ends at its last range: no notice (the gaps are what is still to fetch)', 60_000, []],
    [
      'runs past its last range: PART_TRIMMED, counting the ranges kept',
      70_000,
      ['the part file held 70000 bytes, the checkpoint counts 40000: the rest is fetched again'],
    ],
  ])('R21: a segmented resume whose part file %s', async (_name, partLength, messages) => {
    const content = bytesOf(SIZE);
    const w = worldServing(content, {}, SERVING);
    const version = w.server.resource(URL_A)?.current;
    // What a killed segmented run leaves: two ranges counted, junk in the gap between them and past the last.
    const part = new Uint8Array(partLength).fill(7);
    part.set(content.subarray(0, 20_000), 0);
    part.set(content.subarray(40_000, 60_000), 40_000);
    w.storage.putPart(TARGET, part);
    w.checkpoints.setRaw(
      TARGET,
      encodeCheckpoint({
        version: 1,
        url: URL_A,
        validators: { etag: version?.etag ?? null, lastModified: version?.lastModified ?? null, date: null },
        totalLength: SIZE,
        ranges: [
          [0, 20_000],
          [40_000, 60_000],
        ],
      }),
    );
    const run = begin(w, SEGMENTED);
    const end = await finish(w, run);
    expect(end.code).toBeNull();
    expect(eventsOf(run, 'notice').map((e) => e.message)).toEqual(messages);
    expect(eventsOf(run, 'start')[0]?.resumedFrom).toBe(40_000);
    expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
  });

  it.each([
    ['one connection (rdl -x 1)', { ...ADAPTIVE, connections: 1 }],
    ['a minimum segment size over half the file', { ...SEGMENTED, minSegmentBytes: 60_000 }],
  ])(
    'R42: a resume of a killed segmented run on %s walks the gaps on that one connection, never fetching saved bytes again',
    async (_name, options) => {
      const content = bytesOf(SIZE);
      const w = worldServing(content, {}, SERVING);
      const version = w.server.resource(URL_A)?.current;
      const part = new Uint8Array(60_000).fill(7);
      part.set(content.subarray(0, 20_000), 0);
      part.set(content.subarray(40_000, 60_000), 40_000);
      w.storage.putPart(TARGET, part);
      const held: [number, number][] = [
        [0, 20_000],
        [40_000, 60_000],
      ];
      w.checkpoints.setRaw(
        TARGET,
        encodeCheckpoint({
          version: 1,
          url: URL_A,
          validators: {
            etag: version?.etag ?? null,
            lastModified: version?.lastModified ?? null,
            date: null,
          },
          totalLength: SIZE,
          ranges: held,
        }),
      );
      const run = begin(w, options);
      const end = await finish(w, run);
      expect(end.code).toBeNull();
      expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
      expect(eventsOf(run, 'start')[0]?.resumedFrom).toBe(40_000);
      for (const request of gets(w)) {
        const from = rangeOf(request.headers.range)?.[0] ?? 0;
        expect(held.some(([start, stop]) => from >= start && from < stop)).toBe(false);
      }
      expect(w.server.bytesSent).toBe(SIZE - 40_000);
      // Each gap asked for, and nothing else: the ranges asked cover exactly the gaps.
      const covered = gets(w).map((request): [number, number] => {
        const [from, to] = rangeOf(request.headers.range) ?? [0, null];
        return [from, (to ?? SIZE - 1) + 1];
      });
      expect(coveredBytes(covered)).toBe(SIZE - 40_000);
      expect(covered.every(([from, to]) => (from >= 20_000 && to <= 40_000) || from >= 60_000)).toBe(true);
    },
  );

  it('R20, R42: on a slow link each connection writes what it gathered at every checkpoint interval, so a checkpoint counts it before a batch fills', async () => {
    const content = bytesOf(SIZE);
    // 20 KB/s a connection: a segment of half the file (48 KB) never fills its 64 KiB batch, and takes 2.4 s.
    const w = worldServing(content, {}, { chunkSize: 1_000, chunkDelayMs: 50 });
    const process = processPorts(w);
    // No segment smaller than a quarter of the file: two connections, each asking for its half in one request.
    const options = { ...SEGMENTED, minSegmentBytes: SIZE / 4 };
    const first = begin(w, options, true, process.ports);
    await drive(w, first, () => w.server.bytesSent >= SIZE / 2);
    const sent = w.server.bytesSent;
    // A step of the run (250 ms) later, the checkpoint counts what had come, but for the last interval's chunks.
    const at = w.clock.now();
    await drive(w, first, () => w.clock.now() >= at + 300);
    expect(coveredBytes(savedRanges(w) ?? [])).toBeGreaterThanOrEqual(sent - 4 * 2_000);
    await crashed(w, first, process, content);
    const second = begin(w, options);
    expect((await finish(w, second)).code).toBeNull();
    expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
  });

  it('R43: a server that allows two connections gets two, and the download finishes', async () => {
    // Long enough (about 2 s at the pace served) that a growth step finds the first connection's rest worth a split.
    const { w, content } = served(bytesOf(4 * SIZE));
    w.server.limitConnections(2);
    const run = begin(w, { ...ADAPTIVE, maxConnections: 8 });
    const end = await finish(w, run);
    expect(end.code).toBeNull();
    expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
    expect(w.server.mostConnections).toBe(2);
    // The refusals lowered the count: far fewer than one refusal per growth step.
    const refused = gets(w).length - 2 - Math.ceil(content.length / 4_000);
    expect(refused).toBeLessThanOrEqual(8);
    expect(eventsOf(run, 'retry')).toEqual([]);
  });

  it('R43: a fixed count the server refuses goes on with the connections it has', async () => {
    const { w, content } = served();
    w.server.limitConnections(3, 429);
    const run = begin(w, { ...SEGMENTED, connections: 8 });
    const end = await finish(w, run);
    expect(end.code).toBeNull();
    expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
    expect(w.server.mostConnections).toBe(3);
  });

  it('R43: no more connections than the transport opens to one origin (HttpPort.maxConnectionsPerOrigin)', async () => {
    const content = bytesOf(SIZE);
    const w = world({}, SERVING);
    w.server.publish(URL_A, content);
    const http = { request: w.server.request.bind(w.server), maxConnectionsPerOrigin: 2 };
    const run = begin(w, { ...SEGMENTED, connections: 8 }, true, { ...w.ports, http });
    expect((await finish(w, run)).code).toBeNull();
    expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
    expect(w.server.mostConnections).toBe(2);
    expect(Math.max(...eventsOf(run, 'progress').map((e) => e.progress.connections))).toBe(2);
  });

  it("R25, R41: the minimum speed is the file's, over all its connections: eight sharing a 200 000 B/s link each bring 25 000, and a 50 000 limit cuts none", async () => {
    const content = bytesOf(2_000_000);
    const w = worldServing(content, {}, { chunkSize: 1_000, chunkDelayMs: 5, sharedLink: true });
    const slow = {
      lowSpeedLimit: 50_000,
      lowSpeedTimeMs: 1_000,
      minSegmentBytes: 16_000,
      writeBufferBytes: 4_000,
    };
    const run = begin(w, { ...slow, connections: 8 });
    expect((await finish(w, run)).code).toBeNull();
    expect(eventsOf(run, 'retry')).toEqual([]);
    expect(w.server.mostConnections).toBe(8);
    expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
    // Under the limit as a whole (200 000 B/s against 250 000), the file is too slow: cut.
    const under = worldServing(content, {}, { chunkSize: 1_000, chunkDelayMs: 5, sharedLink: true });
    const cut = begin(under, { ...slow, lowSpeedLimit: 250_000, connections: 8, retry: { retries: 1 } });
    expect((await finish(under, cut)).code).toBe('ERR_RETRIES_EXHAUSTED');
    expect(eventsOf(cut, 'retry').map((e) => e.failure)).toEqual([
      expect.objectContaining({ _tag: 'TooSlow', limit: 250_000 }),
    ]);
  });

  it('R43: on a link one connection fills, a second connection is tried, taken back, and stops: one connection fetches the rest', async () => {
    // 200 000 bytes a second over one link shared by every connection: a second adds nothing.
    const content = bytesOf(600_000);
    const w = worldServing(content, {}, { chunkSize: 1_000, chunkDelayMs: 5, sharedLink: true });
    const run = begin(w, { ...ADAPTIVE, maxConnections: 8 });
    const open: [number, number][] = [];
    const start = w.clock.now();
    await drive(
      w,
      run,
      () => {
        open.push([w.clock.now() - start, w.server.openConnections]);
        return run.settled;
      },
      100_000,
    );
    expect((await run.download.result).bytes).toBe(content.length);
    expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
    expect(w.server.mostConnections).toBe(2);
    // Growth is judged by 1 s (the start, one connection, two): from then on one connection at a time.
    expect(Math.max(...open.filter(([at]) => at >= 1_000).map(([, count]) => count))).toBe(1);
    // The second connection's rest was fetched once, by the first, not again.
    expect(w.server.bytesSent).toBeLessThanOrEqual(content.length * 1.02);
  });

  it('R43: adaptive growth steps while connections add speed, doubling then faster, up to maxConnections', async () => {
    // Each connection is paced on its own (a per-connection limit): more connections, more speed.
    const content = bytesOf(400_000);
    const w = worldServing(content, {}, { chunkSize: 1_000, chunkDelayMs: 10 });
    const run = begin(w, { ...ADAPTIVE, maxConnections: 8 });
    const end = await finish(w, run);
    expect(end.code).toBeNull();
    expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
    const counts = eventsOf(run, 'progress').map((e) => e.progress.connections);
    expect(Math.max(...counts)).toBe(8);
    expect(counts[0]).toBe(1);
    expect(counts.indexOf(2)).toBeGreaterThan(0);
    expect(counts.indexOf(2)).toBeLessThan(counts.indexOf(8));
  });

  it('R43: a failed extra connection lowers the count; the others fetch its rest', async () => {
    const { w, content } = served();
    // The second and third requests are cut at once: two segments fail while the first lives.
    w.server.inject([], { method: 'GET' });
    w.server.inject(fault.networkError('connection refused'), { method: 'GET', times: 2 });
    const run = begin(w, SEGMENTED);
    const end = await finish(w, run);
    expect(end.code).toBeNull();
    expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
    expect(eventsOf(run, 'retry')).toEqual([]);
  });

  it('R25: a connection that stalls is cut; its range is fetched by the others and the file is exact', async () => {
    const { w, content } = served();
    w.server.inject([], { method: 'GET' });
    w.server.inject(fault.stall(3_000), { method: 'GET' });
    const run = begin(w, { ...SEGMENTED, stallTimeoutMs: 500 });
    const end = await finish(w, run);
    expect(end.code).toBeNull();
    expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
  });

  it('the slow tail: a connection far slower than the others gives up its rest to a faster one', async () => {
    const { w, content } = served();
    w.server.inject([], { method: 'GET' });
    // The second connection is 40 times slower than the others.
    w.server.inject(fault.pace(200), { method: 'GET' });
    const t0 = w.clock.now();
    const run = begin(w, SEGMENTED);
    const end = await finish(w, run);
    expect(end.code).toBeNull();
    expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
    // Alone, its quarter (24 000 bytes at 1 000 per 200 ms) would take 4.8 s; the whole file ends well before.
    const slow = gets(w)[1];
    const [from, last] = rangeOf(slow?.headers.range) ?? [0, 0];
    expect(last).not.toBeNull();
    expect(w.clock.now() - t0).toBeLessThan((((last ?? 0) - from) / 1_000) * 200);
  });

  it('R10: a segment body longer or shorter than its range never writes outside it', async () => {
    for (const bent of [fault.longBody(3_000), fault.shortBody(500)]) {
      const { w, content } = served();
      w.server.inject([], { method: 'GET' });
      w.server.inject(bent, { method: 'GET' });
      const run = begin(w, SEGMENTED);
      const end = await finish(w, run);
      expect(end.code).toBeNull();
      expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
    }
  });

  it('R9: a segment answered for another range fails the download; what is counted is right, and a new start finishes', async () => {
    const { w, content } = served();
    w.server.inject([], { method: 'GET' });
    w.server.inject(fault.lieContentRange('wrongStart'), { method: 'GET' });
    const run = begin(w, SEGMENTED);
    expect((await finish(w, run)).code).toBe('ERR_BAD_RESPONSE');
    const durable = w.storage.durablePartOf(TARGET) ?? new Uint8Array(0);
    for (const [start, stop] of savedRanges(w) ?? []) {
      expect(bytesDiff(durable.subarray(start, stop), content.subarray(start, stop)).firstDiff).toBe(-1);
    }
    const again = begin(w, SEGMENTED);
    expect((await finish(w, again)).code).toBeNull();
    expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
  });

  it('R7: a segment answered with 200 restarts the download on one connection', async () => {
    const { w, content } = served();
    w.server.inject([], { method: 'GET' });
    w.server.inject(fault.ignoreRange(), { method: 'GET' });
    const run = begin(w, SEGMENTED);
    const end = await finish(w, run);
    expect(end.code).toBeNull();
    expect(eventsOf(run, 'restart').map((e) => e.reason)).toEqual(['RANGE_IGNORED']);
    expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
    const afterRestart = gets(w).slice(-1)[0];
    expect(afterRestart?.headers.range).toBeUndefined();
  });

  it.each([
    ['adaptive, from one connection', ADAPTIVE],
    ['four connections from the start', SEGMENTED],
  ])(
    "R5, R41: a first answer content-coded where the probe was not (%s): a restart on one connection, the encoded body whole, never cut at the probe's length",
    async (_name, options) => {
      const { w, content } = served();
      // Every plain GET is gzipped (its ETag too, as Apache marks it), as a server may do for a GET but not a HEAD.
      w.server.inject(fault.gzip(), { method: 'GET', times: Infinity });
      const run = begin(w, options);
      const end = await finish(w, run);
      expect(end.code).toBeNull();
      expect(eventsOf(run, 'restart').map((e) => e.reason)).toEqual(['CONTENT_ENCODED']);
      // The single stream keeps the encoded body as sent (R5: not resumable), every byte of it.
      const encoded = gzipStored(content);
      expect(encoded.length).not.toBe(SIZE);
      expect(bytesDiff(w.storage.fileOf(TARGET), encoded)).toEqual(same(encoded));
      expect(gets(w).at(-1)?.headers.range).toBeUndefined();
    },
  );

  it.each([
    ['the ETag as it is', {}],
    ["the representation's own ETag (Apache's -gzip)", { etag: '"segmented-gzip"' }],
  ])(
    'R5, R41: segments answered content-coded (the plain GET not), %s: one restart, then one connection, and the file exact',
    async (_name, etag) => {
      const { w, content } = served();
      w.server.inject(fault.setHeaders({ 'content-encoding': 'gzip', ...etag }), {
        method: 'GET',
        ranged: true,
        times: Infinity,
      });
      const run = begin(w, SEGMENTED);
      const end = await finish(w, run);
      expect(end.code).toBeNull();
      expect(eventsOf(run, 'restart').map((e) => e.reason)).toEqual(['CONTENT_ENCODED']);
      expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
      expect(gets(w).at(-1)?.headers.range).toBeUndefined();
    },
  );

  it.each([
    ['longer, adaptive', 2, ADAPTIVE],
    ['longer, four connections', 2, SEGMENTED],
    ['shorter, adaptive', 0.5, ADAPTIVE],
    ['shorter, four connections', 0.5, SEGMENTED],
  ])(
    'R11, R41: a file replaced between the probe and the first GET (%s): a restart, and the new version whole',
    async (_name, factor, options) => {
      const { w } = served();
      const replaced = bytesOf(SIZE * factor, 9);
      w.server.inject(fault.changeResource(replaced), { method: 'GET' });
      const run = begin(w, options);
      const end = await finish(w, run);
      expect(end.code).toBeNull();
      expect(eventsOf(run, 'restart').map((e) => e.reason)).toEqual(['RESOURCE_CHANGED']);
      expect(bytesDiff(w.storage.fileOf(TARGET), replaced)).toEqual(same(replaced));
    },
  );

  it("R41: a HEAD whose ETag is not the GETs' (the same bytes, the same length): the first answer names the version, no restart, the file exact", async () => {
    const { w, content } = served();
    w.server.inject(fault.setHeaders({ etag: '"from-head"' }), { method: 'HEAD', times: Infinity });
    const run = begin(w, ADAPTIVE);
    const end = await finish(w, run);
    expect(end.code).toBeNull();
    expect(eventsOf(run, 'restart')).toEqual([]);
    expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
    expect(end.result?.validators.etag).toBe(w.server.resource(URL_A)?.current.etag);
  });

  it.each([
    ['adaptive', ADAPTIVE],
    ['four connections', SEGMENTED],
  ])(
    'R11: under onChange fail, a file replaced by a longer one between the probe and the first GET (%s) fails ERR_RESOURCE_CHANGED',
    async (_name, options) => {
      const { w } = served();
      w.server.inject(fault.changeResource(bytesOf(2 * SIZE, 9)), { method: 'GET' });
      const run = begin(w, { ...options, onChange: 'fail' });
      expect((await finish(w, run)).code).toBe('ERR_RESOURCE_CHANGED');
      expect(w.storage.fileOf(TARGET)).toBeNull();
    },
  );

  it('R4: a resource without a strong validator stays on one connection', async () => {
    const content = bytesOf(SIZE);
    const w = world({}, SERVING);
    w.server.publish(URL_A, content, { etag: 'W/"weak"', lastModified: null });
    const run = begin(w, SEGMENTED);
    expect((await finish(w, run)).code).toBeNull();
    expect(w.server.mostConnections).toBe(1);
    expect(gets(w)).toHaveLength(1);
  });

  it('a resource smaller than two segments stays on one connection', async () => {
    const { w } = served(bytesOf(7_000));
    const run = begin(w, SEGMENTED);
    expect((await finish(w, run)).code).toBeNull();
    expect(gets(w)).toHaveLength(1);
  });

  it('R27: the running hash follows the prefix that the segments write, read back from storage', async () => {
    const { w, content } = served();
    const run = begin(w, { ...SEGMENTED, computeSha256: true });
    const end = await finish(w, run);
    expect(end.code).toBeNull();
    expect(end.result?.sha256).toBe(bytesToHex(sha256(content)));
  });

  it('R27: the read-back of a segmented download reads into one buffer, reused from read to read, never a fresh one a read', async () => {
    const { w, content } = served(bytesOf(3 * 1024 * 1024 + 77));
    const buffers: (Uint8Array | undefined)[] = [];
    const storage = overriding(w.storage, 'open', (target: string) =>
      TE.map((part: PartFile) => recordingReads(part, buffers))(w.storage.open(target)),
    );
    const run = begin(w, { ...SEGMENTED, computeSha256: true }, true, { ...w.ports, storage });
    const end = await finish(w, run);
    expect(end.code).toBeNull();
    expect(end.result?.sha256).toBe(bytesToHex(sha256(content)));
    expect(buffers.length).toBeGreaterThan(1);
    expect(buffers.every((buffer) => buffer !== undefined && buffer === buffers[0])).toBe(true);
  });

  it.each([
    ['one connection', { connections: 1 }],
    ['four connections', SEGMENTED],
  ])(
    'R20, R29: a checkpoint save that fails ends the download with its typed error (ERR_IO), at once, on %s',
    async (_, options) => {
      const content = bytesOf(SIZE);
      // 20 KB/s a connection: the file takes seconds, the first save (20 ms in) fails long before its end.
      const w = worldServing(content, {}, { chunkSize: 1_000, chunkDelayMs: 50 });
      w.checkpoints.failNext('save', { _tag: 'IoError', message: 'save checkpoint: EIO' });
      const run = begin(w, { ...ADAPTIVE, ...options });
      const end = await finish(w, run);
      expect(end.code).toBe('ERR_IO');
      expect((end.error as Error).message).toContain('save checkpoint: EIO');
      expect(run.download.getSnapshot().state).toBe('failed');
      // It stopped there: not after the whole file was fetched on (and a later save had counted it).
      expect(w.server.bytesSent).toBeLessThan(SIZE / 2);
    },
  );

  it.each([
    ['one connection', { connections: 1 }],
    ['four connections', SEGMENTED],
  ])(
    'R24, R20: a pause whose last save fails ends failed with ERR_IO, never paused; the next start resumes from the checkpoint saved before',
    async (_, options) => {
      const content = bytesOf(SIZE);
      const w = worldServing(content, {}, { chunkSize: 1_000, chunkDelayMs: 50 });
      const run = begin(w, { ...ADAPTIVE, ...options });
      await drive(w, run, () => coveredBytes(savedRanges(w) ?? []) > 0 && w.server.bytesSent > SIZE / 4);
      run.download.pause();
      w.checkpoints.failAll({ _tag: 'IoError', message: 'save checkpoint: EIO' });
      const end = await finish(w, run);
      expect(end.code).toBe('ERR_IO');
      expect(run.states).not.toContain('paused');
      expect(run.download.getSnapshot().state).toBe('failed');
      w.checkpoints.failAll(null);
      expect(coveredBytes(savedRanges(w) ?? [])).toBeGreaterThan(0);
      const second = begin(w, { ...ADAPTIVE, ...options });
      expect((await finish(w, second)).code).toBeNull();
      expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
    },
  );

  it('pause stops every connection; resume fetches only what is missing', async () => {
    const { w, content } = served();
    const run = begin(w, SEGMENTED);
    await drive(w, run, () => w.server.mostConnections >= 4 && w.server.bytesSent > SIZE / 3);
    run.download.pause();
    await drive(w, run, () => run.download.getSnapshot().state === 'paused');
    const sent = w.server.bytesSent;
    const counted = coveredBytes(savedRanges(w) ?? []);
    run.download.resume();
    const end = await finish(w, run);
    expect(end.code).toBeNull();
    expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
    expect(w.server.bytesSent - sent).toBeLessThanOrEqual(SIZE - counted + 8 * SERVING.chunkSize);
  });
});
