import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { assertBuilt, rdlBin } from './support/cliProcess.js';
import { useFaultServer } from './support/faultServerFixture.js';
import { useTempDir } from './support/tempDir.js';

const MiB = 1024 * 1024;
const server = useFaultServer();
server.serve('/big.bin', Buffer.alloc(64 * MiB, 1));
server.serve('/small.bin', Buffer.alloc(2 * MiB, 2));
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
