import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeCheckpoint } from '@rdl/core/rules';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { checkpointPathOf } from '../src/FileCheckpointStore.js';
import { generateBytes, sha256 } from './support/faultServer.js';
import { useFaultServer } from './support/faultServerFixture.js';
import { completes, fileSha256, pauseAt, restartReasons } from './support/harness.js';
import { listDir, useTempDir } from './support/tempDir.js';

const size = 2 * 1024 * 1024;
const body = generateBytes(size, 11);
const server = useFaultServer();
const dir = useTempDir();

describe('validators and the first request, against the fault server', () => {
  it('R1: the checkpoint keeps the ETag verbatim, the Last-Modified and the total length', async () => {
    const resource = server.serve('/r1', body);
    const target = join(dir(), 'out.bin');
    server.fail({ kind: 'stall', at: 600_000 }, { method: 'GET' });
    await pauseAt({ url: server.url('/r1'), target }, 600_000);
    const stored = decodeCheckpoint(await readFile(checkpointPathOf(target), 'utf8'));
    if (E.isLeft(stored)) throw new Error(stored.left);
    expect(stored.right.validators.etag).toBe(resource.etag);
    expect(stored.right.validators.lastModified).toBe(resource.lastModified);
    expect(stored.right.totalLength).toBe(size);
    expect(stored.right.url).toBe(server.url('/r1'));
    await completes({ url: server.url('/r1'), target });
    expect(await fileSha256(target)).toBe(sha256(body));
    expect(await listDir(dir())).toEqual(['out.bin']);
  });

  it('R2: a weak ETag is never sent in If-Range or If-Match, and alone it does not allow a resume', async () => {
    server.serve('/r2', body, { etag: 'W/"weak-1"', lastModified: null });
    const target = join(dir(), 'out.bin');
    server.fail({ kind: 'stall', at: 500_000 }, { method: 'GET' });
    await pauseAt({ url: server.url('/r2'), target }, 500_000);
    const second = await completes({ url: server.url('/r2'), target });
    for (const request of server.requests) {
      expect(request.headers['if-range']).toBeUndefined();
      expect(request.headers['if-match']).toBeUndefined();
    }
    expect(restartReasons(second.events)).toContain('NO_STRONG_VALIDATOR');
    expect(server.dataRangeStarts().at(-1)).toBe(0);
    expect(await fileSha256(target)).toBe(sha256(body));
    expect(await listDir(dir())).toEqual(['out.bin']);
  });

  it('R3: a Last-Modified less than 60 s older than Date is weak: no resume on it', async () => {
    server.serve('/r3', body, { etag: null, lastModified: new Date(Date.now() - 5_000).toUTCString() });
    const target = join(dir(), 'out.bin');
    server.fail({ kind: 'stall', at: 500_000 }, { method: 'GET' });
    await pauseAt({ url: server.url('/r3'), target }, 500_000);
    const second = await completes({ url: server.url('/r3'), target });
    expect(restartReasons(second.events)).toContain('NO_STRONG_VALIDATOR');
    expect(server.requests.every((request) => request.headers['if-range'] === undefined)).toBe(true);
    expect(await fileSha256(target)).toBe(sha256(body));
  });

  it('R3: an old Last-Modified is strong: the resume sends it in If-Range', async () => {
    const resource = server.serve('/r3old', body, { etag: null });
    const target = join(dir(), 'out.bin');
    server.fail({ kind: 'stall', at: 500_000 }, { method: 'GET' });
    await pauseAt({ url: server.url('/r3old'), target }, 500_000);
    const second = await completes({ url: server.url('/r3old'), target });
    expect(restartReasons(second.events)).toEqual([]);
    const resume = server.gets().at(-1);
    expect(resume?.headers['if-range']).toBe(resource.lastModified);
    expect(server.dataRangeStarts().at(-1)).toBeGreaterThanOrEqual(500_000);
    expect(await fileSha256(target)).toBe(sha256(body));
  });

  it('R4: with no validator at all a later start restarts from byte 0, says so, and never appends', async () => {
    server.serve('/r4', body, { etag: null, lastModified: null });
    const target = join(dir(), 'out.bin');
    server.fail({ kind: 'stall', at: 700_000 }, { method: 'GET' });
    await pauseAt({ url: server.url('/r4'), target }, 700_000);
    const second = await completes({ url: server.url('/r4'), target });
    expect(restartReasons(second.events)).toEqual(['NO_STRONG_VALIDATOR']);
    expect(server.dataRangeStarts().at(-1)).toBe(0);
    expect(await fileSha256(target)).toBe(sha256(body));
    expect(await listDir(dir())).toEqual(['out.bin']);
  });

  it('R5: every GET sends Accept-Encoding: identity', async () => {
    server.serve('/r5', body, { headStatus: 405 });
    const target = join(dir(), 'out.bin');
    await completes({ url: server.url('/r5'), target });
    expect(server.gets().length).toBeGreaterThanOrEqual(2);
    for (const request of server.gets()) expect(request.headers['accept-encoding']).toBe('identity');
  });

  it('R5: a gzip answer to a resume is not appended: the download restarts and the file is the identity bytes', async () => {
    server.serve('/r5gz', body);
    const target = join(dir(), 'out.bin');
    server.fail({ kind: 'stall', at: 400_000 }, { method: 'GET' });
    await pauseAt({ url: server.url('/r5gz'), target }, 400_000);
    server.fail({ kind: 'gzip' }, { method: 'GET' });
    const second = await completes({ url: server.url('/r5gz'), target });
    // A gzip 200 to a ranged GET is both encoded (R5) and range-ignoring (R7): either reason restarts from 0.
    expect(restartReasons(second.events).length).toBeGreaterThan(0);
    expect(['CONTENT_ENCODED', 'RANGE_IGNORED']).toContain(restartReasons(second.events)[0]);
    expect(await fileSha256(target)).toBe(sha256(body));
    expect(await listDir(dir())).toEqual(['out.bin']);
  });

  it('R6: a resume sends Range: bytes=N- with If-Range carrying the strong ETag', async () => {
    const resource = server.serve('/r6', body);
    const target = join(dir(), 'out.bin');
    server.fail({ kind: 'stall', at: 900_000 }, { method: 'GET' });
    await pauseAt({ url: server.url('/r6'), target }, 900_000);
    await completes({ url: server.url('/r6'), target });
    const resume = server.gets().at(-1);
    expect(resume?.headers.range).toMatch(/^bytes=\d+-$/);
    expect(resume?.headers['if-range']).toBe(resource.etag);
    expect(server.dataRangeStarts().at(-1)).toBe(900_000);
    expect(await fileSha256(target)).toBe(sha256(body));
  });

  it('R13: a 206 whose ETag differs from the checkpoint’s restarts against the new version', async () => {
    server.serve('/r13', body);
    const target = join(dir(), 'out.bin');
    server.fail({ kind: 'stall', at: 300_000 }, { method: 'GET' });
    await pauseAt({ url: server.url('/r13'), target }, 300_000);
    server.fail({ kind: 'foreignEtag' }, { method: 'GET' });
    const second = await completes({ url: server.url('/r13'), target });
    expect(restartReasons(second.events)).toContain('RESOURCE_CHANGED');
    expect(await fileSha256(target)).toBe(sha256(body));
    expect(await listDir(dir())).toEqual(['out.bin']);
  });
});
