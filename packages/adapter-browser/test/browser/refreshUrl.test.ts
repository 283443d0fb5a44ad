import { isDownloadError, type RefreshUrl } from '@rdl/core';
import { describe, expect, inject, it } from 'vitest';
import './provided.js';
import { patternBytes } from '../../demo/patternBytes.js';
import { createWorkerDownload, removeDownloadedFile } from '../../src/index.js';
import { removeOpfsEntry, uniqueFolder } from './opfsFiles.js';

const files = inject('filesOrigin');
const SMALL = patternBytes(1048576 + 17, 7);

const sha256 = async (bytes: BufferSource): Promise<string> =>
  [...new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))]
    .map((b) => b.toString(16).padStart(2, '0'))
    .join('');

const control = (body: object) => fetch(`${files}/_control`, { method: 'POST', body: JSON.stringify(body) });

/**
 * A download in a worker whose signature expires once bytes are saved (a 403 to `sig=1`; `sig=2` is valid), the
 * hook `refreshUrl` in the page; with the bytes its first checkpoint counted. `stallTimeoutMs` is long: a worker left waiting for an answer would say, after
 * it, that the hook `did not answer within 20 s`, which is the failure these tests tell apart.
 */
const expireMidDownload = async (name: string, refreshUrl: RefreshUrl) => {
  await control({ reset: true, minSignature: 1, bytesPerTick: 64 * 1024, tickMs: 5, holdAt: 512 * 1024 });
  const target = `${uniqueFolder(name)}.bin`;
  let checkpointed = Number.POSITIVE_INFINITY;
  let sawBytes: () => void = () => {};
  const bytesSaved = new Promise<void>((resolve) => {
    sawBytes = resolve;
  });
  const download = createWorkerDownload(
    {
      url: `${files}/signed/small.bin?sig=1`,
      target,
      computeSha256: true,
      checkpointIntervalMs: 20,
      writeBufferBytes: 64 * 1024,
      stallTimeoutMs: 20_000,
      retry: { minDelayMs: 10, maxDelayMs: 100 },
      refreshUrl,
    },
    {
      onCheckpoint: (bytes) => {
        if (bytes > 0 && checkpointed === Number.POSITIVE_INFINITY) {
          checkpointed = bytes;
          sawBytes();
        }
      },
    },
  );
  download.start();
  await bytesSaved;
  // The signature expires and the connection drops: the next GET with sig=1 is refused with a 403.
  await control({ minSignature: 2, release: true, drop: true });
  const outcome = await download.result.catch((error: unknown) => error);
  return { target, outcome, checkpointed };
};

const failureOf = (outcome: unknown) =>
  isDownloadError(outcome) ? { code: outcome.code, message: outcome.message } : { thrown: String(outcome) };

/** What a failing download leaves (a part file; its checkpoint is in IndexedDB under another name). */
const cleanUp = async (target: string) => {
  await control({ reset: true });
  await removeOpfsEntry(`${target}.part`);
  await removeDownloadedFile(target);
};

describe('createDownload in a worker, with a refreshUrl hook in the page', () => {
  it('R18: an expired signature after bytes were written asks the page hook for a new URL and goes on', async () => {
    const asked: { url: string; status: number }[] = [];
    const { target, outcome, checkpointed } = await expireMidDownload('signed', async (failed) => {
      asked.push(failed);
      return { url: `${files}/signed/small.bin?sig=2` };
    });
    expect(outcome).toMatchObject({ sha256: await sha256(SMALL) });
    expect(asked).toEqual([{ url: `${files}/signed/small.bin?sig=1`, status: 403 }]);
    const log = (await (await fetch(`${files}/_requests`)).json()) as {
      method: string;
      path: string;
      range: string | null;
    }[];
    const renewed = log.find((r) => r.method === 'GET' && r.path.includes('sig=2'));
    // It goes on from the checkpoint, not from 0 (R26).
    expect(Number(/^bytes=(\d+)-$/.exec(renewed?.range ?? '')?.[1])).toBeGreaterThanOrEqual(checkpointed);
    await removeDownloadedFile(target);
  });
});

describe('a refreshUrl hook in the page that fails or answers oddly (R18, R29)', () => {
  it('R18, R29: a hook that rejects fails the download with the first line of its message, as in Node', async () => {
    const { target, outcome } = await expireMidDownload('rejects', async () => {
      throw new Error('signer down: 503\n    at sign (signer.js:1)');
    });
    expect(failureOf(outcome)).toEqual({
      code: 'ERR_REFRESH_FAILED',
      message: 'the refreshUrl hook failed: signer down: 503',
    });
    await cleanUp(target);
  });

  it('R18, R29: a hook that throws at once fails the download with its message, not the worker left waiting', async () => {
    const { target, outcome } = await expireMidDownload('throws', () => {
      throw new Error('no credentials');
    });
    expect(failureOf(outcome)).toEqual({
      code: 'ERR_REFRESH_FAILED',
      message: 'the refreshUrl hook failed: no credentials',
    });
    await cleanUp(target);
  });

  it('R18: a hook that answers no URL ends ERR_URL_EXPIRED, as in Node', async () => {
    const { target, outcome } = await expireMidDownload('no-url', async () => null as never);
    expect(failureOf(outcome)).toMatchObject({ code: 'ERR_URL_EXPIRED' });
    await cleanUp(target);
  });

  it('R18: an answer structured clone cannot copy (an object with a method) is read for its URLs, and the download goes on', async () => {
    const { target, outcome } = await expireMidDownload('with-method', async () => ({
      url: `${files}/signed/small.bin?sig=2`,
      toString: () => 'the signed URL',
    }));
    expect(outcome).toMatchObject({ bytes: SMALL.length, sha256: await sha256(SMALL) });
    await cleanUp(target);
  });
});
