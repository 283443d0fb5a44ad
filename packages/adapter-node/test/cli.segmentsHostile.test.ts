import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { runCliInProcess } from './support/cliInProcess.js';
import { generateBytes, sha256 } from './support/faultServer.js';
import { useFaultServer } from './support/faultServerFixture.js';
import { fileSha256 } from './support/harness.js';
import { listDir, useTempDir } from './support/tempDir.js';

/**
 * The command's segmented runs (on by default for a file of 2 MiB or more) against a server whose GET answers are
 * not what its HEAD said, over the real transport.
 */

const MiB = 1024 * 1024;
const body = generateBytes(4 * MiB, 41);
const server = useFaultServer();
const dir = useTempDir('rdl-cli-segments-hostile-');

describe('rdl on segments, a GET unlike its HEAD', () => {
  it("R5, R41: a server that gzips the plain GET its HEAD did not announce: a restart on one connection, never the encoded body cut at the HEAD's length", async () => {
    server.serve('/f.bin', body);
    server.fail({ kind: 'gzip' }, { method: 'GET' });
    const run = await runCliInProcess([server.url('/f.bin'), '-o', 'out.bin', '--json'], dir());
    expect(run.code, run.stderr).toBe(0);
    expect(run.events.filter((e) => e.event === 'restart')).toEqual([
      { event: 'restart', reason: 'CONTENT_ENCODED' },
    ]);
    // The gzip answer was the first one only: the single stream after the restart got the file itself.
    expect(await fileSha256(`${dir()}/out.bin`)).toBe(sha256(body));
    expect(gzipSync(body).length).toBeGreaterThan(body.length);
    expect(server.gets().at(-1)?.headers.range).toBeUndefined();
    expect(await listDir(dir())).toEqual(['out.bin']);
  });
});
