import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesOf, runRdl, spawnRdl } from './support/cliProcess.js';
import { FaultServer, generateBytes, rangeStart, sha256 } from './support/faultServer.js';
import { fileSha256 } from './support/harness.js';
import { listDir, useTempDir } from './support/tempDir.js';

const body = generateBytes(2 * 1024 * 1024 + 9, 61);
const dir = useTempDir('rdl-cli-ipv6-');

/**
 * A fault server on the IPv6 loopback. Where ::1 cannot be listened on, every test here fails with the reason,
 * rather than passing without proof.
 */
const onIpv6Loopback = async (): Promise<FaultServer> => {
  try {
    return await FaultServer.start({ host: '::1' });
  } catch (error) {
    throw new Error(
      `these tests need the IPv6 loopback ::1, which cannot be listened on here (${String(error)}); ` +
        'enable IPv6 on lo (sysctl net.ipv6.conf.lo.disable_ipv6=0) to run them',
    );
  }
};

describe('rdl on an IPv6 literal URL, http://[::1]:port/', () => {
  let server: FaultServer;
  let release: () => void = () => undefined;
  beforeAll(async () => {
    server = await onIpv6Loopback();
    server.serve('/files/v6.bin', body);
  });
  afterAll(async () => {
    release();
    await server.close();
  });

  it('connects to ::1, sends Host [::1]:port, names the file from the path, keeps the URL in the checkpoint, and resumes after a pause', async () => {
    const url = server.url('/files/v6.bin');
    const port = new URL(url).port;
    expect(url).toBe(`http://[::1]:${port}/files/v6.bin`);
    // Every GET stops after 300 000 bytes of its body and waits (a stall the run cuts after 1 s, then resumes); a
    // pause then saves the checkpoint.
    const stalled = new Promise<void>((resolve) => {
      release = resolve;
    });
    for (let i = 0; i < 8; i += 1)
      server.fail({ kind: 'stall', at: 300_000, until: stalled }, { method: 'GET' });
    const args = [url, '--json', '-x', '1'];
    const paused = spawnRdl([...args, '--stall-timeout', '1'], dir());
    expect(await paused.waitFor((event) => bytesOf(event) >= 300_000)).not.toBeNull();
    paused.child.kill('SIGINT');
    expect((await paused.exit).code).toBe(130);
    expect(await listDir(dir())).toEqual(['v6.bin.part', 'v6.bin.rdl.json']);
    const checkpoint = JSON.parse(await readFile(join(dir(), 'v6.bin.rdl.json'), 'utf8')) as {
      url: string;
      ranges: [number, number][];
    };
    expect(checkpoint.url).toBe(url);
    const saved = checkpoint.ranges[0]?.[1] ?? 0;
    expect(saved).toBeGreaterThanOrEqual(300_000);
    release();
    server.requests.length = 0;

    const resumed = await runRdl(args, dir());
    expect(resumed.code).toBe(0);
    expect(resumed.events[0]).toEqual({ event: 'start', resumedFrom: saved, total: body.length });
    expect(await listDir(dir())).toEqual(['v6.bin']);
    expect(await fileSha256(join(dir(), 'v6.bin'))).toBe(sha256(body));
    expect(server.requests.map((request) => request.headers.host)).toEqual(
      server.requests.map(() => `[::1]:${port}`),
    );
    expect(server.requests.map((request) => request.method)).toEqual(['HEAD', 'GET']);
    expect(rangeStart(server.gets()[0])).toBe(saved);
  });
});
