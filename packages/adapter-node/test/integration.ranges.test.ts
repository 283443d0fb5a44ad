import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { partPathOf } from '../src/FsStorage.js';
import { type Fault, generateBytes, sha256 } from './support/faultServer.js';
import { useFaultServer } from './support/faultServerFixture.js';
import { completes, fails, fileSha256, pauseAt, restartReasons } from './support/harness.js';
import { listDir, useTempDir } from './support/tempDir.js';

const size = 2 * 1024 * 1024;
const body = generateBytes(size, 21);
const server = useFaultServer();
const dir = useTempDir();

/** The Range header of each data GET, the probe's `bytes=0-0` left out. */
const dataRanges = (): (string | undefined)[] =>
  server
    .gets()
    .map((request) => request.headers.range as string | undefined)
    .filter((range) => range !== 'bytes=0-0');

/** Serves `body` at `path`, runs until `at` bytes are on disk, then pauses: a stopped run. */
const interrupted = async (path: string, at: number, content = body): Promise<string> => {
  server.serve(path, content);
  const target = join(dir(), 'out.bin');
  server.fail({ kind: 'stall', at }, { method: 'GET' });
  await pauseAt({ url: server.url(path), target }, at);
  return target;
};

describe('answers to a ranged request, against the fault server', () => {
  it('R7: a 200 to a ranged GET truncates and restarts from 0, never appending', async () => {
    const target = await interrupted('/r7', 500_000);
    server.fail({ kind: 'ignoreRange' }, { method: 'GET' });
    const second = await completes({ url: server.url('/r7'), target });
    expect(restartReasons(second.events)).toContain('RANGE_IGNORED');
    expect(await fileSha256(target)).toBe(sha256(body));
    expect(await listDir(dir())).toEqual(['out.bin']);
  });

  /** Runs the resume against `fault`: it must fail with BadResponse and leave the part file as it was. */
  const rejected = async (path: string, fault: Fault): Promise<void> => {
    const target = await interrupted(path, 500_000);
    const before = await readFile(partPathOf(target));
    server.fail(fault, { method: 'GET' });
    const { error } = await fails({ url: server.url(path), target });
    expect(error.code).toBe('ERR_BAD_RESPONSE');
    expect((await readFile(partPathOf(target))).equals(before)).toBe(true);
    await completes({ url: server.url(path), target });
    expect(await fileSha256(target)).toBe(sha256(body));
    expect(await listDir(dir())).toEqual(['out.bin']);
  };

  it('R8: a multipart/byteranges 206 for a single range is rejected: no byte of it written', async () => {
    await rejected('/r8m', { kind: 'multipart' });
  });

  it('R8: a 206 without Content-Range is rejected: no byte of it written', async () => {
    await rejected('/r8n', { kind: 'noContentRange' });
  });

  it('R9: a 206 starting after the offset asked is rejected, never blind-appended', async () => {
    await rejected('/r9a', { kind: 'shiftStart', by: 1000 });
  });

  it('R9: a 206 starting before the offset asked is rejected, never blind-appended', async () => {
    await rejected('/r9b', { kind: 'shiftStart', by: -1000 });
  });

  it('R10: a 206 whose Content-Length contradicts its Content-Range is rejected before a byte is written', async () => {
    await rejected('/r10cl', { kind: 'longBody', by: 4096, framing: 'length' });
  });

  it('R9: a 206 whose total differs from the checkpoint’s means the resource changed', async () => {
    const target = await interrupted('/r9t', 500_000);
    server.fail({ kind: 'wrongTotal', total: size + 10 }, { method: 'GET' });
    const second = await completes({ url: server.url('/r9t'), target });
    expect(restartReasons(second.events)).toContain('RESOURCE_CHANGED');
    expect(await fileSha256(target)).toBe(sha256(body));
  });

  it('R10: bytes past the end of the Content-Range are never written', async () => {
    const target = await interrupted('/r10l', 500_000);
    server.fail({ kind: 'longBody', by: 4096, framing: 'chunked' }, { method: 'GET' });
    await completes({ url: server.url('/r10l'), target });
    expect(await fileSha256(target)).toBe(sha256(body));
    expect(await listDir(dir())).toEqual(['out.bin']);
  });

  it('R10: a short 206 body is resumed from what was really written', async () => {
    const target = await interrupted('/r10s', 500_000);
    server.fail({ kind: 'shortBody', by: 300_000, framing: 'chunked' }, { method: 'GET' });
    await completes({ url: server.url('/r10s'), target });
    expect(await fileSha256(target)).toBe(sha256(body));
    const starts = server.dataRangeStarts();
    // The run after the short body asks for the bytes the short body did not give, and no earlier byte.
    expect(starts.at(-1)).toBe(size - 300_000);
  });

  it('R11: a 412 to a conditional request restarts against the new version (onChange: restart)', async () => {
    const target = await interrupted('/r11', 500_000);
    server.fail({ kind: 'status', status: 412 }, { method: 'GET' });
    const second = await completes({ url: server.url('/r11'), target });
    expect(restartReasons(second.events)).toContain('RESOURCE_CHANGED');
    expect(await fileSha256(target)).toBe(sha256(body));
  });

  it('R11: an ETag change mid-download restarts against the new version, never mixing the two', async () => {
    const target = await interrupted('/r11c', 700_000);
    const second = generateBytes(size, 99);
    server.replace('/r11c', second);
    const outcome = await completes({ url: server.url('/r11c'), target });
    expect(restartReasons(outcome.events)).toContain('RESOURCE_CHANGED');
    expect(await fileSha256(target)).toBe(sha256(second));
    expect(await listDir(dir())).toEqual(['out.bin']);
  });

  it('R11: with onChange "fail" a change is a typed ResourceChanged error and the file is not finished', async () => {
    const target = await interrupted('/r11f', 700_000);
    server.replace('/r11f', generateBytes(size, 98));
    const { error } = await fails({ url: server.url('/r11f'), target, onChange: 'fail' });
    expect(error.code).toBe('ERR_RESOURCE_CHANGED');
    expect(await listDir(dir())).not.toContain('out.bin');
  });

  it('R12: a 416 whose length differs means the resource changed; its body is never written', async () => {
    const target = await interrupted('/r12', 500_000);
    server.fail(
      { kind: 'status', status: 416, contentRange: `bytes */${size + 1}`, body: 'junk junk junk' },
      { method: 'GET' },
    );
    const second = await completes({ url: server.url('/r12'), target });
    expect(restartReasons(second.events)).toContain('RESOURCE_CHANGED');
    expect(await fileSha256(target)).toBe(sha256(body));
  });

  it('R12: a 416 with the same length while bytes are missing is a change too, never a completion', async () => {
    const target = await interrupted('/r12s', 500_000);
    server.fail({ kind: 'status', status: 416, contentRange: `bytes */${size}` }, { method: 'GET' });
    await completes({ url: server.url('/r12s'), target });
    expect(await fileSha256(target)).toBe(sha256(body));
  });

  it('R14: a zero-length resource completes without a Range request', async () => {
    server.serve('/r14', Buffer.alloc(0));
    const target = join(dir(), 'empty.bin');
    const { result } = await completes({ url: server.url('/r14'), target });
    expect(result?.bytes).toBe(0);
    expect((await readFile(target)).length).toBe(0);
    expect(server.gets().every((request) => request.headers.range === undefined)).toBe(true);
    expect(await listDir(dir())).toEqual(['empty.bin']);
  });

  it('R15: a chunked body with no length is one stream, its total "unknown" (null), never NaN', async () => {
    server.serve('/r15', body, { chunked: true });
    const target = join(dir(), 'out.bin');
    const { events } = await completes({ url: server.url('/r15'), target });
    const progress = events.flatMap((event) => (event.type === 'progress' ? [event.progress] : []));
    // While bytes arrive the total is unknown; the last report, at completion, knows it is what arrived.
    const last = progress.pop();
    expect(progress.length).toBeGreaterThan(0);
    for (const p of progress) {
      expect(p.total).toBeNull();
      expect(p.fraction).toBeNull();
      expect(p.etaSeconds).toBeNull();
      expect(Number.isFinite(p.bytes)).toBe(true);
      expect(Number.isFinite(p.bytesPerSecond)).toBe(true);
    }
    expect(last?.bytes).toBe(size);
    expect(await fileSha256(target)).toBe(sha256(body));
  });

  it('R15: a cut chunked stream is not resumed mid-way: it starts again from 0', async () => {
    server.serve('/r15c', body, { chunked: true });
    const target = join(dir(), 'out.bin');
    server.fail({ kind: 'cut', at: 800_000 }, { method: 'GET' });
    await completes({ url: server.url('/r15c'), target });
    expect(dataRanges().every((range) => range === undefined)).toBe(true);
    expect(await fileSha256(target)).toBe(sha256(body));
    expect(await listDir(dir())).toEqual(['out.bin']);
  });
});
