import { execFile } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { chown, lstat, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assertBuilt, rdlBin, runRdl } from './support/cliProcess.js';
import { generateBytes, sha256 } from './support/faultServer.js';
import { useFaultServer } from './support/faultServerFixture.js';
import {
  expectLinkTo,
  expectUnchanged,
  makeFifo,
  makeSocket,
  nobody,
  plantSymlink,
  watchFile,
} from './support/plant.js';
import { listDir, useTempDir } from './support/tempDir.js';

const size = 2 * 1024 * 1024 + 3;
const body = generateBytes(size, 47);
const server = useFaultServer();
server.serve('/file.bin', body);
const dir = useTempDir('rdl-stream-');
const url = (): string => server.url('/file.bin');

/** Runs `script` with sh in `cwd`; `$RDL` is the command. stdout is kept as bytes. */
const sh = (script: string, cwd: string) => {
  assertBuilt();
  return new Promise<{ code: number; stdout: Buffer; stderr: string }>((resolve) => {
    execFile(
      'sh',
      ['-c', script],
      {
        cwd,
        encoding: 'buffer',
        maxBuffer: 64 * 1024 * 1024,
        env: { ...process.env, RDL: `"${process.execPath}" "${rdlBin}"` },
      },
      (error, stdout, stderr) =>
        resolve({ code: error === null ? 0 : Number(error.code), stdout, stderr: stderr.toString() }),
    );
  });
};

/** Hashes what comes out of the FIFO `path`, once a writer opens it. */
const readFifo = (path: string): Promise<string> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    createReadStream(path)
      .on('data', (chunk) => chunks.push(chunk as Buffer))
      .on('end', () => resolve(sha256(Buffer.concat(chunks))))
      .on('error', reject);
  });

const notResumable = /writing it as a plain stream, not resumable/;

