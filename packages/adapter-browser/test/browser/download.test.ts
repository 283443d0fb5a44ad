import { type DownloadOptions, isDownloadError } from '@rdl/core';
import { openDB } from 'idb';
import { describe, expect, inject, it, vi } from 'vitest';
import './provided.js';
import { patternBytes } from '../../demo/patternBytes.js';
import { IdbCheckpointStore } from '../../src/IdbCheckpointStore.js';
import {
  createDownload,
  createDownloadHere,
  createWorkerDownload,
  getDownloadedFile,
  removeDownloadedFile,
  savedDownload,
} from '../../src/index.js';
import { WritableStorage } from '../../src/WritableStorage.js';
import { opfsFileExists, removeOpfsEntry, uniqueFolder } from './opfsFiles.js';

const files = inject('filesOrigin');
const SMALL = patternBytes(1048576 + 17, 7);

const sha256 = async (bytes: BufferSource): Promise<string> =>
  [...new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))]
    .map((b) => b.toString(16).padStart(2, '0'))
    .join('');

describe('createDownload in Chromium', () => {
  it('R19, R27: runs in a worker, and the finished file comes back as a File with the right SHA-256', async () => {
    const target = `${uniqueFolder('dl')}.bin`;
    const download = createDownload({ url: `${files}/files/small.bin`, target, computeSha256: true });
    const states: string[] = [];
    download.subscribe((event) => {
      if (event.type === 'state') states.push(event.state);
    });
    download.start();
    const result = await download.result;
    expect(result.bytes).toBe(SMALL.length);
    expect(result.sha256).toBe(await sha256(SMALL));
    expect(download.getSnapshot().state).toBe('done');
    expect(states.at(-1)).toBe('done');
    const file = await getDownloadedFile(target);
    expect(file).toBeInstanceOf(File);
    expect(new Uint8Array(await file.arrayBuffer())).toEqual(SMALL);
    expect(await opfsFileExists(`${target}.part`)).toBe(false);
    await removeDownloadedFile(target);
    await expect(getDownloadedFile(target)).rejects.toThrow();
  });

  it('R30: a target that is no OPFS file name fails before any request, with a typed error', async () => {
    const download = createDownload({ url: `${files}/files/small.bin`, target: '../escape.bin' });
    download.start();
    const error = await download.result.catch((e: unknown) => e);
    expect(isDownloadError(error) && error.code).toBe('ERR_INVALID_INPUT');
  });

  it('R30: a port override in a page is refused, naming it and createDownloadHere: it cannot reach the worker', async () => {
    await fetch(`${files}/_control`, { method: 'POST', body: JSON.stringify({ reset: true }) });
    const target = `${uniqueFolder('override')}.bin`;
    const download = createDownload(
      { url: `${files}/files/small.bin`, target },
      {
        clock: { now: () => 0, setTimeout, clearTimeout, random: () => 0.5 },
        storage: new WritableStorage(),
      },
    );
    download.start();
    const error = await download.result.catch((e: unknown) => e);
    expect(isDownloadError(error) && error.code).toBe('ERR_INVALID_INPUT');
    expect(isDownloadError(error) && error.message).toMatch(
      /clock, storage cannot reach the download worker: createDownloadHere\(options, ports\)/,
    );
    const log = (await (await fetch(`${files}/_requests`)).json()) as unknown[];
    expect(log).toEqual([]);
    expect(await opfsFileExists(`${target}.part`)).toBe(false);
  });

  it('R30: options the worker cannot receive (a function, a Headers) are refused naming the field; the worker ends and the page listens no more', async () => {
    await fetch(`${files}/_control`, { method: 'POST', body: JSON.stringify({ reset: true }) });
    const listening = new Set<EventListenerOrEventListenerObject | null>();
    let added = 0;
    const add = vi.spyOn(globalThis, 'addEventListener').mockImplementation(function (
      this: unknown,
      ...args
    ) {
      if (args[0] === 'online' || args[0] === 'offline') {
        listening.add(args[1]);
        added += 1;
      }
      return EventTarget.prototype.addEventListener.apply(globalThis, args);
    });
    const remove = vi.spyOn(globalThis, 'removeEventListener').mockImplementation(function (
      this: unknown,
      ...args
    ) {
      if (args[0] === 'online' || args[0] === 'offline') listening.delete(args[1]);
      return EventTarget.prototype.removeEventListener.apply(globalThis, args);
    });
    try {
      for (const [field, extra] of [
        ['onProgress', { onProgress: () => undefined }],
        ['headers', { headers: new Headers({ 'x-app': 'rdl' }) }],
      ] as const) {
        const target = `${uniqueFolder('unclonable')}.bin`;
        const terminated: boolean[] = [];
        const worker = () => {
          const made = new Worker(new URL('../../src/worker/downloadWorker.ts', import.meta.url), {
            type: 'module',
          });
          const terminate = made.terminate.bind(made);
          made.terminate = () => {
            terminated.push(true);
            terminate();
          };
          return made;
        };
        const options = { url: `${files}/files/small.bin`, target, ...extra } as unknown as DownloadOptions;
        const download = createWorkerDownload(options, { worker });
        download.start();
        const error = await download.result.catch((e: unknown) => e);
        expect(isDownloadError(error) && [error.code, error.failure]).toEqual([
          'ERR_INVALID_INPUT',
          {
            _tag: 'InvalidInput',
            field,
            message: expect.stringMatching(/^cannot reach the download worker: /),
          },
        ]);
        expect(terminated).toEqual([true]);
        expect(added).toBeGreaterThan(0);
        expect(listening.size).toBe(0);
        // createDownload, which makes that worker download in a page, answers the same, never a throw.
        const again = createDownload(options);
        expect(isDownloadError(await again.result.catch((e: unknown) => e))).toBe(true);
        expect(await opfsFileExists(`${target}.part`)).toBe(false);
      }
      // Options that cannot be read (a getter that throws) are refused too, before any worker is made.
      const unreadable = Object.defineProperty({ url: `${files}/files/small.bin` }, 'target', {
        enumerable: true,
        get: () => {
          throw new Error('no target');
        },
      }) as unknown as DownloadOptions;
      const refused = await createDownload(unreadable).result.catch((e: unknown) => e);
      expect(isDownloadError(refused) && refused.failure).toMatchObject({
        _tag: 'InvalidInput',
        field: 'options',
      });
      expect(await (await fetch(`${files}/_requests`)).json()).toEqual([]);
    } finally {
      add.mockRestore();
      remove.mockRestore();
    }
  });

  it('R30: a Headers for headers is refused in the page too (its entries are no fields: they would go unsent)', async () => {
    const download = createDownloadHere(
      {
        url: `${files}/files/small.bin`,
        target: `${uniqueFolder('headers')}.bin`,
        headers: new Headers({ 'x-app': 'rdl' }) as unknown as Record<string, string>,
      },
      { storage: new WritableStorage() },
    );
    download.start();
    const error = await download.result.catch((e: unknown) => e);
    expect(isDownloadError(error) && error.failure).toMatchObject({ _tag: 'InvalidInput', field: 'headers' });
  });

  it('R29: a download bigger than the storage estimate fails with a typed QuotaExceeded before writing', async () => {
    const folder = uniqueFolder('quota');
    const target = `${folder}/small.bin`;
    const estimate = vi.spyOn(navigator.storage, 'estimate').mockResolvedValue({ quota: 4096, usage: 1024 });
    try {
      const download = createDownloadHere(
        { url: `${files}/files/small.bin`, target },
        { storage: new WritableStorage() },
      );
      download.start();
      const error = await download.result.catch((e: unknown) => e);
      expect(isDownloadError(error) && error.code).toBe('ERR_QUOTA_EXCEEDED');
      expect(isDownloadError(error) && error.message).toMatch(/needs \d+ more bytes/);
    } finally {
      estimate.mockRestore();
      await removeOpfsEntry(folder);
    }
  });

  it('R29: a write refused by the browser for quota is a typed QuotaExceeded, not an I/O error', async () => {
    const { toStorageFailure } = await import('../../src/storageFailure.js');
    expect(toStorageFailure(new DOMException('full', 'QuotaExceededError'), 'a.bin')._tag).toBe(
      'QuotaExceeded',
    );
    expect(toStorageFailure(new DOMException('locked', 'NoModificationAllowedError'), 'a.bin')).toEqual({
      _tag: 'TargetBusy',
      target: 'a.bin',
    });
    expect(toStorageFailure(new DOMException('no', 'NotAllowedError'), 'a.bin')._tag).toBe(
      'PermissionDenied',
    );
  });

  it('R23: a second open of an open target fails with TargetBusy through the Web Lock', async () => {
    const storage = new WritableStorage();
    const folder = uniqueFolder('lock');
    const first = await storage.open(`${folder}/a.bin`)();
    expect(first._tag).toBe('Right');
    expect(await storage.open(`${folder}/a.bin`)()).toEqual({
      _tag: 'Left',
      left: { _tag: 'TargetBusy', target: `${folder}/a.bin` },
    });
    if (first._tag === 'Right') await first.right.close()();
    const again = await storage.open(`${folder}/a.bin`)();
    expect(again._tag).toBe('Right');
    if (again._tag === 'Right') await again.right.discard()();
    await removeOpfsEntry(folder);
  });
});

