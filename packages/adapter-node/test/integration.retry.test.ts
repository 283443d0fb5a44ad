import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { DownloadEvent, HttpRequest } from '@rdl/core';
import { ManualClock } from '@rdl/core/memory';
import { describe, expect, it } from 'vitest';
import { createDownload, nodePorts } from '../src/createDownload.js';
import { generateBytes, sha256 } from './support/faultServer.js';
import { useFaultServer } from './support/faultServerFixture.js';
import {
  completes,
  fails,
  fastOptions,
  fileSha256,
  type runDownload,
  watchedReads,
} from './support/harness.js';
import { listDir, useTempDir } from './support/tempDir.js';

const size = 2 * 1024 * 1024;
const body = generateBytes(size, 51);
const server = useFaultServer();
server.serve('/file', body);
const dir = useTempDir();

const url = (): string => server.url('/file');

describe('retries, integrity and reporting, against the fault server', () => {
  it('R25: a 503 with Retry-After is retried after the time it asks, not before', async () => {
    server.fail({ kind: 'status', status: 503, retryAfter: '1' }, { method: 'GET' });
    const target = join(dir(), 'out.bin');
    const clock = new ManualClock();
    const download = createDownload(
      {
        ...fastOptions,
        url: url(),
        target,
        retry: { retries: 3, minDelayMs: 5, maxDelayMs: 5_000, factor: 2 },
      },
      { clock },
    );
    const retried = new Promise<number>((resolve) => download.on('retry', (event) => resolve(event.delayMs)));
    const result = download.start();
    const delayMs = await retried;
    expect(delayMs).toBeGreaterThanOrEqual(1000);
    // The wait is on the clock: a millisecond before its end the download still waits.
    clock.advance(delayMs - 1);
    expect(download.getSnapshot().state).toBe('waiting');
    clock.advance(1);
    expect(download.getSnapshot().state).not.toBe('waiting');
    expect((await result).bytes).toBe(size);
    expect(server.dataRangeStarts()).toEqual([0, 0]);
    expect(await fileSha256(target)).toBe(sha256(body));
  });

  for (const status of [408, 429, 500, 502]) {
    it(`R25: a ${status} is retried`, async () => {
      server.fail({ kind: 'status', status }, { method: 'GET' });
      server.fail({ kind: 'status', status }, { method: 'GET' });
      const target = join(dir(), 'out.bin');
      const { events } = await completes({ url: url(), target });
      expect(events.filter((event) => event.type === 'retry').length).toBeGreaterThanOrEqual(2);
      expect(await fileSha256(target)).toBe(sha256(body));
      expect(await listDir(dir())).toEqual(['out.bin']);
    });
  }

  it('R25: other 4xx are not retried', async () => {
    server.fail({ kind: 'status', status: 404 }, { method: 'GET' });
    const target = join(dir(), 'out.bin');
    const { error, events } = await fails({ url: url(), target });
    expect(error.code).toBe('ERR_HTTP_STATUS');
    expect(events.some((event) => event.type === 'retry')).toBe(false);
    expect(server.dataRangeStarts()).toHaveLength(1);
  });

  it('R25: a stalled body is cut after stallTimeout and retried from the bytes written', async () => {
    server.fail({ kind: 'stall', at: 700_000 }, { method: 'GET' });
    const target = join(dir(), 'out.bin');
    const clock = new ManualClock();
    let stalled: (request: HttpRequest) => void = () => undefined;
    const allIn = new Promise<HttpRequest>((resolve) => {
      stalled = resolve;
    });
    const http = watchedReads(nodePorts().http, (request) => {
      if (download.getSnapshot().progress.bytes >= 700_000) stalled(request);
    });
    const download = createDownload(
      { ...fastOptions, url: url(), target, stallTimeoutMs: 300, writeBufferBytes: 16 * 1024 },
      { clock, http },
    );
    const retried = new Promise<DownloadEvent>((resolve) => download.on('retry', resolve));
    const result = download.start();
    // Every byte the server sent is in; from now on the body is silent, and only the clock moves. The stall timer
    // cuts the request by aborting its signal, at once.
    const { signal } = await allIn;
    clock.advance(299);
    expect(signal.aborted).toBe(false);
    clock.advance(1);
    expect(signal.aborted).toBe(true);
    const retry = await retried;
    expect(retry.type === 'retry' && retry.failure._tag).toBe('Stalled');
    clock.advance(retry.type === 'retry' ? retry.delayMs : 0);
    expect((await result).bytes).toBe(size);
    expect(server.dataRangeStarts()).toEqual([0, 700_000]);
    expect(await fileSha256(target)).toBe(sha256(body));
  });

  it('R25: retries give up after `retries` retries in a row without a byte, with a typed error', async () => {
    for (let i = 0; i < 4; i += 1) server.fail({ kind: 'status', status: 503 }, { method: 'GET' });
    const target = join(dir(), 'out.bin');
    const { error } = await fails({
      url: url(),
      target,
      retry: { retries: 2, minDelayMs: 1, maxDelayMs: 5 },
    });
    expect(error.code).toBe('ERR_RETRIES_EXHAUSTED');
    server.requests.length = 0;
  });

  it('R25: the retry counter resets when bytes arrive', async () => {
    // Three cuts, each after new bytes: more failures than `retries: 2` allows in a row, yet it completes.
    for (const at of [300_000, 300_000, 300_000]) server.fail({ kind: 'cut', at }, { method: 'GET' });
    const target = join(dir(), 'out.bin');
    await completes({ url: url(), target, retry: { retries: 2, minDelayMs: 1, maxDelayMs: 5 } });
    expect(await fileSha256(target)).toBe(sha256(body));
  });

  it('R26: a retry after a cut at byte k resumes at k: nothing downloaded twice, nothing duplicated', async () => {
    server.fail({ kind: 'cut', at: 654_321 }, { method: 'GET' });
    server.fail({ kind: 'cut', at: 100_000 }, { method: 'GET' });
    const target = join(dir(), 'out.bin');
    await completes({ url: url(), target, writeBufferBytes: 64 * 1024 });
    expect(server.dataRangeStarts()).toEqual([0, 654_321, 754_321]);
    expect(await fileSha256(target)).toBe(sha256(body));
    expect(await listDir(dir())).toEqual(['out.bin']);
  });

  it('R27: the expected sha256 is checked, and returned', async () => {
    const target = join(dir(), 'out.bin');
    const { result } = await completes({ url: url(), target, expectedSha256: sha256(body) });
    expect(result?.sha256).toBe(sha256(body));
  });

  it('R27: a checksum mismatch is a typed IntegrityError naming both values; no file appears', async () => {
    const target = join(dir(), 'out.bin');
    const wrong = 'a'.repeat(64);
    const { error } = await fails({ url: url(), target, expectedSha256: wrong });
    expect(error.code).toBe('ERR_INTEGRITY');
    expect(error.message).toContain(wrong);
    expect(error.message).toContain(sha256(body));
    expect(await listDir(dir())).not.toContain('out.bin');
  });

  it('R28: progress never goes above 100 % nor backwards, except on a reported restart', async () => {
    server.fail({ kind: 'cut', at: 500_000 }, { method: 'GET' });
    server.fail({ kind: 'ignoreRange' }, { method: 'GET' });
    const target = join(dir(), 'out.bin');
    const { events } = await completes({ url: url(), target, writeBufferBytes: 32 * 1024 });
    let last = 0;
    let restarts = 0;
    for (const event of events) {
      if (event.type === 'restart') {
        restarts += 1;
        last = 0;
      }
      if (event.type !== 'progress') continue;
      const { bytes, total, fraction, bytesPerSecond } = event.progress;
      expect(total).toBe(size);
      expect(bytes).toBeLessThanOrEqual(size);
      expect(fraction ?? 0).toBeLessThanOrEqual(1);
      expect(bytesPerSecond).toBeGreaterThanOrEqual(0);
      expect(bytes).toBeGreaterThanOrEqual(last);
      last = bytes;
    }
    expect(restarts).toBe(1);
  });

  it('R29: every failure is a DownloadError with a stable code and a one-line message', async () => {
    server.fail({ kind: 'status', status: 401 }, { method: 'GET' });
    const { error } = await fails({ url: url(), target: join(dir(), 'out.bin') });
    expect(error.name).toBe('DownloadError');
    expect(error.code).toBe('ERR_HTTP_STATUS');
    expect(error.message).toMatch(/^[^\n]+$/);
    expect(error.message).toContain('401');
  });

  const refusedBeforeAnyRequest = async (options: Parameters<typeof runDownload>[0]): Promise<string> => {
    const { error } = await fails(options);
    expect(server.requests).toEqual([]);
    expect(await listDir(dir())).toEqual(options.target === join(dir(), 'folder') ? ['folder'] : []);
    return error.code;
  };

  it('R30: an output path in a missing folder fails before any request and creates nothing', async () => {
    expect(await refusedBeforeAnyRequest({ url: url(), target: join(dir(), 'missing', 'out.bin') })).toBe(
      'ERR_INVALID_INPUT',
    );
  });

  it('R30: an output path that is a folder fails before any request and creates nothing', async () => {
    await mkdir(join(dir(), 'folder'));
    expect(await refusedBeforeAnyRequest({ url: url(), target: join(dir(), 'folder') })).toBe(
      'ERR_INVALID_INPUT',
    );
  });

  it('R30: a target holding a NUL is invalid input, refused before any request', async () => {
    const { error } = await fails({ url: url(), target: join(dir(), 'a\0b.bin') });
    expect(error.code).toBe('ERR_INVALID_INPUT');
    expect(error.message).toBe('invalid target: a file name cannot hold a NUL byte');
    expect(await refusedBeforeAnyRequest({ url: url(), target: join(dir(), 'a\0b.bin') })).toBe(
      'ERR_INVALID_INPUT',
    );
  });

  it('R30: not a URL, an unsupported scheme, a negative option: refused before any request', async () => {
    const target = join(dir(), 'out.bin');
    expect(await refusedBeforeAnyRequest({ url: 'not a url', target })).toBe('ERR_INVALID_INPUT');
    expect(await refusedBeforeAnyRequest({ url: 'ftp://127.0.0.1/file', target })).toBe('ERR_INVALID_INPUT');
    expect(await refusedBeforeAnyRequest({ url: url(), target, stallTimeoutMs: -1 })).toBe(
      'ERR_INVALID_INPUT',
    );
    expect(await refusedBeforeAnyRequest({ url: url(), target, retry: { retries: Number.NaN } })).toBe(
      'ERR_INVALID_INPUT',
    );
  });
});
