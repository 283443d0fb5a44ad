import { execFile } from 'node:child_process';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assertBuilt, rdlBin } from './support/cliProcess.js';
import { generateBytes } from './support/faultServer.js';
import { useFaultServer } from './support/faultServerFixture.js';
import { useTempDir } from './support/tempDir.js';

const KiB = 1024;
const server = useFaultServer();
server.serve('/one.bin', generateBytes(64 * KiB, 1));
server.serve('/two.bin', generateBytes(64 * KiB, 2));

const dir = useTempDir('rdl-bindmount-');

/**
 * Runs `rdl -j 1 -i list.txt -d dir` in a mount namespace of its own where `dir/b` is `dir/a` bind-mounted and
 * `dir/c` is `dir` itself: the machine's mounts are never touched.
 */
const inNamespace = () => {
  assertBuilt();
  const script = `mount --bind "$1/a" "$1/b" && mount --bind "$1" "$1/c" && "$2" "$3" -j 1 -i "$1/list.txt" -d "$1"; echo "exit $?"`;
  return new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
    execFile(
      'unshare',
      ['-m', 'sh', '-c', script, 'sh', dir(), process.execPath, rdlBin],
      (error, stdout, stderr) => (error === null ? resolve({ stdout, stderr }) : reject(error)),
    );
  });
};

describe('rdl with a list whose names reach one file by two paths (R30, R45)', () => {
  it('R30, R45: two out= names of one file through a bind-mounted subfolder, or the journal through one, are refused before any request', async () => {
    for (const sub of ['a', 'b', 'c']) await mkdir(join(dir(), sub));
    // Run one after the other (-j 1), the second download once overwrote the first's finished file with its own
    // bytes and both were said done: the lock of one name guards its file only while a download runs.
    await writeFile(
      join(dir(), 'list.txt'),
      [
        server.url('/one.bin'),
        '  out=a/x.bin',
        server.url('/two.bin'),
        '  out=b/x.bin',
        server.url('/two.bin'),
        '  out=c/.rdl-queue',
        '',
      ].join('\n'),
    );
    const run = await inNamespace();
    expect(run.stdout.trim()).toBe('exit 2');
    expect(run.stderr).toContain(
      `line 4: ${join(dir(), 'b', 'x.bin')} is also the file of line 2, ${join(dir(), 'a', 'x.bin')}, by another path`,
    );
    expect(run.stderr).toContain(
      `line 6: ${join(dir(), 'c', '.rdl-queue')} is the name of rdl's own .rdl-queue`,
    );
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(server.requests).toEqual([]);
    expect(await readdir(join(dir(), 'a'))).toEqual([]);
  });
});