describe('createDownload over a hostile checkpoint record', () => {
  it('R22: a checkpoint record that is no text and whose String() throws ({ toString: 0 }) is reported torn, and the download starts afresh', async () => {
    const target = `${uniqueFolder('hostile-checkpoint')}.bin`;
    // The checkpoint database and its store exist; then the record is planted as a tamperer (or a bug) would.
    await new IdbCheckpointStore().save(target, 'warm-up')();
    const db = await openDB('rdl');
    await db.put('checkpoints', { toString: 0 }, target);
    db.close();
    expect(await savedDownload(target)).toBeNull();
    const download = createDownload({ url: `${files}/files/small.bin`, target, computeSha256: true });
    const notices: string[] = [];
    download.subscribe((event) => {
      if (event.type === 'notice') notices.push(event.code);
    });
    download.start();
    expect((await download.result).sha256).toBe(await sha256(SMALL));
    expect(notices).toContain('CHECKPOINT_INVALID');
    expect(new Uint8Array(await (await getDownloadedFile(target)).arrayBuffer())).toEqual(SMALL);
    await removeDownloadedFile(target);
  });
});

describe('createWorkerDownload when its worker dies', () => {
  it('R29: the worker terminated mid-download: result rejects with a typed ERR_IO and the state is failed', async () => {
    const control = (body: object) =>
      fetch(`${files}/_control`, { method: 'POST', body: JSON.stringify(body) });
    await control({ reset: true, holdAt: 256 * 1024 });
    const target = `${uniqueFolder('dies')}.bin`;
    let worker: Worker | null = null;
    const download = createWorkerDownload(
      { url: `${files}/files/small.bin`, target, writeBufferBytes: 64 * 1024 },
      {
        worker: () => {
          worker = new Worker(new URL('../../src/worker/downloadWorker.ts', import.meta.url), {
            type: 'module',
          });
          return worker;
        },
      },
    );
    const downloading = new Promise<void>((resolve) => {
      download.subscribe((event) => {
        if (event.type === 'progress' && event.progress.bytes > 0) resolve();
      });
    });
    download.start();
    await downloading;
    (worker as Worker | null)?.terminate();
    const error = await download.result.catch((e: unknown) => e);
    expect(isDownloadError(error) && error.code).toBe('ERR_IO');
    expect(isDownloadError(error) && error.message).toMatch(/the download worker ended$/);
    expect(download.getSnapshot().state).toBe('failed');
    await control({ reset: true });
    await removeOpfsEntry(`${target}.part`);
  });
});

