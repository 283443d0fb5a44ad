import type { HttpPort } from '@rdl/core';
import { isDownloadError } from '@rdl/core';
import { describe, expect, inject, it, vi } from 'vitest';
import './provided.js';
import { FetchHttp } from '../../src/FetchHttp.js';
import { createDownloadHere } from '../../src/index.js';
import { WritableStorage } from '../../src/WritableStorage.js';
import { opfsFileExists, removeOpfsEntry, uniqueFolder } from './opfsFiles.js';

const files = inject('filesOrigin');

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
