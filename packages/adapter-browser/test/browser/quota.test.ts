/// <reference types="@vitest/browser-playwright" />
import type { HttpPort } from '@rdl/core';
import { isDownloadError } from '@rdl/core';
import { describe, expect, inject, it, vi } from 'vitest';
import { cdp } from 'vitest/browser';
import './provided.js';
import { patternBytes } from '../../demo/patternBytes.js';
import { FetchHttp } from '../../src/FetchHttp.js';
import { createDownload, createDownloadHere, getDownloadedFile, savedDownload } from '../../src/index.js';
import { WritableStorage } from '../../src/WritableStorage.js';
import { RemoteStorage } from '../../src/worker/storageRpc.js';
import { opfsFileExists, readOpfsFile, removeOpfsEntry, uniqueFolder } from './opfsFiles.js';

const files = inject('filesOrigin');
/** `/files/medium.bin` of the first server (globalSetup.ts). */
const MEDIUM = patternBytes(8 * 1048576, 9);

const sha256 = async (bytes: BufferSource): Promise<string> =>
  [...new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))]
    .map((b) => b.toString(16).padStart(2, '0'))
    .join('');

/**
 * Sets the quota of this page's origin through the DevTools protocol so that `room` bytes are left over what the
 * origin holds now (the test files before this one leave OPFS files and databases behind); without `room`, back to
 * the browser's own.
 */
const setQuota = async (room?: number): Promise<void> => {
  const usage = room === undefined ? 0 : ((await navigator.storage.estimate()).usage ?? 0);
  await cdp().send('Storage.overrideQuotaForOrigin', {
    origin: location.origin,
    ...(room === undefined ? {} : { quotaSize: usage + room }),
  });
};

/** The data requests the first server saw of `medium.bin`, each as the byte it started at. */
const mediumStarts = async (): Promise<number[]> =>
  (
    (await (await fetch(`${files}/_requests`)).json()) as {
      method: string;
      path: string;
      range: string | null;
    }[]
  )
    .filter((r) => r.path === '/files/medium.bin' && r.method === 'GET')
    .map((r) => (r.range === null ? 0 : Number(/^bytes=(\d+)-/.exec(r.range)?.[1])));

/** FetchHttp, with each request's method and Range written down. */
const recordingHttp = (): { readonly http: HttpPort; readonly seen: string[] } => {
  const inner = new FetchHttp();
  const seen: string[] = [];
  return {
    seen,
    http: {
      request: (request) => {
        seen.push(`${request.method} ${request.headers.range ?? ''}`.trim());
        return inner.request(request);
      },
    },
  };
};

describe('the origin quota, before the data request (R40)', () => {
  it('R40: a file bigger than the quota left fails with QuotaExceeded after the probe, before any data GET', async () => {
    const folder = uniqueFolder('quota40');
    const target = `${folder}/small.bin`;
    const estimate = vi.spyOn(navigator.storage, 'estimate').mockResolvedValue({ quota: 4096, usage: 1024 });
    const { http, seen } = recordingHttp();
    try {
      const download = createDownloadHere(
        { url: `${files}/files/small.bin`, target },
        { http, storage: new WritableStorage() },
      );
      download.start();
      const error = await download.result.catch((e: unknown) => e);
      expect(isDownloadError(error) && error.code).toBe('ERR_QUOTA_EXCEEDED');
      expect(isDownloadError(error) && error.message).toBe(
        `${target} needs ${1048576 + 17} more bytes, the origin has 3072 left`.replace(
          /^/,
          'storage quota exceeded: ',
        ),
      );
      expect(seen).toEqual(['HEAD']);
      expect(await opfsFileExists(target)).toBe(false);
    } finally {
      estimate.mockRestore();
      await removeOpfsEntry(folder);
    }
  });

  it('R40: a file that fits is downloaded as usual, the estimate asked before its GET', async () => {
    const folder = uniqueFolder('quota40ok');
    const target = `${folder}/small.bin`;
    const { http, seen } = recordingHttp();
    const estimate = vi.spyOn(navigator.storage, 'estimate');
    try {
      const download = createDownloadHere(
        { url: `${files}/files/small.bin`, target },
        { http, storage: new WritableStorage() },
      );
      download.start();
      expect((await download.result).bytes).toBe(1048576 + 17);
      expect(seen).toEqual(['HEAD', 'GET']);
      expect(estimate).toHaveBeenCalled();
    } finally {
      estimate.mockRestore();
      await removeOpfsEntry(folder);
    }
  });
});