describe('createWorkerDownload with the caller’s AbortSignal', () => {
  it('R24: an abort pauses the worker’s download, keeps its bytes, and rejects with ERR_ABORTED and the reason', async () => {
    const control = (body: object) =>
      fetch(`${files}/_control`, { method: 'POST', body: JSON.stringify(body) });
    await control({ reset: true, holdAt: 512 * 1024 });
    const target = `${uniqueFolder('aborted')}.bin`;
    const controller = new AbortController();
    let saved: () => void = () => {};
    const checkpointed = new Promise<void>((resolve) => {
      saved = resolve;
    });
    const download = createWorkerDownload(
      {
        url: `${files}/files/small.bin`,
        target,
        signal: controller.signal,
        checkpointIntervalMs: 20,
        writeBufferBytes: 64 * 1024,
      },
      { onCheckpoint: (bytes) => bytes > 0 && saved() },
    );
    const states: string[] = [];
    download.on('state', (event) => states.push(event.state));
    download.start();
    await checkpointed;
    const reason = new Error('the user left the page');
    controller.abort(reason);
    const error = await download.result.catch((e: unknown) => e);
    expect(isDownloadError(error) && error.code).toBe('ERR_ABORTED');
    expect((error as Error).cause).toBe(reason);
    expect(states.slice(-2)).toEqual(['pausing', 'paused']);
    const kept = await savedDownload(target);
    expect(kept?.bytes).toBeGreaterThan(0);
    await control({ reset: true });
    // What was kept is resumed by a later download of the target.
    const again = createWorkerDownload({ url: `${files}/files/small.bin`, target, computeSha256: true });
    const starts: number[] = [];
    again.on('start', (event) => starts.push(event.resumedFrom));
    expect((await again.start()).sha256).toBe(await sha256(SMALL));
    expect(starts[0]).toBeGreaterThan(0);
    await removeDownloadedFile(target);
  });
});

