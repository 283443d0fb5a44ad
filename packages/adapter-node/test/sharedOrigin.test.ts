import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDownload } from '../src/createDownload.js';
import { NodeFetchHttp } from '../src/NodeFetchHttp.js';
import { CountingServer } from './support/countingServer.js';
import { generateBytes, sha256 } from './support/faultServer.js';
import { fileSha256 } from './support/harness.js';
import { useTempDir } from './support/tempDir.js';

const KiB = 1024;

// 16 KiB every 50 ms a connection: slow enough that the downloads below overlap for a second or more.
let server: CountingServer;
beforeAll(async () => {
  server = await CountingServer.start({ chunkBytes: 16 * KiB, everyMs: 50 });
});
afterAll(() => server.close());
const dir = useTempDir('rdl-shared-origin-');

describe('the per-origin connection cap of the process', () => {
  it('R43: two downloads of one origin, each asking for 16 connections, share its 16: the server never serves more at once, and both files are whole', async () => {
    const bodies = [generateBytes(1536 * KiB, 61), generateBytes(1536 * KiB, 62)];
    for (const [i, body] of bodies.entries()) server.serve(`/shared/${i}.bin`, body);
    server.takeMostBodiesAtOnce();
    // Two downloads of the Node adapter with its default ports: the one transport of the process, its cap 16.
    const downloads = bodies.map((_, i) =>
      createDownload({
        url: server.url(`/shared/${i}.bin`),
        target: join(dir(), `${i}.bin`),
        connections: 16,
        minSegmentBytes: 64 * KiB,
      }),
    );
    for (const download of downloads) download.start();
    await Promise.all(downloads.map((download) => download.result));
    for (const [i, body] of bodies.entries())
      expect(await fileSha256(join(dir(), `${i}.bin`))).toBe(sha256(body));
    const most = server.takeMostBodiesAtOnce();
    // Each alone would have had its 16; together they stay within the one cap, and use it.
    expect(most).toBeLessThanOrEqual(16);
    expect(most).toBeGreaterThan(8);
  });

  it.each([
    ['NodeHttp', (): { http?: NodeFetchHttp } => ({})],
    ['NodeFetchHttp', (): { http?: NodeFetchHttp } => ({ http: new NodeFetchHttp() })],
  ] as const)(
    'R25, R43: a download waiting for a connection another download holds is not stalled: its stall timer runs only once its request goes out (%s)',
    async (_, portsOf) => {
      const ports = portsOf();
      const big = generateBytes(12 * 1024 * KiB, 63);
      const small = generateBytes(64 * KiB, 64);
      server.serve('/held/big.bin', big);
      server.serve('/held/small.bin', small);
      const holder = createDownload(
        {
          url: server.url('/held/big.bin'),
          target: join(dir(), 'big.bin'),
          connections: 16,
          minSegmentBytes: 256 * KiB,
        },
        ports,
      );
      holder.start();
      while (holder.getSnapshot().progress.connections < 16) await new Promise((r) => setTimeout(r, 20));
      // A stall timeout shorter than any piece of the big one takes (256 KiB at 320 KiB/s): every wait outlasts it.
      const waiting = createDownload(
        {
          url: server.url('/held/small.bin'),
          target: join(dir(), 'small.bin'),
          stallTimeoutMs: 400,
        },
        ports,
      );
      const retries: unknown[] = [];
      waiting.subscribe((event) => {
        if (event.type === 'retry') retries.push(event.failure);
      });
      waiting.start();
      await waiting.result;
      holder.pause();
      expect(retries).toEqual([]);
      expect(await fileSha256(join(dir(), 'small.bin'))).toBe(sha256(small));
      holder.cancel();
      await holder.result.catch(() => undefined);
      ports.http?.close();
    },
  );
});
