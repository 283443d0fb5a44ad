import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDownload } from '../src/createDownload.js';
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
});