describe('segments in Chromium', () => {
  const control = (body: object) =>
    fetch(`${files}/_control`, { method: 'POST', body: JSON.stringify(body) });
  const dataGets = async (): Promise<{ method: string; range: string | null; ifMatch: string | null }[]> =>
    (
      (await (await fetch(`${files}/_requests`)).json()) as {
        method: string;
        path: string;
        range: string | null;
        ifMatch: string | null;
      }[]
    ).filter((r) => r.path === '/files/small.bin' && r.method !== 'HEAD');
  /** The most connections the download's progress reported. */
  const mostConnections = (download: ReturnType<typeof createDownload>): (() => number) => {
    let most = 0;
    download.subscribe((event) => {
      if (event.type === 'progress') most = Math.max(most, event.progress.connections);
    });
    return () => most;
  };

  it('R41, R42: a worker download on 4 connections fetches disjoint ranges (cross-origin: no If-Match, no preflight) and the file is whole', async () => {
    // Each response paced on its own, as a per-connection limit does: more connections are more speed.
    await control({ reset: true, bytesPerTick: 16 * 1024, tickMs: 10 });
    const target = `${uniqueFolder('segments')}.bin`;
    const download = createDownload({
      url: `${files}/files/small.bin`,
      target,
      computeSha256: true,
      connections: 4,
      minSegmentBytes: 64 * 1024,
    });
    const most = mostConnections(download);
    download.start();
    const result = await download.result;
    expect(result.sha256).toBe(await sha256(SMALL));
    expect(new Uint8Array(await (await getDownloadedFile(target)).arrayBuffer())).toEqual(SMALL);
    expect(most()).toBe(4);
    const gets = await dataGets();
    expect(gets.every((r) => r.method === 'GET')).toBe(true);
    // A preflight would show as OPTIONS; If-Match would need one.
    expect(gets.map((r) => r.ifMatch)).toEqual(gets.map(() => null));
    // The first request may ask for the whole file (no Range): it starts at 0.
    const starts = gets.map((r) => (r.range === null ? 0 : Number(/^bytes=(\d+)-/.exec(r.range)?.[1])));
    expect(new Set(starts).size).toBe(gets.length);
    expect(Math.min(...starts)).toBe(0);
    await removeDownloadedFile(target);
  });

  it('R41: the file changes while segments fetch it (cross-origin, each 206 validated): no byte of the old version is kept', async () => {
    await control({ reset: true, bytesPerTick: 8 * 1024, tickMs: 10 });
    const target = `${uniqueFolder('changed')}.bin`;
    const download = createDownload({
      url: `${files}/files/small.bin`,
      target,
      computeSha256: true,
      connections: 4,
      minSegmentBytes: 64 * 1024,
      checkpointIntervalMs: 20,
    });
    let partWay: () => void = () => {};
    const reached = new Promise<void>((resolve) => {
      partWay = resolve;
    });
    const restarts: string[] = [];
    download.subscribe((event) => {
      if (event.type === 'progress' && event.progress.bytes >= 256 * 1024) partWay();
      if (event.type === 'restart') restarts.push(event.reason);
    });
    download.start();
    await reached;
    // A new version, and every connection cut: the next requests get it.
    await control({ replace: { name: 'small.bin', seed: 8 }, drop: true });
    const changed = patternBytes(SMALL.length, 8);
    try {
      const result = await download.result;
      expect(result.sha256).toBe(await sha256(changed));
      // It saw the change and began again, from nothing of the old version.
      expect(restarts.length).toBeGreaterThan(0);
      expect(new Uint8Array(await (await getDownloadedFile(target)).arrayBuffer())).toEqual(changed);
    } finally {
      await control({ reset: true, replace: { name: 'small.bin', seed: 7 } });
      await removeDownloadedFile(target).catch(() => {});
    }
  });

  it('R43: no more than the browser’s 6 connections per host, whatever count is asked', async () => {
    await control({ reset: true, bytesPerTick: 16 * 1024, tickMs: 10 });
    const target = `${uniqueFolder('capped')}.bin`;
    const download = createDownload({
      url: `${files}/files/small.bin`,
      target,
      connections: 12,
      minSegmentBytes: 32 * 1024,
    });
    const most = mostConnections(download);
    download.start();
    expect((await download.result).bytes).toBe(SMALL.length);
    expect(most()).toBe(6);
    await removeDownloadedFile(target);
  });
});

