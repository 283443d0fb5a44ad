import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { remoteTimeOf } from '../src/cli/remoteTime.js';
import { runCliInProcess } from './support/cliInProcess.js';
import { bytesOf, runRdl, spawnRdl } from './support/cliProcess.js';
import { generateBytes, sha256 } from './support/faultServer.js';
import { useFaultServer } from './support/faultServerFixture.js';
import { fileSha256 } from './support/harness.js';
import { listDir, useTempDir } from './support/tempDir.js';

const body = generateBytes(700_000, 81);
const server = useFaultServer();
const dir = useTempDir('rdl-cli-r-');
const lastModified = 'Wed, 01 Jan 2020 00:00:00 GMT';
const remoteMs = Date.UTC(2020, 0, 1);
/** Any time this test runs at is later than this: a file rdl did not touch the times of. */
const recent = Date.UTC(2024, 0, 1);

describe('rdl -R, --remote-time', () => {
  it('gives the finished file the access and modification times of Last-Modified', async () => {
    server.serve('/f.bin', body, { lastModified });
    const run = await runCliInProcess([server.url('/f.bin'), '-o', 'out.bin', '-R'], dir());
    expect(run.code).toBe(0);
    const info = await stat(join(dir(), 'out.bin'));
    expect(info.mtimeMs).toBe(remoteMs);
    expect(info.atimeMs).toBe(remoteMs);
  });

  it('without -R the file keeps the time it was written at', async () => {
    server.serve('/f.bin', body, { lastModified });
    expect((await runCliInProcess([server.url('/f.bin'), '-o', 'out.bin'], dir())).code).toBe(0);
    expect((await stat(join(dir(), 'out.bin'))).mtimeMs).toBeGreaterThan(recent);
  });

  it('a missing or bad Last-Modified is ignored: the download succeeds, the time is left as it is', async () => {
    for (const date of [
      'yesterday',
      '2020-01-01',
      'Wed, 01 Jan 2020 00:00:00 PST',
      'Xyz, 99 Foo 2020 99:99:99 GMT',
      null,
    ]) {
      server.serve('/f.bin', body, { lastModified: date });
      const run = await runCliInProcess([server.url('/f.bin'), '-o', 'out.bin', '-R', '-q'], dir());
      expect(run.code).toBe(0);
      expect(run.stderr).toBe('');
      expect(await fileSha256(join(dir(), 'out.bin'))).toBe(sha256(body));
      expect((await stat(join(dir(), 'out.bin'))).mtimeMs).toBeGreaterThan(recent);
    }
  });

  it('only the finished file gets it: a paused run’s part file keeps its own time; the resumed run sets it once renamed', async () => {
    server.serve('/f.bin', body, { lastModified });
    let release: () => void = () => undefined;
    const stalled = new Promise<void>((resolve) => {
      release = resolve;
    });
    for (let i = 0; i < 8; i += 1)
      server.fail({ kind: 'stall', at: 200_000, until: stalled }, { method: 'GET' });
    const args = [server.url('/f.bin'), '-o', 'out.bin', '-R', '--json', '-x', '1'];
    const paused = spawnRdl([...args, '--stall-timeout', '1'], dir());
    expect(await paused.waitFor((event) => bytesOf(event) >= 200_000)).not.toBeNull();
    paused.child.kill('SIGINT');
    expect((await paused.exit).code).toBe(130);
    expect(await listDir(dir())).toEqual(['out.bin.part', 'out.bin.rdl.json']);
    expect((await stat(join(dir(), 'out.bin.part'))).mtimeMs).toBeGreaterThan(recent);
    release();
    const resumed = await runRdl(args, dir());
    expect(resumed.code).toBe(0);
    expect(await listDir(dir())).toEqual(['out.bin']);
    expect((await stat(join(dir(), 'out.bin'))).mtimeMs).toBe(remoteMs);
  });

  it('with -o - there is no file to give it: the bytes go to stdout, nothing fails', async () => {
    const text = 'a line of text\n'.repeat(20_000);
    server.serve('/f.txt', Buffer.from(text), { lastModified });
    const run = await runCliInProcess([server.url('/f.txt'), '-o', '-', '-R', '-q'], dir());
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(text);
    expect(await listDir(dir())).toEqual([]);
  });

  it('reads only RFC 9110’s IMF-fixdate', () => {
    expect(remoteTimeOf(lastModified)).toBe(remoteMs);
    expect(remoteTimeOf('Sun, 06 Nov 1994 08:49:37 GMT')).toBe(Date.UTC(1994, 10, 6, 8, 49, 37));
    expect(remoteTimeOf('Sunday, 06-Nov-94 08:49:37 GMT')).toBeNull();
    expect(remoteTimeOf(null)).toBeNull();
  });
});
