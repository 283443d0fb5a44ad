import { describe, expect, inject, it } from 'vitest';
import './provided.js';
import { patternBytes } from '../../demo/patternBytes.js';
import type { LoggedRequest } from '../../demo/requestLog.js';
import { createWorkerDownload, getDownloadedFile, removeDownloadedFile } from '../../src/index.js';
import { uniqueFolder } from './opfsFiles.js';

const files = inject('filesOrigin');
const SMALL = patternBytes(1048576 + 17, 7);

const control = (body: object) => fetch(`${files}/_control`, { method: 'POST', body: JSON.stringify(body) });
const requests = async (): Promise<LoggedRequest[]> =>
  (await (await fetch(`${files}/_requests`)).json()) as LoggedRequest[];

describe('a link of this page that redirects to another origin (R6, R17)', () => {
  it('R6, R17: a resume at the other origin sends Range alone: no If-Range, no preflight', async () => {
    // The body stops at 512 KiB until the bytes are checkpointed; then the connection drops and the download resumes.
    await control({ reset: true, bytesPerTick: 64 * 1024, tickMs: 5, holdAt: 512 * 1024 });
    const target = `${uniqueFolder('redirected')}.bin`;
    const link = `${location.origin}/__redirect/${encodeURIComponent(`${files}/files/small.bin`)}`;
    let sawBytes: () => void = () => {};
    const bytesSaved = new Promise<void>((resolve) => {
      sawBytes = resolve;
    });
    const download = createWorkerDownload(
      {
        url: link,
        target,
        connections: 1,
        checkpointIntervalMs: 20,
        retry: { minDelayMs: 10, maxDelayMs: 100 },
      },
      { onCheckpoint: (bytes) => (bytes > 0 ? sawBytes() : undefined) },
    );
    download.start();
    await bytesSaved;
    await control({ release: true, drop: true });
    const result = await download.result;
    expect(result.bytes).toBe(SMALL.length);
    expect(new Uint8Array(await (await getDownloadedFile(target)).arrayBuffer())).toEqual(SMALL);
    const log = await requests();
    expect(log.filter((r) => r.method === 'OPTIONS')).toEqual([]);
    const resumes = log.filter((r) => r.method === 'GET' && r.range !== null);
    expect(resumes.length).toBeGreaterThan(0);
    for (const resume of resumes) {
      expect(resume.ifRange).toBeNull();
      expect(resume.ifMatch).toBeNull();
    }
    await removeDownloadedFile(target);
  });
});
