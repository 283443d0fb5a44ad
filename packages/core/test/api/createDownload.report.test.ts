import { md5 } from '@noble/hashes/legacy.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { describe, expect, it } from 'vitest';
import { createDownload } from '../../src/api/createDownload.js';
import { fault } from '../../src/memory/faults.js';
import { isDownloadError } from '../../src/model/DownloadError.js';
import type { PartFile, StoragePort } from '../../src/ports/StoragePort.js';
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
  world,
  worldServing,
} from '../support/machineHarness.js';

const SIZE = 60_000;

describe('createDownload: integrity and reporting', () => {
  it('R27: a matching sha256 and md5 complete, the sha256 is returned', async () => {
    const content = bytesOf(SIZE);
    const w = worldServing(content);
    w.server.inject(fault.cutBody(25_000), { method: 'GET' });
    const expectedSha256 = bytesToHex(sha256(content));
    const run = begin(w, { expectedSha256, expectedMd5: bytesToHex(md5(content)) });
    const end = await finish(w, run);
    expect(end.result?.sha256).toBe(expectedSha256);
    expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
  });

  it('R27: computeSha256 hashes a resumed file, reading back what the running hash missed', async () => {
    const content = bytesOf(SIZE);
    const w = worldServing(content);
    leftByEarlierRun(w, content, 20_000);
    w.server.inject(fault.cutBody(10_000), { method: 'GET' });
    const run = begin(w, { computeSha256: true });
    const end = await finish(w, run);
    expect(end.result?.sha256).toBe(bytesToHex(sha256(content)));
  });

  it('R27: a sha256 mismatch fails with IntegrityError naming both values, and the data is discarded', async () => {
    const content = bytesOf(SIZE);
    const w = worldServing(content);
    const wrong = 'ab'.repeat(32);
    const run = begin(w, { expectedSha256: wrong });
    const end = await finish(w, run);
    expect(end.code).toBe('ERR_INTEGRITY');
    const error = end.error as { failure: unknown; message: string };
    expect(error.failure).toEqual({
      _tag: 'IntegrityError',
      check: 'sha256',
      source: 'caller',
      expected: wrong,
      actual: bytesToHex(sha256(content)),
    });
    expect(error.message).toContain(wrong);
    expect(w.storage.fileOf(TARGET)).toBeNull();
    expect(w.storage.partOf(TARGET)?.length ?? 0).toBe(0);
    expect(w.checkpoints.keys()).toEqual([]);
    const again = begin(w);
    expect((await finish(w, again)).code).toBeNull();
    expect(eventsOf(again, 'start')[0]?.resumedFrom).toBe(0);
  });

  it('R27: an md5 mismatch fails the same way', async () => {
    const w = world();
    w.server.publish(URL_A, bytesOf(SIZE));
    const run = begin(w, { expectedMd5: '0'.repeat(32) });
    const end = await finish(w, run);
    expect(end.code).toBe('ERR_INTEGRITY');
    expect((end.error as { failure: { check: string } }).failure.check).toBe('md5');
  });

  it('R28: progress never goes above 100 % and never backwards but on a restart, reported as such', async () => {
    const content = bytesOf(SIZE);
    const w = worldServing(content);
    w.server.inject(fault.cutBody(30_000), { method: 'GET' });
    w.server.inject(fault.changeResource(bytesOf(SIZE, 3)), { method: 'GET' });
    const run = begin(w);
    expect((await finish(w, run)).code).toBeNull();
    let last = 0;
    let restarted = false;
    for (const event of run.events) {
      if (event.type === 'restart') restarted = true;
      if (event.type !== 'progress') continue;
      const { bytes, total, fraction, etaSeconds, bytesPerSecond } = event.progress;
      expect(fraction === null || fraction <= 1).toBe(true);
      if (total !== null) expect(bytes).toBeLessThanOrEqual(total);
      expect(bytesPerSecond).toBeGreaterThanOrEqual(0);
      expect(etaSeconds === null || etaSeconds >= 0).toBe(true);
      if (bytes < last) {
        expect(restarted).toBe(true);
        restarted = false;
      }
      last = bytes;
    }
    expect(eventsOf(run, 'restart').map((e) => e.reason)).toEqual(['RESOURCE_CHANGED']);
    expect(eventsOf(run, 'progress').at(-1)?.progress).toMatchObject({ bytes: SIZE, fraction: 1 });
  });

  it('R28: speed and ETA come from clock time', async () => {
    const w = world({}, { chunkDelayMs: 100, chunkSize: 1_000 });
    w.server.publish(URL_A, bytesOf(20_000));
    const run = begin(w);
    await finish(w, run);
    const mid = eventsOf(run, 'progress').find((e) => e.progress.bytes >= 10_000)?.progress;
    expect(mid?.bytesPerSecond).toBeCloseTo(10_000, -2);
    expect(mid?.etaSeconds).toBeGreaterThan(0);
  });

  it('R28: the speed of a resumed run counts the bytes it fetches, not those it found on storage', async () => {
    // 10 000 bytes a second; 90 % of the file already held.
    const content = bytesOf(100_000);
    const w = worldServing(content, {}, { chunkDelayMs: 100, chunkSize: 1_000 });
    leftByEarlierRun(w, content, 90_000);
    const run = begin(w, { connections: 1 });
    await finish(w, run);
    expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
    const speeds = eventsOf(run, 'progress')
      .filter((e) => e.progress.bytes > 90_000 && e.progress.bytes < 100_000)
      .map((e) => e.progress.bytesPerSecond);
    expect(speeds.length).toBeGreaterThan(0);
    // Never the 90 000 held bytes counted as fetched in a fraction of a second.
    for (const speed of speeds) expect(speed).toBeLessThanOrEqual(15_000);
  });

  it('R29: every failure is a typed error with a stable code and a one-line message', async () => {
    const w = world();
    w.server.publish(URL_A, bytesOf(SIZE));
    w.server.inject(fault.status(404), { method: 'HEAD' });
    const run = begin(w);
    const error = await run.download.result.catch((e: unknown) => e);
    await finish(w, run);
    expect(isDownloadError(error)).toBe(true);
    expect(error).toMatchObject({ name: 'DownloadError', code: 'ERR_HTTP_STATUS' });
    expect((error as Error).message).not.toContain('\n');
    expect(eventsOf(run, 'error')[0]?.error).toBe(error);
    expect(run.download.getSnapshot().state).toBe('failed');
  });

  it('R29: a disk that fills up mid-way fails with ERR_NO_SPACE, keeps what is durable and releases the lock', async () => {
    const w = world({}, { chunkDelayMs: 10 });
    w.server.publish(URL_A, bytesOf(SIZE));
    const run = begin(w, { checkpointIntervalMs: 0 });
    await drive(w, run, () => (eventsOf(run, 'progress').at(-1)?.progress.bytes ?? 0) >= 20_000);
    w.storage.setCapacity(30_000);
    const end = await finish(w, run);
    expect(end.code).toBe('ERR_NO_SPACE');
    expect(w.storage.isLocked(TARGET)).toBe(false);
    expect(w.checkpoints.keys()).toEqual([TARGET]);
  });

  it('R19, R21: a storage whose writes past a point are lost but answer Right never commits; the next start resumes from what it holds', async () => {
    const content = bytesOf(SIZE);
    const w = worldServing(content);
    // A browser's sync handle under a full quota: the writes seem to go through, the file stays short.
    const losing: StoragePort = {
      open: (target) =>
        TE.map(
          (part: PartFile): PartFile => ({
            size: () => part.size(),
            write: (offset, bytes) => (offset >= 30_000 ? TE.right(undefined) : part.write(offset, bytes)),
            read: (offset, length) => part.read(offset, length),
            truncate: (length) => part.truncate(length),
            flush: () => part.flush(),
            commit: () => part.commit(),
            discard: () => part.discard(),
            close: () => part.close(),
          }),
        )(w.storage.open(target)),
      remove: (target) => w.storage.remove(target),
      targetSize: (target) => w.storage.targetSize(target),
      readTarget: (target, offset, length) => w.storage.readTarget(target, offset, length),
    };
    const first = begin(w, { expectedSha256: bytesToHex(sha256(content)), checkpointIntervalMs: 0 }, true, {
      ...w.ports,
      storage: losing,
    });
    const end = await finish(w, first);
    expect(end.code).toBe('ERR_IO');
    expect((end.error as Error).message).toMatch(/the part file holds \d+ bytes where 60000 were written/);
    expect(w.storage.fileOf(TARGET)).toBeNull();
    const kept = w.storage.partOf(TARGET)?.length ?? 0;
    expect(kept).toBeGreaterThanOrEqual(30_000);
    expect(kept).toBeLessThan(SIZE);

    const second = begin(w);
    expect((await finish(w, second)).code).toBeNull();
    expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
    expect(gets(w).at(-1)?.headers.range).toBe(`bytes=${kept}-`);
  });

  it('R40: a download that cannot fit fails with ERR_NO_SPACE before its data request, and leaves nothing', async () => {
    const w = world();
    w.server.publish(URL_A, bytesOf(SIZE));
    w.storage.setCapacity(SIZE - 1);
    const run = begin(w);
    const end = await finish(w, run);
    expect(end.code).toBe('ERR_NO_SPACE');
    expect(gets(w)).toEqual([]);
    expect(w.storage.list()).toEqual([]);
    expect(w.checkpoints.keys()).toEqual([]);
  });

  it('R40: a resume compares only the bytes still to come with the free space', async () => {
    const w = world();
    const content = bytesOf(SIZE);
    w.server.publish(URL_A, content);
    w.server.inject(fault.cutBody(40_000), { method: 'GET' });
    const first = begin(w, { retry: { retries: 0 } });
    expect((await finish(w, first)).code).toBe('ERR_RETRIES_EXHAUSTED');
    // The part file holds 40 000 bytes: 20 000 more fit in a volume of 60 000.
    w.storage.setCapacity(SIZE);
    const second = begin(w);
    expect((await finish(w, second)).code).toBeNull();
    expect(w.storage.fileOf(TARGET)).toEqual(content);
  });

  it('R40: a probe that announces more than maxFileBytes fails ERR_TOO_LARGE before any GET, and leaves nothing', async () => {
    const w = worldServing(bytesOf(SIZE));
    const run = begin(w, { maxFileBytes: SIZE - 1 });
    const end = await finish(w, run);
    expect(end.code).toBe('ERR_TOO_LARGE');
    expect((end.error as Error).message).toBe(
      `the file is ${SIZE} bytes, over the limit of ${SIZE - 1} bytes`,
    );
    expect(gets(w)).toEqual([]);
    expect(w.storage.list()).toEqual([]);
    expect(w.checkpoints.keys()).toEqual([]);
  });

  it('R40: a file of exactly maxFileBytes is downloaded', async () => {
    const content = bytesOf(SIZE);
    const w = worldServing(content);
    const end = await finish(w, begin(w, { maxFileBytes: SIZE }));
    expect(end.code).toBeNull();
    expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
  });

  it('R40: a refused HEAD leaves the limit to the GET probe: ERR_TOO_LARGE with no byte written', async () => {
    const w = worldServing(bytesOf(SIZE));
    w.server.refuseHead(405);
    const end = await finish(w, begin(w, { maxFileBytes: 1000 }));
    expect(end.code).toBe('ERR_TOO_LARGE');
    expect(gets(w).map((r) => r.headers.range)).toEqual(['bytes=0-0']);
    expect(w.storage.fileOf(TARGET)).toBeNull();
  });

  it('R40: a data answer that announces more than maxFileBytes (its probe told no length) writes no byte of it', async () => {
    const w = worldServing(bytesOf(SIZE));
    // Every HEAD leaves its length out; every GET tells it.
    w.server.inject(fault.setHeaders({ 'content-length': null }), {
      method: 'HEAD',
      times: Number.POSITIVE_INFINITY,
    });
    const end = await finish(w, begin(w, { maxFileBytes: 1000 }));
    expect(end.code).toBe('ERR_TOO_LARGE');
    expect((end.error as Error).message).toContain(`the file is ${SIZE} bytes`);
    expect(w.storage.fileOf(TARGET)).toBeNull();
    expect(w.storage.partOf(TARGET) ?? new Uint8Array(0)).toHaveLength(0);
  });

  it('R40, R15: a body of no announced length is cut at maxFileBytes with ERR_TOO_LARGE; no byte past it is written', async () => {
    const w = world();
    w.server.publish(URL_A, bytesOf(SIZE), { lengthKnown: false });
    const run = begin(w, { maxFileBytes: 25_000, writeBufferBytes: 4096 });
    const end = await finish(w, run);
    expect(end.code).toBe('ERR_TOO_LARGE');
    expect((end.error as Error).message).toBe(
      'the body ran past the limit of 25000 bytes with no length announced',
    );
    expect(w.storage.list().some((name) => !name.endsWith('.part'))).toBe(false);
    expect((w.storage.partOf(TARGET) ?? new Uint8Array(0)).length).toBeLessThanOrEqual(25_000);
    expect(gets(w)).toHaveLength(1);
  });

  it('R40, R15: a body of no announced length and exactly maxFileBytes completes', async () => {
    const w = world();
    const content = bytesOf(SIZE);
    w.server.publish(URL_A, content, { lengthKnown: false });
    const end = await finish(w, begin(w, { maxFileBytes: SIZE }));
    expect(end.code).toBeNull();
    expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
  });

  it('R30: options that cannot be read (null, a getter or a Proxy that throws) give ERR_INVALID_INPUT, never a throw', async () => {
    const w = worldServing(bytesOf(SIZE));
    const throwing = Object.defineProperty({ target: TARGET }, 'url', {
      get: () => {
        throw new Error('no url for you');
      },
      enumerable: true,
    });
    const proxy = new Proxy(
      {},
      {
        get: () => {
          throw new Error('trap');
        },
      },
    );
    for (const options of [null, undefined, throwing, proxy]) {
      const download = createDownload(options as never, w.ports);
      const error = await download.result.catch((e: unknown) => e);
      expect(isDownloadError(error) && error.code).toBe('ERR_INVALID_INPUT');
    }
    expect(w.server.requests).toEqual([]);
  });

  it.each([
    'Content-Length',
    'transfer-encoding',
    'Range',
    'If-Range',
    'connection',
    'Proxy-Authorization',
    'HOST',
  ])(
    'R30, R36: a header of rdl own (%s) in headers is refused before any request, not sent to desync the connection',
    async (name) => {
      const w = worldServing(bytesOf(SIZE));
      const end = await finish(w, begin(w, { headers: { [name]: '5' } }));
      expect(end.code).toBe('ERR_INVALID_INPUT');
      expect((end.error as Error).message).toContain(`rdl sets ${name} itself`);
      expect(w.server.requests).toEqual([]);
    },
  );

  it('R30: a signal without removeEventListener, or a rate under 1 byte a second, is refused before any request', async () => {
    const w = worldServing(bytesOf(SIZE));
    const half = { aborted: false, addEventListener: () => undefined };
    for (const bad of [
      { signal: half as never },
      { maxBytesPerSecond: 0.001 },
      { maxBytesPerSecond: 1e-300 },
    ]) {
      const end = await finish(w, begin(w, bad));
      expect(end.code).toBe('ERR_INVALID_INPUT');
    }
    expect(w.server.requests).toEqual([]);
  });

  it.each([-1, 1.5, Number.NaN, '10'])('R30: maxFileBytes %s is refused before any request', async (bad) => {
    const w = worldServing(bytesOf(SIZE));
    const end = await finish(w, begin(w, { maxFileBytes: bad as number }));
    expect(end.code).toBe('ERR_INVALID_INPUT');
    expect(w.server.requests).toEqual([]);
  });

  it('R18, R29: a refreshUrl hook that fails ends with ERR_REFRESH_FAILED, its first line in the message', async () => {
    const w = world();
    w.server.publish(URL_A, bytesOf(SIZE));
    w.server.inject(fault.setHeaders({}), { method: 'HEAD' });
    w.server.inject(fault.cutBody(20_000), { method: 'GET' });
    w.server.inject(fault.status(403), { times: Number.POSITIVE_INFINITY });
    const run = begin(w, { refreshUrl: () => Promise.reject(new Error('signing service down\nat line 2')) });
    const end = await finish(w, run);
    expect(end.code).toBe('ERR_REFRESH_FAILED');
    expect((end.error as Error).message).toBe('the refreshUrl hook failed: signing service down');
  });

  it('R18, R29: a refreshUrl hook that rejects with what cannot be made text is ERR_REFRESH_FAILED, not an internal error', async () => {
    const w = world();
    w.server.publish(URL_A, bytesOf(SIZE));
    w.server.inject(fault.setHeaders({}), { method: 'HEAD' });
    w.server.inject(fault.cutBody(20_000), { method: 'GET' });
    w.server.inject(fault.status(403), { times: Number.POSITIVE_INFINITY });
    const run = begin(w, { refreshUrl: () => Promise.reject(Object.create(null)) });
    const end = await finish(w, run);
    expect(end.code).toBe('ERR_REFRESH_FAILED');
    expect((end.error as Error).message).toBe('the refreshUrl hook failed: no reason given');
  });

  it('R18, R29: a refreshUrl hook that never answers is ERR_REFRESH_FAILED after stallTimeoutMs, not a download held for ever', async () => {
    const w = world();
    w.server.publish(URL_A, bytesOf(SIZE));
    w.server.inject(fault.setHeaders({}), { method: 'HEAD' });
    w.server.inject(fault.cutBody(20_000), { method: 'GET' });
    w.server.inject(fault.status(403), { times: Number.POSITIVE_INFINITY });
    const run = begin(w, { stallTimeoutMs: 2_000, refreshUrl: () => new Promise(() => undefined) });
    const end = await finish(w, run);
    expect(end.code).toBe('ERR_REFRESH_FAILED');
    expect((end.error as Error).message).toBe('the refreshUrl hook failed: it did not answer within 2 s');
  });

  it('R18: refreshTimeoutMs bounds the hook apart from stallTimeoutMs: a hook that answers after 20 s of a 2 s stallTimeoutMs is waited for', async () => {
    const fresh = 'https://files.example/a.bin?sig=2';
    const w = world();
    const content = bytesOf(SIZE);
    w.server.publish(URL_A, content);
    w.server.mount(fresh, w.server.resource(URL_A)!);
    w.server.inject(fault.setHeaders({}), { method: 'HEAD' });
    w.server.inject(fault.cutBody(20_000), { method: 'GET' });
    w.server.inject(fault.status(403), { method: 'GET', url: URL_A, times: Number.POSITIVE_INFINITY });
    const signing = () =>
      new Promise<{ url: string }>((resolve) => w.clock.setTimeout(() => resolve({ url: fresh }), 20_000));
    const run = begin(w, { stallTimeoutMs: 2_000, refreshTimeoutMs: 30_000, refreshUrl: signing });
    expect((await finish(w, run)).code).toBeNull();
    expect(gets(w).at(-1)).toMatchObject({ url: fresh, headers: { range: 'bytes=20000-' } });
    expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
  });

  it('R18, R29: a hook that never answers fails after refreshTimeoutMs when given, not after stallTimeoutMs', async () => {
    const w = world();
    w.server.publish(URL_A, bytesOf(SIZE));
    w.server.inject(fault.setHeaders({}), { method: 'HEAD' });
    w.server.inject(fault.cutBody(20_000), { method: 'GET' });
    w.server.inject(fault.status(403), { times: Number.POSITIVE_INFINITY });
    const run = begin(w, {
      stallTimeoutMs: 2_000,
      refreshTimeoutMs: 30_000,
      refreshUrl: () => new Promise(() => undefined),
    });
    const end = await finish(w, run);
    expect(end.code).toBe('ERR_REFRESH_FAILED');
    expect((end.error as Error).message).toBe('the refreshUrl hook failed: it did not answer within 30 s');
  });

  it('R25: a HEAD that never answers is cut after stallTimeoutMs and retried', async () => {
    const w = world();
    w.server.publish(URL_A, bytesOf(SIZE));
    w.server.inject(fault.noResponse(), { method: 'HEAD' });
    const run = begin(w, { stallTimeoutMs: 2_000 });
    expect((await finish(w, run)).code).toBeNull();
    expect(eventsOf(run, 'retry')[0]?.failure).toEqual({ _tag: 'Stalled', afterMs: 2_000 });
  });

  it.each([
    ['not a URL', { url: 'not a url' }],
    ['an unsupported scheme', { url: 'ftp://files.example/a' }],
    ['a negative option', { stallTimeoutMs: -1 }],
    ['a non-numeric option', { writeBufferBytes: 'big' as unknown as number }],
    ['R23: a target named as the part file of another (x.part)', { target: 'x.part' }],
    ['R23: a target in a folder named as a part file', { target: 'dir/x.bin.part' }],
  ])('R30: %s fails before any request, creating no file', async (_name, bad) => {
    const w = world();
    w.server.publish(URL_A, bytesOf(SIZE));
    const download = createDownload({ url: URL_A, target: TARGET, ...bad }, w.ports);
    const events: string[] = [];
    download.subscribe((e) => events.push(e.type));
    download.start();
    const error = await download.result.catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ERR_INVALID_INPUT' });
    expect(w.server.requests).toEqual([]);
    expect(w.storage.list()).toEqual([]);
    expect(w.checkpoints.keys()).toEqual([]);
    expect(download.getSnapshot().state).toBe('failed');
  });
});
