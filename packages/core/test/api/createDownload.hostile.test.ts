import { md5 } from '@noble/hashes/legacy.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import * as E from 'fp-ts/lib/Either.js';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { describe, expect, it } from 'vitest';
import { Crc64 } from '../../src/hashing/crc64.js';
import { fault } from '../../src/memory/faults.js';
import type { HttpPort } from '../../src/ports/HttpPort.js';
import type { PartFile, StoragePort } from '../../src/ports/StoragePort.js';
import { decodeCheckpoint } from '../../src/rules/checkpointCodec.js';
import {
  begin,
  bytesDiff,
  bytesOf,
  drive,
  eventsOf,
  finish,
  gets,
  leftByEarlierRun,
  same,
  TARGET,
  URL_A,
  type World,
  world,
  worldServing,
} from '../support/machineHarness.js';

const SIZE = 60_000;

describe('createDownload against hostile servers and hosts', () => {
  it('R25: a server that ignores Range and cuts every body is not asked for ever: the count and the restarts hold', async () => {
    const content = bytesOf(SIZE);
    const w = worldServing(content);
    w.server.inject([fault.ignoreRange(), fault.cutBody(20_000)], {
      method: 'GET',
      times: Number.POSITIVE_INFINITY,
    });
    const run = begin(w, { retry: { retries: 3 } });
    const end = await finish(w, run);
    expect(end.code).toBe('ERR_RETRIES_EXHAUSTED');
    // Fetching the same 20 000 bytes again after each restart is not progress: the attempts run out.
    expect(eventsOf(run, 'restart').length).toBeLessThanOrEqual(3);
    expect(gets(w).length).toBeLessThanOrEqual(8);
    // Each wait after the first grows (the backoff holds): the retries are not a loop.
    const waits = eventsOf(run, 'retry').map((e) => e.attempt);
    expect(waits).toEqual([...waits].sort((a, b) => a - b));
  });

  /**
   * `w`'s server, except that ranged GETs (the first `times`) are answered as if redirected to another host: a 206
   * of the asked range, of other bytes, with no ETag nor Last-Modified (it ignored the If-Match it was sent).
   */
  const mirroredRanges = (w: World, other: Uint8Array, times: number): HttpPort => {
    let left = times;
    return {
      request: (request) => {
        const m = /^bytes=(\d+)-(\d*)$/.exec(request.headers.range ?? '');
        if (m === null || left <= 0) return w.server.request(request);
        left--;
        const first = Number(m[1]);
        const last = m[2] === '' ? other.length - 1 : Math.min(Number(m[2]), other.length - 1);
        const bytes = other.slice(first, last + 1);
        return TE.right({
          status: 206,
          url: 'https://mirror.example/a.bin',
          headers: {
            'content-range': `bytes ${first}-${last}/${other.length}`,
            'content-length': String(bytes.length),
          },
          body: (async function* () {
            yield bytes;
          })(),
        });
      },
    };
  };

  it('R13, R17: a range answered from another host after a redirect, naming no version, is not trusted: the run restarts (SOURCE_CHANGED), never a file of two servers', async () => {
    const content = bytesOf(SIZE);
    const w = worldServing(content);
    w.server.inject(fault.cutBody(20_000), { method: 'GET' });
    const run = begin(w, { connections: 1 }, true, {
      ...w.ports,
      http: mirroredRanges(w, bytesOf(SIZE, 5), 1),
    });
    const end = await finish(w, run);
    expect(end.code).toBeNull();
    expect(eventsOf(run, 'restart').map((e) => e.reason)).toEqual(['SOURCE_CHANGED']);
    expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
  });

  it('R13, R17, R41: segments answered from another host after a redirect, naming no version, are not written: one version only', async () => {
    const content = bytesOf(SIZE);
    const w = worldServing(content, {}, { chunkSize: 1_000, chunkDelayMs: 5 });
    const http = mirroredRanges(w, bytesOf(SIZE, 6), 3);
    const run = begin(w, { connections: 4, minSegmentBytes: 4_000, writeBufferBytes: 2_000 }, true, {
      ...w.ports,
      http,
    });
    const end = await finish(w, run);
    expect(end.code).toBeNull();
    expect(eventsOf(run, 'restart').map((e) => e.reason)).toContain('SOURCE_CHANGED');
    expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
  });

  it('R25: a server whose resource changes at every request gives TooManyRestarts, with backoff between them', async () => {
    const w = world();
    w.server.publish(URL_A, bytesOf(SIZE));
    // Every answer is of a new version, cut after 10 000 bytes: each resume finds another ETag.
    w.server.inject([fault.changeResource(), fault.cutBody(10_000)], {
      method: 'GET',
      times: Number.POSITIVE_INFINITY,
    });
    const run = begin(w, { retry: { maxRestarts: 3 } });
    const end = await finish(w, run);
    expect(end.code).toBe('ERR_TOO_MANY_RESTARTS');
    expect(eventsOf(run, 'restart').map((e) => e.reason)).toEqual([
      'RESOURCE_CHANGED',
      'RESOURCE_CHANGED',
      'RESOURCE_CHANGED',
    ]);
    // The first restart went at once; the next ones waited (`waiting` between them).
    const states = run.states.join(' ');
    expect(states).toContain('downloading waiting heading');
  });

  it('R25: a retry asks for the data again without a new probe: one HEAD for a run cut three times', async () => {
    const content = bytesOf(SIZE);
    const w = worldServing(content);
    for (const at of [10_000, 10_000, 10_000]) w.server.inject(fault.cutBody(at), { method: 'GET' });
    const run = begin(w);
    expect((await finish(w, run)).code).toBeNull();
    expect(w.server.requests.filter((r) => r.method === 'HEAD')).toHaveLength(1);
    expect(gets(w).map((r) => r.headers.range)).toEqual([
      undefined,
      'bytes=10000-',
      'bytes=20000-',
      'bytes=30000-',
    ]);
    expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
  });

  it('R25: a body slower than lowSpeedLimit over lowSpeedTimeMs is cut and retried, then gives up as ERR_TOO_SLOW', async () => {
    const w = world({}, { chunkSize: 10, chunkDelayMs: 1_000 });
    w.server.publish(URL_A, bytesOf(SIZE));
    const run = begin(w, {
      lowSpeedLimit: 100,
      lowSpeedTimeMs: 10_000,
      stallTimeoutMs: 30_000,
      retry: { retries: 1 },
    });
    const end = await finish(w, run);
    expect(end.code).toBe('ERR_RETRIES_EXHAUSTED');
    expect(end.error).toMatchObject({ failure: { last: { _tag: 'TooSlow', limit: 100, forMs: 10_000 } } });
    // A slow body's bytes are not progress: the attempts run out although each request brought some.
    expect(eventsOf(run, 'retry').map((e) => [e.attempt, e.failure._tag])).toEqual([[1, 'TooSlow']]);
  });

  it('R20, R25: a slow link makes durable progress at every checkpoint tick, whatever the write buffer', async () => {
    const w = world({}, { chunkSize: 10, chunkDelayMs: 1_000 });
    w.server.publish(URL_A, bytesOf(SIZE));
    const run = begin(w, {
      writeBufferBytes: 1_048_576,
      checkpointIntervalMs: 1_000,
      stallTimeoutMs: 30_000,
    });
    const durable = () => {
      const raw = w.checkpoints.raw(TARGET);
      const decoded = raw === null ? null : decodeCheckpoint(raw);
      return decoded !== null && E.isRight(decoded) ? (decoded.right.ranges[0]?.[1] ?? 0) : 0;
    };
    await drive(w, run, () => w.clock.now() - 1_704_067_200_000 >= 10_000 || durable() >= 50);
    expect(durable()).toBeGreaterThanOrEqual(50);
    run.download.pause();
    await drive(w, run, () => run.download.getSnapshot().state === 'paused');
  });

  it('R20: bytes that came in a burst before the body went quiet are durable one checkpoint interval later, not at the stall', async () => {
    const w = worldServing(bytesOf(SIZE));
    w.server.inject(fault.stall(20_000), { method: 'GET' });
    const run = begin(w, {
      writeBufferBytes: 1_048_576,
      checkpointIntervalMs: 1_000,
      stallTimeoutMs: 30_000,
    });
    const durable = () => {
      const raw = w.checkpoints.raw(TARGET);
      const decoded = raw === null ? null : decodeCheckpoint(raw);
      return decoded !== null && E.isRight(decoded) ? (decoded.right.ranges[0]?.[1] ?? 0) : 0;
    };
    const started = w.clock.now();
    await drive(w, run, () => durable() === 20_000);
    expect(w.clock.now() - started).toBeLessThan(2_000);
    expect(run.download.getSnapshot().state).toBe('downloading');
    run.download.cancel();
    await finish(w, run);
  });

  it('R39: a listener that throws on every progress report changes nothing: the file is right and the throw is told', async () => {
    const content = bytesOf(SIZE);
    const w = worldServing(content);
    const run = begin(w, {}, false);
    run.download.subscribe((event) => {
      if (event.type === 'progress') throw new Error('the progress bar broke');
    });
    run.download.start();
    const end = await finish(w, run);
    expect(end.code).toBeNull();
    expect(eventsOf(run, 'retry')).toEqual([]);
    expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
    const told = eventsOf(run, 'notice').filter((n) => n.code === 'LISTENER_FAILED');
    expect(told.length).toBeGreaterThan(0);
    expect(told[0]?.message).toBe('a listener threw on progress: the progress bar broke');
  });

  it.each(['start', 'state', 'done', 'notice'] as const)(
    'R39: a listener that throws on %s never hangs the download: result settles',
    async (type) => {
      const content = bytesOf(SIZE);
      const w = worldServing(content);
      const run = begin(w, {}, false);
      run.download.subscribe((event) => {
        if (event.type === type) throw new Error(`thrown on ${type}`);
      });
      run.download.start();
      expect((await finish(w, run)).code).toBeNull();
      expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
    },
  );

  it('R22, R28: a checkpoint that cannot be read is reported as a restart, with its reason, and as a notice', async () => {
    const content = bytesOf(SIZE);
    const w = worldServing(content);
    leftByEarlierRun(w, content, 20_000);
    w.checkpoints.setRaw(TARGET, '{"version":1,"url":');
    const run = begin(w);
    expect((await finish(w, run)).code).toBeNull();
    expect(eventsOf(run, 'restart').map((e) => e.reason)).toEqual(['CHECKPOINT_INVALID']);
    expect(eventsOf(run, 'notice').map((e) => e.code)).toEqual(['CHECKPOINT_INVALID']);
    expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
  });

  it('a port that throws (a broken invariant) rejects result with its error and releases the lock, never hangs', async () => {
    const content = bytesOf(SIZE);
    const w = worldServing(content);
    const broken = new Error('flush threw: a bug in a port');
    const storage: StoragePort = {
      ...w.storage,
      remove: (t) => w.storage.remove(t),
      targetSize: (t) => w.storage.targetSize(t),
      readTarget: (t, o, l) => w.storage.readTarget(t, o, l),
      open: (target) => async () => {
        const opened = await w.storage.open(target)();
        if (E.isLeft(opened)) return opened;
        const part: PartFile = opened.right;
        return E.right({
          size: () => part.size(),
          write: (o, b) => part.write(o, b),
          read: (o, l) => part.read(o, l),
          truncate: (l) => part.truncate(l),
          flush: () => () => Promise.reject(broken),
          commit: () => part.commit(),
          discard: () => part.discard(),
          close: () => part.close(),
        });
      },
    };
    const run = begin(w, { checkpointIntervalMs: 0 }, true, { ...w.ports, storage });
    const end = await finish(w, run);
    expect(end.error).toBe(broken);
    expect(w.storage.isLocked(TARGET)).toBe(false);
  });
});