describe('the origin quota, used up while writing (R19, R40)', () => {
  const control = (body: object) =>
    fetch(`${files}/_control`, { method: 'POST', body: JSON.stringify(body) });

  it('R19, R40: an OPFS download the quota cuts short fails ERR_QUOTA_EXCEEDED, never done with a short file; with room again it resumes to the right file', async () => {
    await control({ reset: true });
    const target = `${uniqueFolder('quota-full')}.bin`;
    // The origin may hold 3 MiB more, the file is 8 MiB. Chromium's estimate does not tell it (R40 lets the GET go):
    // the writes are what meet the quota.
    await setQuota(3 * 1048576);
    try {
      const first = createDownload({
        url: `${files}/files/medium.bin`,
        target,
        expectedSha256: await sha256(MEDIUM),
        checkpointIntervalMs: 0,
      });
      first.start();
      const error = await first.result.catch((e: unknown) => e);
      expect(isDownloadError(error) && error.code).toBe('ERR_QUOTA_EXCEEDED');
      expect(await getDownloadedFile(target).catch(() => null)).toBeNull();
      const saved = await savedDownload(target);
      expect(saved?.bytes).toBeGreaterThan(0);
      expect(saved?.bytes).toBeLessThan(3 * 1048576);
      // Compared as digests: a deep equality of megabytes is slow in the test runner.
      const kept = (await readOpfsFile(`${target}.part`))?.slice(0, saved?.bytes) ?? new Uint8Array();
      expect(await sha256(kept)).toBe(await sha256(MEDIUM.subarray(0, saved?.bytes)));
    } finally {
      await setQuota();
    }
    await control({ reset: true });
    const second = createDownload({ url: `${files}/files/medium.bin`, target, computeSha256: true });
    second.start();
    expect((await second.result).sha256).toBe(await sha256(MEDIUM));
    expect(await sha256(await (await getDownloadedFile(target)).arrayBuffer())).toBe(await sha256(MEDIUM));
    expect(Math.min(...(await mediumStarts()))).toBeGreaterThan(0);
    await removeOpfsEntry(target);
  });

  it('R40: a sync-handle part file answers QuotaExceeded to a write or a truncate the quota refuses, which Chromium does not throw', async () => {
    const worker = new Worker(new URL('../../src/worker/storageWorker.ts', import.meta.url), {
      type: 'module',
    });
    const storage = new RemoteStorage(worker);
    const folder = uniqueFolder('quota-sync');
    const quotaExceeded = { _tag: 'Left', left: { _tag: 'QuotaExceeded', message: expect.any(String) } };
    await setQuota(3 * 1048576);
    try {
      const opened = await storage.open(`${folder}/a.bin`)();
      if (opened._tag === 'Left') throw new Error(opened.left._tag);
      const part = opened.right;
      expect(await part.truncate(8 * 1048576)()).toEqual(quotaExceeded);
      expect(await part.write(0, MEDIUM.subarray(0, 4 * 1048576))()).toEqual(quotaExceeded);
      await part.discard()();
    } finally {
      await setQuota();
      worker.terminate();
      await removeOpfsEntry(folder);
    }
  });

  it('R19, R40: the same under WritableStorage: ERR_QUOTA_EXCEEDED and no file', async () => {
    await control({ reset: true });
    const target = `${uniqueFolder('quota-writable')}.bin`;
    await setQuota(3 * 1048576);
    try {
      const download = createDownloadHere(
        { url: `${files}/files/medium.bin`, target, expectedSha256: await sha256(MEDIUM) },
        { storage: new WritableStorage() },
      );
      download.start();
      const error = await download.result.catch((e: unknown) => e);
      expect(isDownloadError(error) && error.code).toBe('ERR_QUOTA_EXCEEDED');
      expect(await getDownloadedFile(target).catch(() => null)).toBeNull();
    } finally {
      await setQuota();
      await removeOpfsEntry(target);
    }
  });
});
