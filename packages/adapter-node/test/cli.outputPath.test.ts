import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultFileName } from '../src/cli/outputPath.js';
import { tempCheckpointPathOf } from '../src/sidecarPaths.js';
import { maxTargetNameBytes } from '../src/targetPath.js';
import { runCliInProcess } from './support/cliInProcess.js';
import { runRdl } from './support/cliProcess.js';
import { generateBytes, sha256 } from './support/faultServer.js';
import { useFaultServer } from './support/faultServerFixture.js';
import { fileSha256 } from './support/harness.js';
import { listDir, useTempDir } from './support/tempDir.js';

const name = (path: string) => defaultFileName(new URL(`https://example.test${path}`));
const body = generateBytes(300_000, 59);
const longSegment = 'a'.repeat(10_000);
const server = useFaultServer();
server.serve(`/files/${longSegment}`, body);
server.serve('/files/x.bin', body);
const dir = useTempDir('rdl-names-');

describe('default file names that fit beside their sidecars (R30)', () => {
  it('R30: a last segment of 10 000 characters is cut so that the longest sidecar name fits in 255 bytes', () => {
    const cut = name(`/${longSegment}`);
    expect(Buffer.byteLength(cut)).toBe(maxTargetNameBytes);
    expect(Buffer.byteLength(tempCheckpointPathOf(cut))).toBe(255);
  });

  it('R30: a cut never splits a character, whatever its UTF-8 length', () => {
    fc.assert(
      fc.property(fc.constantFrom('é', '€', '𝄞', 'a'), fc.integer({ min: 1, max: 400 }), (ch, n) => {
        const cut = name(`/${encodeURIComponent(ch.repeat(n))}`);
        expect(Buffer.byteLength(tempCheckpointPathOf(cut))).toBeLessThanOrEqual(255);
        expect(cut).toBe(ch.repeat([...cut].length));
        expect(cut.length).toBeGreaterThan(0);
      }),
    );
  });

  it('R30: rdl <URL with a 10 000-character name> downloads it, with no ENAMETOOLONG on the way', async () => {
    const run = await runRdl([server.url(`/files/${longSegment}`)], dir());
    expect(run.code, run.stderr).toBe(0);
    const [saved] = await listDir(dir());
    expect(saved).toBe('a'.repeat(maxTargetNameBytes));
    expect(await fileSha256(join(dir(), saved ?? ''))).toBe(sha256(body));
  });

  it('R30: an -o name too long for its sidecars is refused before any request, exit 2', async () => {
    const run = await runRdl([server.url('/files/x.bin'), '-o', 'b'.repeat(maxTargetNameBytes + 1)], dir());
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /^rdl: invalid --output: the file name is 226 bytes;.* must be at most 225 \(ERR_INVALID_INPUT\)/,
    );
    expect(server.requests).toEqual([]);
    expect(await listDir(dir())).toEqual([]);
  });

  it('R30, R23: an -o or -d holding an unpaired surrogate (stored as U+FFFD, another name) is refused before any request, exit 2', async () => {
    // A shell cannot pass one (Node reads argv's bytes as UTF-8, a bad byte as U+FFFD): a caller of main(argv) can.
    for (const [flag, argv] of [
      ['--output', ['-o', 's\uD800x.bin']],
      ['--output', ['-o', 'sub\uDC00/x.bin']],
      ['--dir', ['-d', `${dir()}/\uDBFF`]],
    ] as const) {
      const run = await runCliInProcess([server.url('/files/x.bin'), ...argv], dir());
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toMatch(
        new RegExp(`^rdl: invalid ${flag}: .*unpaired surrogate \\(U\\+D[89A-F][0-9A-F]{2}\\)`),
      );
    }
    expect(server.requests).toEqual([]);
    expect(await listDir(dir())).toEqual([]);
  });

  it('R29, R30: a refusal names the flag typed, not the library option it became (--head-url, not headUrl)', async () => {
    const run = await runRdl([server.url('/files/x.bin'), '--head-url', 'http://u:p@other.example/x'], dir());
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^rdl: invalid --head-url: /);
    expect(server.requests).toEqual([]);
  });
});