describe('createDownload: the checksums a server gives (R27)', () => {
  const content = bytesOf(SIZE);
  const crcOf = (bytes: Uint8Array): string => {
    const crc = new Crc64();
    crc.update(bytes);
    return BigInt(`0x${crc.digest()}`).toString();
  };
  const base64 = (hex: string): string => {
    const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    let bits = '';
    for (let i = 0; i < hex.length; i += 2)
      bits += Number.parseInt(hex.slice(i, i + 2), 16)
        .toString(2)
        .padStart(8, '0');
    let out = '';
    for (let i = 0; i < bits.length; i += 6)
      out += chars[Number.parseInt(bits.slice(i, i + 6).padEnd(6, '0'), 2)];
    return out + '='.repeat((4 - (out.length % 4)) % 4);
  };
  const serving = (headers: Record<string, string>) => {
    const w = worldServing(content);
    w.server.inject(fault.setHeaders(headers), { times: Number.POSITIVE_INFINITY });
    return w;
  };

  it.each([
    ['x-oss-hash-crc64ecma', () => crcOf(content), 'crc64ecma'],
    ['repr-digest', () => `sha-512=:${base64(bytesToHex(sha512(content)))}:`, 'sha512'],
    ['repr-digest', () => `sha-256=:${base64(bytesToHex(sha256(content)))}:`, 'sha256'],
    ['content-md5', () => base64(bytesToHex(md5(content))), 'md5'],
  ] as const)(
    'R27: a right %s is checked before the file appears, and the result says the check ran',
    async (name, value, algorithm) => {
      const w = serving({ [name]: value() });
      w.server.inject(fault.cutBody(20_000), { method: 'GET' });
      const run = begin(w);
      const end = await finish(w, run);
      expect(end.code).toBeNull();
      expect(end.result?.checks).toEqual([{ algorithm, source: name }]);
      expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
    },
  );

  it.each([
    ['x-oss-hash-crc64ecma', () => crcOf(bytesOf(SIZE, 2)), 'crc64ecma'],
    ['repr-digest', () => `sha-256=:${base64(bytesToHex(sha256(bytesOf(SIZE, 2))))}:`, 'sha256'],
  ] as const)(
    'R27: a wrong %s is ERR_INTEGRITY naming both values and the header; the data is discarded',
    async (name, value, algorithm) => {
      const w = serving({ [name]: value() });
      const run = begin(w);
      const end = await finish(w, run);
      expect(end.code).toBe('ERR_INTEGRITY');
      expect(end.error).toMatchObject({
        failure: { _tag: 'IntegrityError', check: algorithm, source: name },
      });
      expect((end.error as Error).message).toContain(`(${name})`);
      expect(w.storage.fileOf(TARGET)).toBeNull();
      expect(w.checkpoints.keys()).toEqual([]);
    },
  );

  it('R27: the caller’s sha256 and the server’s CRC-64 are both checked, from one pass over the bytes', async () => {
    const w = serving({ 'x-oss-hash-crc64ecma': crcOf(content) });
    const run = begin(w, { expectedSha256: bytesToHex(sha256(content)) });
    const end = await finish(w, run);
    expect(end.result?.checks).toEqual([
      { algorithm: 'sha256', source: 'caller' },
      { algorithm: 'crc64ecma', source: 'x-oss-hash-crc64ecma' },
    ]);
  });
});
