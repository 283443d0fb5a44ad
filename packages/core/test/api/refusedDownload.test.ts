import { describe, expect, it } from 'vitest';
import { refusedDownload } from '../../src/api/refusedDownload.js';
import { isDownloadError } from '../../src/model/DownloadError.js';
import type { DownloadEvent } from '../../src/model/download.js';

describe('refusedDownload', () => {
  const failure = { _tag: 'InvalidInput', field: 'target', message: 'is a folder' } as const;

  it('R30: is failed from the start, and result has rejected with the typed error', async () => {
    const download = refusedDownload(failure);
    expect(download.getSnapshot().state).toBe('failed');
    const error = await download.result.then(
      () => null,
      (e: unknown) => e,
    );
    expect(isDownloadError(error) && error.code).toBe('ERR_INVALID_INPUT');
    expect(isDownloadError(error) && error.message).toBe('invalid target: is a folder');
  });

  it('R29: start() reports the failure to subscribers once, as a failed state then an error event', () => {
    const download = refusedDownload(failure);
    const seen: DownloadEvent[] = [];
    const late: DownloadEvent[] = [];
    download.subscribe((event) => seen.push(event));
    const unsubscribe = download.subscribe((event) => late.push(event));
    unsubscribe();
    download.start();
    download.start();
    download.pause();
    download.resume();
    download.cancel();
    expect(seen.map((event) => event.type)).toEqual(['state', 'error']);
    expect(seen[0]).toEqual({ type: 'state', state: 'failed' });
    const last = seen[1];
    expect(last?.type === 'error' && last.error.code).toBe('ERR_INVALID_INPUT');
    expect(late).toEqual([]);
  });
});
