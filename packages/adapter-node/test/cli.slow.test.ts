import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDownload } from '../src/createDownload.js';
import { checkpointPathOf } from '../src/FileCheckpointStore.js';
import { runCliInProcess } from './support/cliInProcess.js';
import { generateBytes } from './support/faultServer.js';
import { useFaultServer } from './support/faultServerFixture.js';
import { HostileServer } from './support/hostileServer.js';
import { useTempDir } from './support/tempDir.js';

const body = generateBytes(100_000, 12);
const dir = useTempDir('rdl-slow-');
const faults = useFaultServer();
let server: HostileServer;
beforeAll(async () => {
  server = await HostileServer.start({ body, etag: '"slow-1"' });
});
afterAll(() => server.close());

/** The bytes the checkpoint on disk counts from 0, `0` while there is none. */
const durableBytes = async (target: string): Promise<number> => {
  const text = await readFile(checkpointPathOf(target), 'utf8').catch(() => null);
  const ranges = text === null ? [] : (JSON.parse(text) as { ranges: [number, number][] }).ranges;
  return ranges[0]?.[0] === 0 ? ranges[0][1] : 0;
};

/** Waits until `ready()` holds, checking each time the server sends a byte; fails after `limit` checks. */
const until = async (ready: () => Promise<boolean>, limit = 400): Promise<void> => {
  for (let check = 0; check < limit; check += 1) {
    if (await ready()) return;
    const sent = server.trickled;
    while (server.trickled === sent) await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error('never became true');
};

describe('a slow-loris server: a byte now and then, never silent for the stall timeout (R25, R20)', () => {
  it('R20, R25: what a slow link brings becomes durable at each checkpoint, though the write buffer is far from full', async () => {
    const target = join(dir(), 'slow.bin');
    server.lie({ kind: 'trickle', everyMs: 10 });
    const download = createDownload({
      url: server.url(),
      target,
      checkpointIntervalMs: 100,
      stallTimeoutMs: 30_000,
    });
    download.start();
    // Before, the bytes waited in memory for a 1 MiB write: the checkpoint counted nothing however long it ran.
    await until(async () => (await durableBytes(target)) >= 20);
    download.pause();
    await new Promise<void>((resolve) => {
      const stop = download.on('state', (event) => {
        if (event.state === 'paused') {
          stop();
          resolve();
        }
      });
      if (download.getSnapshot().state === 'paused') resolve();
    });
    expect(await durableBytes(target)).toBeGreaterThanOrEqual(20);
  });

  it('R25: --speed-limit / --speed-time cut a body slower than the limit; with --retries 0 that is ERR_TOO_SLOW, exit 1', async () => {
    server.lie({ kind: 'trickle', everyMs: 20 });
    const run = await runCliInProcess(
      [server.url(), '-o', 'slow.bin', '--speed-limit', '1000', '--speed-time', '0.5', '--retries', '0'],
      dir(),
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/below the minimum of 1000 B\/s/);
    expect(run.stderr).toMatch(/\(ERR_RETRIES_EXHAUSTED\)\n$/);
  });
});

describe('every restart reason reaches every output (R22, R29)', () => {
  it('R22: a torn checkpoint under --json prints a restart event with CHECKPOINT_INVALID, not a plain start', async () => {
    const content = generateBytes(300_000, 13);
    faults.serve('/torn.bin', content);
    const target = join(dir(), 'torn.bin');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(`${target}.part`, content.subarray(0, 200_000));
    await writeFile(checkpointPathOf(target), '{"version":1,"url":"', { mode: 0o600 });
    const run = await runCliInProcess([faults.url('/torn.bin'), '-o', 'torn.bin', '--json'], dir());
    expect(run.code).toBe(0);
    expect(run.events.filter((e) => e.event === 'restart')).toEqual([
      { event: 'restart', reason: 'CHECKPOINT_INVALID' },
    ]);
    expect(run.events[0]).toEqual({ event: 'restart', reason: 'CHECKPOINT_INVALID' });
  });
});
