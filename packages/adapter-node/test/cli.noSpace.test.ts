import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assertBuilt, rdlBin, spawnRdl } from './support/cliProcess.js';
import { generateBytes } from './support/faultServer.js';
import { useFaultServer } from './support/faultServerFixture.js';
import { useTempDir } from './support/tempDir.js';

const MiB = 1024 * 1024;
const server = useFaultServer();
server.serve('/big.bin', Buffer.alloc(64 * MiB, 1));
server.serve('/small.bin', Buffer.alloc(2 * MiB, 2));
for (let i = 1; i <= 4; i += 1) server.serve(`/f${i}.bin`, generateBytes(3 * MiB, i));
const dir = useTempDir('rdl-nospace-');

/**
 * Runs `rdl <url> -o disk/<name>` in a mount namespace of its own where `disk` is an 8 MiB tmpfs, then lists what
 * is left on that disk: the machine's disks are never filled.
 */
const onSmallDisk = (url: string, name: string) => {
  assertBuilt();
  const script = `mount -t tmpfs -o size=8m tmpfs "$1" && "$2" "$3" "$4" -o "$1/$5"; echo "exit $?"; ls -A "$1"`;
  return new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
    execFile(
      'unshare',
      ['-m', 'sh', '-c', script, 'sh', dir(), process.execPath, rdlBin, url, name],
      (error, stdout, stderr) => (error === null ? resolve({ stdout, stderr }) : reject(error)),
    );
  });
};

describe('rdl on a disk too small for the file (R40)', () => {
  it('R40: a HEAD of 64 MiB on an 8 MiB disk fails at once with ERR_NO_SPACE, giving both numbers; no data GET', async () => {
    const run = await onSmallDisk(server.url('/big.bin'), 'big.bin');
    expect(run.stdout.split('\n')[0]).toBe('exit 1');
    expect(run.stderr).toMatch(/needs 67108864 more bytes, its file system has \d+ free \(ERR_NO_SPACE\)/);
    expect(
      run.stderr
        .trim()
        .split('\n')
        .filter((line) => line.includes('ERR_')),
    ).toHaveLength(1);
    expect(server.requests.map((request) => request.method)).toEqual(['HEAD']);
    expect(server.dataRangeStarts()).toEqual([]);
    expect(run.stdout).not.toContain('big.bin\n');
  });

  it('R40: a file that fits is downloaded there as usual', async () => {
    const run = await onSmallDisk(server.url('/small.bin'), 'small.bin');
    expect(run.stdout).toBe('exit 0\nsmall.bin\n');
    expect(server.dataRangeStarts()).toEqual([0]);
  });
});

describe('a list on a disk too small for all of it (R40)', () => {
  it('R40: four 3 MiB files, -j 4, into four folders of a 10 MiB disk (out=s1/f1.bin …): three are downloaded and the fourth refused before its GET, the others not yet written counted', async () => {
    const work = join(dir(), 'work');
    await mkdir(join(work, 'disk'), { recursive: true });
    // Each into a folder of its own on the one disk: the claims are the file system's, not the folder's.
    await writeFile(
      join(work, 'list.txt'),
      [1, 2, 3, 4].map((i) => `${server.url(`/f${i}.bin`)}\n  out=s${i}/f${i}.bin`).join('\n'),
    );
    // Every GET is held before its first byte until the run refuses one download or all four have asked: the
    // checks all come before any write, as when four downloads start at once.
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    for (let i = 0; i < 4; i += 1) server.fail({ kind: 'stall', at: 0, until: held }, { method: 'GET' });
    void server.whenRequests(4, 'GET').then(release);
    const script =
      'mount -t tmpfs -o size=10m tmpfs disk && mkdir disk/s1 disk/s2 disk/s3 disk/s4 && "$0" "$@"; echo "exit $?"; ls -AR disk';
    const rdl = spawnRdl(['-i', 'list.txt', '-d', 'disk', '-j', '4', '--json'], work, [
      'unshare',
      '-m',
      'sh',
      '-c',
      script,
      process.execPath,
    ]);
    void rdl.waitFor((event) => event.event === 'error').then(release);
    const run = await rdl.exit;
    const errors = run.events.filter((event) => event.event === 'error');
    expect(errors.map((event) => event.code)).toEqual(['ERR_NO_SPACE']);
    // Its file system has more than 3 MiB free: the bytes promised to the three others say why it is refused.
    expect(errors[0]?.message).toMatch(
      /^no space left on the device: \/\S+\/disk\/s\d\/f\d\.bin needs 3145728 more bytes, its file system has \d+ free, 9437184 of them promised to 3 running downloads$/,
    );
    expect(run.events.filter((event) => event.event === 'done')).toHaveLength(3);
    expect(run.stdout).toContain('exit 1\n');
    // The refused one asked for no data; each of the others did (a retry may ask again from where it was).
    const asked = new Set(server.gets().map((request) => request.url));
    expect([...asked].sort()).toEqual(
      run.events
        .filter((event) => event.event === 'done')
        .map((event) => String(event.url))
        .sort(),
    );
    expect(asked.has(String(errors[0]?.url))).toBe(false);
    const left = run.stdout
      .slice(run.stdout.indexOf('exit 1\n') + 'exit 1\n'.length)
      .trim()
      .split('\n');
    expect(left.filter((name) => /^f\d\.bin$/.test(name))).toHaveLength(3);
    expect(left.filter((name) => name.includes('.part') || name.includes('.rdl.json'))).toEqual([]);
  });
});