describe('rdl to a target that is not a regular file (R32)', () => {
  it('R32: rdl URL -o /dev/null works and leaves /dev/null the same character device', async () => {
    // In a mount namespace of its own, with a /dev of its own: whatever rdl does, the machine's /dev/null is safe.
    const script = `mount -t tmpfs -o mode=755 tmpfs /dev && mknod -m 666 /dev/null c 1 3 &&
      before=$(stat -c '%F %a %t,%T %i %Y' /dev/null) &&
      eval "$RDL" '${url()}' -o /dev/null; code=$?
      echo "exit $code"; [ "$before" = "$(stat -c '%F %a %t,%T %i %Y' /dev/null)" ] && echo unchanged; ls -A /dev`;
    const run = await sh(`unshare -m sh -c '${script.replaceAll("'", `'"'"'`)}'`, dir());
    expect(run.stderr).toMatch(
      /\/dev\/null is a character device: writing it as a plain stream, not resumable/,
    );
    expect(run.stdout.toString().split('\n')).toEqual(['exit 0', 'unchanged', 'null', '']);
    expect(server.gets().length).toBe(1);
  });

  it('R32: rdl URL -o - writes the file to stdout: piped to sha256sum, the hash is right', async () => {
    const run = await sh(`eval "$RDL" '${url()}' -o - | sha256sum`, dir());
    expect(run.code).toBe(0);
    expect(run.stdout.toString()).toBe(`${sha256(body)}  -\n`);
    expect(run.stderr).toMatch(/writing to stdout as a plain stream, not resumable/);
    expect(await listDir(dir())).toEqual([]);
  });

  it('R30, R32: --json with -o - is refused before any request, exit 2, and stdout stays empty', async () => {
    const run = await sh(`eval "$RDL" '${url()}' -o - --json`, dir());
    expect(run.code).toBe(2);
    expect(run.stdout.length).toBe(0);
    expect(run.stderr).toMatch(/--json.*ERR_INVALID_INPUT/);
    expect(server.requests).toEqual([]);
  });

  it('R30, R32: --json with -qo - or -qo- (grouped flags) is refused on stderr too, stdout empty', async () => {
    for (const flags of ['-qo -', '-qo-']) {
      const run = await sh(`eval "$RDL" '${url()}' ${flags} --json`, dir());
      expect(run.code).toBe(2);
      expect(run.stdout.length).toBe(0);
      expect(run.stderr).toMatch(/--json.*ERR_INVALID_INPUT/);
    }
    expect(server.requests).toEqual([]);
  });

  it('R24, R32: a stream stopped by -m (as by Ctrl-C) says it is not resumable, not that a checkpoint is saved', async () => {
    const run = await runRdl([url(), '-o', '/dev/null', '-m', '0.5', '--limit-rate', '100K'], dir());
    expect(run.code).toBe(28);
    expect(run.stderr).toMatch(
      /rdl: stopped at [^\n]* of 2\.0 MiB[^\n]*; a plain stream is not resumable: the same command fetches it again from the start\n/,
    );
    expect(run.stderr).toMatch(
      /\nrdl: stopped by --max-time 0\.5 s; a plain stream is not resumable \(ERR_MAX_TIME\)\n/,
    );
    expect(run.stderr).not.toMatch(/checkpoint|To resume|go on from/);
    expect(await listDir(dir())).toEqual([]);
  });

  it('R32: a terminal whose reader is slow gets every byte, where /proc is missing too (the device is opened again by its path, blocking, and checked)', async () => {
    // A pseudo-terminal read only from 2 s on; /proc hidden under a tmpfs in a mount namespace of its own.
    const reader = [
      'import os, pty, subprocess, sys, time, tty',
      'm, s = pty.openpty(); tty.setraw(s)',
      'p = subprocess.Popen([sys.argv[1], sys.argv[2], sys.argv[3], "-o", os.ttyname(s), "-q"], stdin=subprocess.DEVNULL)',
      'time.sleep(2); os.set_blocking(m, False); got = 0; t0 = time.time()',
      'while time.time() - t0 < 30:',
      '    try: got += len(os.read(m, 65536))',
      '    except BlockingIOError:',
      '        if p.poll() is not None: break',
      '        time.sleep(0.01)',
      'p.wait(); print(p.returncode, got)',
    ].join('\n');
    assertBuilt();
    const run = await new Promise<string>((resolve, reject) => {
      execFile(
        'unshare',
        [
          '-m',
          'sh',
          '-c',
          'mount -t tmpfs none /proc && exec python3 -c "$1" "$2" "$3" "$4"',
          'sh',
          reader,
          process.execPath,
          rdlBin,
          url(),
        ],
        (error, stdout, stderr) =>
          error === null ? resolve(stdout) : reject(new Error(`${error.message}: ${stderr}`)),
      );
    });
    expect(run.trim()).toBe(`0 ${size}`);
  });

  it('R32: a FIFO target is written into, stays a FIFO, and gets no file beside it', async () => {
    const fifo = join(dir(), 'pipe');
    makeFifo(fifo);
    const before = await watchFile(fifo);
    const [hash, run] = await Promise.all([readFifo(fifo), runRdl([url(), '-o', 'pipe'], dir())]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(notResumable);
    expect(hash).toBe(sha256(body));
    await expectUnchanged(before);
    expect(await listDir(dir())).toEqual(['pipe']);
  });

  it('R32: a link of this user to a FIFO (as /dev/stdout is to a pipe) is written through and stays a link', async () => {
    const fifo = join(dir(), 'pipe');
    makeFifo(fifo);
    await symlink(fifo, join(dir(), 'out'));
    const [hash, run] = await Promise.all([readFifo(fifo), runRdl([url(), '-o', 'out'], dir())]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/out is a symbolic link to a FIFO: writing it as a plain stream/);
    expect(hash).toBe(sha256(body));
    await expectLinkTo(join(dir(), 'out'), fifo);
    expect(await listDir(dir())).toEqual(['out', 'pipe']);
  });

  it('R32: a link to a regular file is written through like curl -o (emptied first), never replaced', async () => {
    await mkdir(join(dir(), 'real'));
    const real = join(dir(), 'real', 'file');
    await writeFile(real, Buffer.alloc(size + 1000, 7));
    await symlink(real, join(dir(), 'latest'));
    const run = await runRdl([url(), '-o', 'latest'], dir());
    expect(run.code, run.stderr).toBe(0);
    expect(sha256(await readFile(real))).toBe(sha256(body));
    await expectLinkTo(join(dir(), 'latest'), real);
    expect(await listDir(dir())).toEqual(['latest', 'real']);
    expect(await listDir(join(dir(), 'real'))).toEqual(['file']);
  });

  it('R31, R32: a link another user planted at the target name is refused before any request', async () => {
    // Nobody's folder in root's: nobody plants at the name, but cannot swap the folder.
    const nobodys = join(dir(), 'nobodys');
    await mkdir(nobodys);
    await chown(nobodys, nobody.uid, nobody.gid);
    const device = await watchFile('/dev/zero');
    await plantSymlink(join(nobodys, 'x.bin'), '/dev/zero');
    const run = await runRdl([url(), '-o', 'x.bin'], nobodys);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/x\.bin: it is a symbolic link of uid 65534.*\(ERR_UNSAFE_PATH\)/);
    expect(server.requests).toEqual([]);
    await expectLinkTo(join(nobodys, 'x.bin'), '/dev/zero');
    await expectUnchanged(device);
    expect(await listDir(nobodys)).toEqual(['x.bin']);
  });

  it('R32: a socket target is never replaced: a typed failure, the socket as it was, nothing beside it', async () => {
    const path = join(dir(), 'sock');
    const socket = await makeSocket(path);
    try {
      const before = await lstat(path);
      const run = await runRdl([url(), '-o', 'sock'], dir());
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/\(ERR_IO\)/);
      const after = await lstat(path);
      expect([after.isSocket(), after.ino]).toEqual([true, before.ino]);
      expect(await listDir(dir())).toEqual(['sock']);
    } finally {
      socket.close();
    }
  });
});
