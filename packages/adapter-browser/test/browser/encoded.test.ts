import { isDownloadError } from '@rdl/core';
import { describe, expect, inject, it } from 'vitest';
import './provided.js';
import type { LoggedRequest } from '../../demo/requestLog.js';
import { createDownload, getDownloadedFile, removeDownloadedFile } from '../../src/index.js';
import { opfsFileExists, uniqueFolder } from './opfsFiles.js';

/**
 * `fetch` decodes a Content-Encoding by itself, and a page is shown the header only when a cross-origin server
 * exposes it (R5). What rdl saves then is the decoded file, or nothing: never decoded bytes counted at the offsets
 * of the encoded ones.
 */

const files = inject('filesOrigin');
const TEXT = new TextEncoder().encode(
  Array.from({ length: 12_000 }, (_, i) => `line ${i} ${(i * 7919) % 10007} the quick brown fox\n`).join(''),
);

const control = (body: object) => fetch(`${files}/_control`, { method: 'POST', body: JSON.stringify(body) });
const requests = async (): Promise<LoggedRequest[]> =>
  (await (await fetch(`${files}/_requests`)).json()) as LoggedRequest[];

const run = async (url: string, target: string) => {
  const download = createDownload({ url, target, connections: 1 });
  download.start();
  return download.result.then(
    (result) => ({ result, error: null }),
    (error: unknown) => ({ result: null, error }),
  );
};

describe('encoded answers in Chromium (R5)', () => {
  it('R5, R36: a stored-gzip file whose Content-Encoding the page is not shown fails ERR_BAD_RESPONSE, never a done file of decoded bytes', async () => {
    await control({ reset: true });
    const target = `${uniqueFolder('hidden-gzip')}.bin`;
    const { result, error } = await run(`${files}/gzipped/text.txt?hide=1`, target);
    expect(result).toBeNull();
    expect(isDownloadError(error) && error.code).toBe('ERR_BAD_RESPONSE');
    expect(isDownloadError(error) && error.message).toMatch(
      /decoded a Content-Encoding this page is not shown/,
    );
    expect(await opfsFileExists(target)).toBe(false);
    // Asked once: the answer is refused as it is, not asked again eight times.
    expect((await requests()).filter((r) => r.method === 'GET')).toHaveLength(1);
  });

  it('R5: a stored-gzip file whose Content-Encoding is shown is saved decoded, whole', async () => {
    await control({ reset: true });
    const target = `${uniqueFolder('shown-gzip')}.bin`;
    const { result, error } = await run(`${files}/gzipped/text.txt`, target);
    expect(error).toBeNull();
    expect(result?.bytes).toBe(TEXT.length);
    expect(new Uint8Array(await (await getDownloadedFile(target)).arrayBuffer())).toEqual(TEXT);
    await removeDownloadedFile(target);
  });
});