describe('a cross-origin server that does not expose Content-Range', () => {
  const control = (body: object) =>
    fetch(`${files}/_control`, { method: 'POST', body: JSON.stringify(body) });
  const dataRequests = async (): Promise<string[]> =>
    (
      (await (await fetch(`${files}/_requests`)).json()) as {
        method: string;
        path: string;
        range: string | null;
      }[]
    )
      .filter((r) => r.path.startsWith('/files/small.bin?'))
      .map((r) => `${r.method} ${r.range ?? ''}`.trim());
  // ETag and Content-Length shown, Content-Range not: the browser hides it from the page.
  const url = `${files}/files/small.bin?expose=${encodeURIComponent('ETag, Accept-Ranges, Content-Length')}`;

  it('R4, R8: the bytes saved are thrown away for one plain GET (restart RANGE_HIDDEN), not refused as ERR_BAD_RESPONSE on every start', async () => {
    // A first run keeps bytes: held at 512 KiB, paused once a checkpoint counts some.
    await control({ reset: true, holdAt: 512 * 1024 });
    const target = `${uniqueFolder('hidden-range')}.bin`;
    let checkpointed: () => void = () => {};
    const counted = new Promise<void>((resolve) => {
      checkpointed = resolve;
    });
    const controller = new AbortController();
    const first = createWorkerDownload(
      { url, target, checkpointIntervalMs: 20, writeBufferBytes: 64 * 1024, signal: controller.signal },
      { onCheckpoint: (bytes) => bytes > 0 && checkpointed() },
    );
    first.start();
    await counted;
    // An abort pauses it, keeps its bytes and ends its worker (R24).
    controller.abort();
    const stopped = await first.result.catch((e: unknown) => e);
    expect(isDownloadError(stopped) && stopped.code).toBe('ERR_ABORTED');
    const saved = (await savedDownload(target))?.bytes ?? 0;
    expect(saved).toBeGreaterThan(0);
    await control({ reset: true });

    const second = createDownload({ url, target, computeSha256: true });
    const restarts: string[] = [];
    second.subscribe((event) => {
      if (event.type === 'restart') restarts.push(event.reason);
    });
    second.start();
    expect((await second.result).sha256).toBe(await sha256(SMALL));
    expect(restarts).toEqual(['RANGE_HIDDEN']);
    // The resume's 206 is not written; the probe again, then the whole file on one plain GET.
    expect(await dataRequests()).toEqual(['HEAD', `GET bytes=${saved}-`, 'HEAD', 'GET']);
    expect(new Uint8Array(await (await getDownloadedFile(target)).arrayBuffer())).toEqual(SMALL);
    await removeDownloadedFile(target);
  });

  it('R8, R41: segments from 0 fall back to one stream the same way', async () => {
    await control({ reset: true, bytesPerTick: 16 * 1024, tickMs: 10 });
    const target = `${uniqueFolder('hidden-range-segments')}.bin`;
    const download = createDownload({
      url,
      target,
      computeSha256: true,
      connections: 4,
      minSegmentBytes: 64 * 1024,
    });
    const restarts: string[] = [];
    download.subscribe((event) => {
      if (event.type === 'restart') restarts.push(event.reason);
    });
    download.start();
    expect((await download.result).sha256).toBe(await sha256(SMALL));
    expect(restarts).toEqual(['RANGE_HIDDEN']);
    const log = await dataRequests();
    expect(log.some((request) => /^GET bytes=\d+-\d+$/.test(request))).toBe(true);
    expect(log.at(-1)).toBe('GET');
    await removeDownloadedFile(target);
  });
});