describe('default file names without terminal controls (R38)', () => {
  it('R38: C1 controls (U+0080–U+009F) are replaced like C0 ones', () => {
    expect(name('/a%C2%9Bb%C2%80c%C2%9Fd.bin')).toBe('a_b_c_d.bin');
    expect(name('/%1B%5B2Jx%C2%9B2Jy')).toBe('_[2Jx_2Jy');
  });

  it('R38: bidi controls (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069) are replaced', () => {
    // "photo‮gpj.exe" shows as "photoexe.jpg" on a terminal that honours the override.
    expect(name('/photo%E2%80%AEgpj.exe')).toBe('photo_gpj.exe');
    const bidi = ['\u061c', '\u200e', '\u200f', '\u202a', '\u202b', '\u202c', '\u202d', '\u202e'];
    const isolates = ['\u2066', '\u2067', '\u2068', '\u2069'];
    for (const control of [...bidi, ...isolates]) {
      expect(name(`/a${encodeURIComponent(control)}b`)).toBe('a_b');
    }
  });

  it('R38: characters just outside those ranges are kept (U+00A1, é, Arabic, U+2065)', () => {
    expect(name('/%C2%A1x%C3%A9%D8%B9%E2%81%A5')).toBe('\u00a1xé\u0639\u2065');
  });
});

describe('rdl --create-dirs, as curl’s', () => {
  it('without it a missing folder of -o stays an error before any request, exit 2', async () => {
    const run = await runCliInProcess([server.url('/files/x.bin'), '-o', 'new/deeper/x.bin'], dir());
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/the folder .*new\/deeper does not exist \(ERR_INVALID_INPUT\)/);
    expect(await listDir(dir())).toEqual([]);
    expect(server.requests).toEqual([]);
  });

  it('makes the missing folders of -o’s path, mode 0750 less the umask, relative to -d too, then downloads', async () => {
    const run = await runCliInProcess(
      [server.url('/files/x.bin'), '-o', 'new/deeper/x.bin', '--create-dirs', '-q'],
      dir(),
    );
    expect(run.code, run.stderr).toBe(0);
    expect(await fileSha256(join(dir(), 'new', 'deeper', 'x.bin'))).toBe(sha256(body));
    const umask = process.umask();
    for (const folder of ['new', 'new/deeper'])
      expect((await stat(join(dir(), folder))).mode & 0o7777).toBe(0o750 & ~umask);
    await mkdir(join(dir(), 'base'));
    const inDir = await runCliInProcess(
      [server.url('/files/x.bin'), '-d', 'base', '-o', 'sub/x.bin', '--create-dirs', '-q'],
      dir(),
    );
    expect(inDir.code, inDir.stderr).toBe(0);
    expect(await listDir(join(dir(), 'base', 'sub'))).toEqual(['x.bin']);
  });

  it('R30: an -o it would refuse anyway (a trailing /) makes nothing; a file on the way is not a folder', async () => {
    const slash = await runCliInProcess([server.url('/files/x.bin'), '-o', 'a/b/', '--create-dirs'], dir());
    expect(slash.code).toBe(2);
    expect(await listDir(dir())).toEqual([]);
    await writeFile(join(dir(), 'file'), 'x');
    const through = await runCliInProcess(
      [server.url('/files/x.bin'), '-o', 'file/sub/x.bin', '--create-dirs'],
      dir(),
    );
    expect(through.code).toBe(2);
    expect(through.stderr).toMatch(/--create-dirs: .*file is not a folder \(ERR_INVALID_INPUT\)/);
    expect(server.requests).toEqual([]);
  });

  it('a list’s out= names with folders: made under -d with it, refused without; an out= leaving -d makes nothing', async () => {
    const list = `${server.url('/files/x.bin')}\n  out=one/two/x.bin\n`;
    await writeFile(join(dir(), 'list.txt'), list);
    await mkdir(join(dir(), 'to'));
    const without = await runCliInProcess(['-i', 'list.txt', '-d', 'to', '-q'], dir());
    expect(without.code).toBe(2);
    expect(without.stderr).toMatch(/does not exist/);
    expect(await listDir(join(dir(), 'to'))).toEqual([]);
    const made = await runCliInProcess(['-i', 'list.txt', '-d', 'to', '-q', '--create-dirs'], dir());
    expect(made.code, made.stderr).toBe(0);
    expect(await fileSha256(join(dir(), 'to', 'one', 'two', 'x.bin'))).toBe(sha256(body));
    await writeFile(join(dir(), 'escape.txt'), `${server.url('/files/x.bin')}\n  out=../out/x.bin\n`);
    const leaving = await runCliInProcess(['-i', 'escape.txt', '-d', 'to', '--create-dirs'], dir());
    expect(leaving.code).toBe(2);
    expect(await listDir(dir())).not.toContain('out');
  });

  it('--help names it', async () => {
    const run = await runCliInProcess(['--help'], dir());
    expect(run.stdout).toMatch(
      /--create-dirs {10}make the missing folders of -o's path.*\n.*\n.*\(default: a missing folder is an error\)/,
    );
  });
});