describe('a rate limit in Chromium', () => {
  it('R44: the worker download reads under maxBytesPerSecond; setRateLimit reaches the worker, and a bad value throws in the page', async () => {
    await fetch(`${files}/_control`, { method: 'POST', body: JSON.stringify({ reset: true }) });
    const medium = patternBytes(8 * 1048576, 9);
    const target = `${uniqueFolder('limited')}.bin`;
    // 64 KiB a second: the 8 MiB would take some 128 s, more than the test's timeout, so the download ends in time
    // only once the limit is lifted in the worker.
    const limit = 64 * 1024;
    const download = createDownload({
      url: `${files}/files/medium.bin`,
      target,
      computeSha256: true,
      maxBytesPerSecond: limit,
    });
    expect(() => download.setRateLimit(0)).toThrow(/maxBytesPerSecond/);
    // Waits on the download's own progress, never on a timer: its first two reads. A read brings all the browser
    // buffered meanwhile (256 KiB, then 2 MiB here), so R44 bounds what came before the last read: the rate over
    // the time until that read, plus the burst (a quarter second of it). A bound from above: a busy machine only
    // makes the time longer and the bytes fewer.
    const started = performance.now();
    const reads: { readonly bytes: number; readonly at: number }[] = [];
    const twoReads = new Promise<void>((resolve) => {
      download.subscribe((event) => {
        if (event.type === 'done' || event.type === 'error') resolve();
        if (event.type !== 'progress' || event.progress.bytes === (reads.at(-1)?.bytes ?? 0)) return;
        reads.push({ bytes: event.progress.bytes, at: performance.now() - started });
        if (reads.length === 2) resolve();
      });
    });
    download.start();
    await twoReads;
    expect(download.getSnapshot().state).not.toBe('done');
    const [first, second] = reads;
    expect(second).toBeDefined();
    expect(first!.bytes).toBeLessThanOrEqual((limit * second!.at) / 1000 + limit / 4);
    download.setRateLimit(null);
    // Lifted in the worker, the rest comes within the timeout.
    const result = await download.result;
    expect(result.sha256).toBe(await sha256(medium));
    await removeDownloadedFile(target);
  });
});
