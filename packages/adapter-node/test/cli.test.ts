import { spawnSync } from 'node:child_process';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { bytesOf, rdlBin, runRdl, spawnRdl } from './support/cliProcess.js';
import { generateBytes, sha256 } from './support/faultServer.js';
import { useFaultServer } from './support/faultServerFixture.js';
import { useNginxSite } from './support/nginxSite.js';
import { sha256File, writeRandomFile } from './support/randomFile.js';
import { oneLine } from './support/refusal.js';
import { listDir } from './support/tempDir.js';

const MiB = 1024 * 1024;
const smallSize = 3 * MiB + 17;
/** 40 MiB at 10 MB/s: long enough to signal the command mid-way. */
const slowSize = 40 * MiB;
/** 8 MiB at 10 MB/s: most of a second, several redraws of a progress bar (cli-progress draws 10 a second). */
const barSize = 8 * MiB;

let smallSha: string;
let slowSha: string;
let barSha: string;

const site = useNginxSite('cli', '10m', async (root) => {
  smallSha = await writeRandomFile(join(root, 'small.bin'), smallSize);
  slowSha = await writeRandomFile(join(root, 'slow.bin'), slowSize);
  barSha = await writeRandomFile(join(root, 'bar.bin'), barSize);
  await mkdir(join(root, 'files'));
  await writeRandomFile(join(root, 'files', 'my report:2024.bin'), 1000);
  await writeRandomFile(join(root, 'files', '.profile'), 1000);
});
const { folder } = site;

/** One failure line on stderr, no stack trace (R29). */

describe('rdl: bad input fails before any request and creates no file (R30)', () => {
  const cases: ReadonlyArray<readonly [string, (url: string) => string[]]> = [
    ['not a URL', () => ['not a url']],
    ['a relative path for a URL', () => ['files/small.bin']],
    ['an unsupported scheme (ftp)', () => ['ftp://127.0.0.1/small.bin']],
    ['an unsupported scheme (file)', () => ['file:///etc/passwd']],
    ['a --head-url that is not a URL', (url) => [url, '--head-url', 'nope']],
    ['a --head-url with an unsupported scheme', (url) => [url, '--head-url', 'data:text/plain,x']],
    ['an output in a missing folder', (url) => [url, '-o', 'missing/out.bin']],
    ['an output that is a folder', (url) => [url, '-o', 'sub']],
    ['an output ending in a separator', (url) => [url, '-o', 'newdir/']],
    ['a negative --retries', (url) => [url, '--retries', '-1']],
    ['a negative --retries=', (url) => [url, '--retries=-3']],
    ['a non-numeric --retries', (url) => [url, '--retries', 'many']],
    ['a fractional --retries', (url) => [url, '--retries', '1.5']],
    ['a negative --stall-timeout', (url) => [url, '--stall-timeout', '-5']],
    ['a zero --stall-timeout', (url) => [url, '--stall-timeout', '0']],
    ['a non-numeric --stall-timeout', (url) => [url, '--stall-timeout', 'soon']],
    ['an unknown --on-change policy', (url) => [url, '--on-change', 'ignore']],
    ['a --sha256 that is not 64 hex digits', (url) => [url, '--sha256', 'abc']],
    ['an unknown option', (url) => [url, '--fast']],
    ['no URL', () => []],
    ['the same URL twice (one file for both)', (url) => [url, url]],
  ];

  it.each(cases)(
    'R30: %s: exit 2, one ERR_INVALID_INPUT line, no request, no file',
    async (_name, argsOf) => {
      const dir = await folder();
      await mkdir(join(dir, 'sub'));
      const requestsBefore = (await site.server.accessLog()).length;
      const run = await runRdl(argsOf(`${site.server.origin}/small.bin`), dir);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(oneLine('ERR_INVALID_INPUT'));
      expect(run.stdout).toBe('');
      expect(await listDir(dir)).toEqual(['sub']);
      expect(await listDir(join(dir, 'sub'))).toEqual([]);
      expect((await site.server.accessLog()).length).toBe(requestsBefore);
    },
  );

  it('R30: with --json, bad input is also an error event on stdout', async () => {
    const dir = await folder();
    const run = await runRdl(['ftp://127.0.0.1/x', '--json'], dir);
    expect(run.code).toBe(2);
    expect(run.events).toEqual([{ event: 'error', code: 'ERR_INVALID_INPUT', message: expect.any(String) }]);
    expect(run.stdout.split('\n').filter((l) => l !== '')).toHaveLength(1);
    expect(await listDir(dir)).toEqual([]);
  });
});

describe('rdl: output', () => {
  it('R28: --json prints exactly the documented lines: start, progress, done', async () => {
    const dir = await folder();
    const run = await runRdl([`${site.server.origin}/small.bin`, '-o', 'out.bin', '--json'], dir);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    const lines = run.stdout.split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((l) => JSON.parse(l))).toEqual(run.events);

    expect(run.events[0]).toEqual({ event: 'start', resumedFrom: 0, total: smallSize });
    expect(run.events.at(-1)).toEqual({ event: 'done', bytes: smallSize, sha256: smallSha, checks: [] });
    const progress = run.events.slice(1, -1);
    expect(progress.length).toBeGreaterThan(0);
    let last = 0;
    for (const p of progress) {
      expect(Object.keys(p).sort()).toEqual([
        'bytes',
        'bytesPerSecond',
        'connections',
        'etaSeconds',
        'event',
        'total',
      ]);
      expect(p).toMatchObject({ event: 'progress', total: smallSize });
      expect(Number(p.connections)).toBeGreaterThanOrEqual(1);
      expect(Number(p.connections)).toBeLessThanOrEqual(16);
      expect(Number(p.bytes)).toBeGreaterThanOrEqual(last);
      expect(Number(p.bytes)).toBeLessThanOrEqual(smallSize);
      expect(Number.isFinite(p.bytesPerSecond)).toBe(true);
      expect(p.etaSeconds === null || Number.isFinite(p.etaSeconds)).toBe(true);
      last = Number(p.bytes);
    }
    expect(await sha256File(join(dir, 'out.bin'))).toBe(smallSha);
    expect(await listDir(dir)).toEqual(['out.bin']);
  });

  it('R19: success exits 0 and leaves only the file; off a terminal the steps are plain lines, no bar, no sha256', async () => {
    const dir = await folder();
    const run = await runRdl([`${site.server.origin}/small.bin`, '-o', 'out.bin'], dir);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('');
    // biome-ignore lint/suspicious/noControlCharactersInRegex: no cursor movement or colour off a terminal
    expect(run.stderr).not.toMatch(/[\r\u001b]/);
    expect(run.stderr).toContain(
      `rdl: downloading ${site.server.origin}/small.bin to ${join(dir, 'out.bin')}`,
    );
    // Without --sha256 or --json nothing uses a hash, so none is computed and none is shown.
    expect(run.stderr.endsWith(`rdl: saved ${join(dir, 'out.bin')} (3.0 MiB)\n`)).toBe(true);
    expect(run.stderr).not.toContain('sha256');
    expect(await sha256File(join(dir, 'out.bin'))).toBe(smallSha);
    expect(await listDir(dir)).toEqual(['out.bin']);
  });

  it('R28: on a terminal, a progress bar with percent, bytes, speed and ETA, then the saved line', async () => {
    const dir = await folder();
    // util-linux `script` gives the command a pseudo-terminal, as a user's shell would.
    const command = [process.execPath, rdlBin, `${site.server.origin}/slow/bar.bin`, '-o', 'out.bin']
      .map((a) => `'${a}'`)
      .join(' ');
    const run = spawnSync('script', ['-qec', command, '/dev/null'], { cwd: dir, encoding: 'utf8' });
    expect(run.status).toBe(0);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the bar's cursor and erase sequences
    const screen = run.stdout.replace(/\u001b(\[[0-9;?]*[a-zA-Z]|[78])/g, '');
    expect(screen).toMatch(/\d+\.\d % \| +[\d.]+ MiB \/ 8\.0 MiB \| +[\d.]+ MiB\/s \| ETA \d+s/);
    // The bar was drawn on the way, not only at the end.
    const percents = [...screen.matchAll(/(\d+\.\d) % \|/g)].map((match) => Number(match[1]));
    expect(percents.some((percent) => percent > 0 && percent < 100)).toBe(true);
    expect(screen).toMatch(/100\.0 % \| +8\.0 MiB \/ 8\.0 MiB/);
    expect(screen).toContain(`rdl: saved ${join(dir, 'out.bin')} (8.0 MiB)`);
    expect(screen).not.toContain('sha256');
    expect(await sha256File(join(dir, 'out.bin'))).toBe(barSha);
    expect(await listDir(dir)).toEqual(['out.bin']);
  });

  it('R27: --sha256 that matches: exit 0, and the saved line shows the checked sha256', async () => {
    const dir = await folder();
    const run = await runRdl([`${site.server.origin}/small.bin`, '-o', 'out.bin', '--sha256', smallSha], dir);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(
      `rdl: saved ${join(dir, 'out.bin')} (3.0 MiB, sha256 ${smallSha}, checked sha256 (caller))`,
    );
    expect(await listDir(dir)).toEqual(['out.bin']);
  });

  it('R27, R29: --sha256 that does not match: one ERR_INTEGRITY line, exit 1, no file under the target name', async () => {
    const dir = await folder();
    const wrong = '0'.repeat(64);
    const run = await runRdl(
      [`${site.server.origin}/small.bin`, '-o', 'out.bin', '--sha256', wrong, '-q'],
      dir,
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(oneLine('ERR_INTEGRITY'));
    expect(run.stderr).toContain(wrong);
    expect(run.stderr).toContain(smallSha);
    expect(await listDir(dir)).not.toContain('out.bin');
  });

  it('R27: --sha256 that does not match, with --json: the error event is ERR_INTEGRITY, no done event, exit 1', async () => {
    const dir = await folder();
    const wrong = 'e'.repeat(64);
    const run = await runRdl(
      [`${site.server.origin}/small.bin`, '-o', 'out.bin', '--sha256', wrong, '--json'],
      dir,
    );
    expect(run.code).toBe(1);
    expect(run.events.at(-1)).toMatchObject({ event: 'error', code: 'ERR_INTEGRITY' });
    expect(run.events.some((e) => e.event === 'done')).toBe(false);
    expect(await listDir(dir)).not.toContain('out.bin');
  });

  it('--quiet prints nothing on success', async () => {
    const dir = await folder();
    const run = await runRdl([`${site.server.origin}/small.bin`, '-o', 'out.bin', '--quiet'], dir);
    expect(run).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect(await sha256File(join(dir, 'out.bin'))).toBe(smallSha);
  });

  it('R29: --quiet still prints the one failure line: HTTP 404 is ERR_HTTP_STATUS, exit 1, no stack trace', async () => {
    const dir = await folder();
    const run = await runRdl([`${site.server.origin}/missing.bin`, '-o', 'out.bin', '--quiet'], dir);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(oneLine('ERR_HTTP_STATUS'));
    expect(run.stderr).toContain('404');
    expect(run.stderr).not.toMatch(/^\s+at /m);
    // R19: a failure with no byte saved leaves nothing behind.
    expect(await listDir(dir)).toEqual([]);
  });

  it('R29: a refused connection is one ERR_RETRIES_EXHAUSTED line with --retries 0', async () => {
    const dir = await folder();
    const run = await runRdl(['http://127.0.0.1:1/x.bin', '-o', 'out.bin', '--retries', '0', '--json'], dir);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(oneLine('ERR_RETRIES_EXHAUSTED'));
    expect(run.events.at(-1)).toMatchObject({ event: 'error', code: 'ERR_RETRIES_EXHAUSTED' });
    expect(await listDir(dir)).toEqual([]);
  });
});

describe('rdl: the default file name is the URL path’s last segment, made safe', () => {
  it('characters no file system takes become _, in the current folder', async () => {
    const dir = await folder();
    const run = await runRdl([`${site.server.origin}/files/my%20report%3A2024.bin?sig=1#x`, '--quiet'], dir);
    expect(run.code).toBe(0);
    expect(await listDir(dir)).toEqual(['my report_2024.bin']);
  });

  it('a hidden name is not hidden: .profile becomes profile', async () => {
    const dir = await folder();
    const run = await runRdl([`${site.server.origin}/files/.profile`, '--quiet'], dir);
    expect(run.code).toBe(0);
    expect(await listDir(dir)).toEqual(['profile']);
  });
});

describe('rdl: signals pause with the checkpoint saved (R24)', () => {
  const pausedRun = async (signal: 'SIGINT' | 'SIGTERM') => {
    const dir = await folder();
    const url = `${site.server.origin}/slow/slow.bin`;
    const args = [url, '-o', 'out.bin', '--json'];
    const run = spawnRdl(args, dir);
    expect(await run.waitFor((e) => bytesOf(e) >= slowSize * 0.25)).not.toBeNull();
    run.child.kill(signal);
    const exit = await run.exit;
    // The run that resumes needs no pace: nginx serves it at full speed.
    await site.server.setPaced(false);
    return { dir, url, args, exit };
  };

  it('SIGINT: exit 130, the checkpoint and part file saved, how to resume printed; the same command resumes', async () => {
    const { dir, url, args, exit } = await pausedRun('SIGINT');
    expect(exit.code).toBe(130);
    expect(exit.stderr).toContain('rdl: paused at ');
    expect(exit.stderr).toContain(`rdl ${url} -o out.bin --json`);
    expect(exit.events.some((e) => e.event === 'error' || e.event === 'done')).toBe(false);
    // Paused: part file and checkpoint, the lock released.
    expect(await listDir(dir)).toEqual(['out.bin.part', 'out.bin.rdl.json']);
    const checkpoint = JSON.parse(await readFile(join(dir, 'out.bin.rdl.json'), 'utf8')) as {
      ranges: [number, number][];
    };
    // However many ranges the connections left, their sum is what was saved.
    const saved = checkpoint.ranges.reduce((sum, [start, end]) => sum + end - start, 0);
    const lastReported = Math.max(...exit.events.map(bytesOf));
    // The pause checkpointed every byte reported written, not only the last periodic save.
    expect(saved).toBeGreaterThanOrEqual(lastReported);
    const farthest = Math.max(...checkpoint.ranges.map(([, end]) => end));
    expect(farthest).toBeLessThanOrEqual((await stat(join(dir, 'out.bin.part'))).size);

    const again = await runRdl(args, dir);
    expect(again.code).toBe(0);
    expect(again.events[0]).toEqual({ event: 'start', resumedFrom: saved, total: slowSize });
    expect(again.events.at(-1)).toEqual({ event: 'done', bytes: slowSize, sha256: slowSha, checks: [] });
    expect(await listDir(dir)).toEqual(['out.bin']);
  });

  it('SIGTERM: exit 143, checkpoint saved, then resumable to the right bytes', async () => {
    const { dir, args, exit } = await pausedRun('SIGTERM');
    expect(exit.code).toBe(143);
    expect(await listDir(dir)).toEqual(['out.bin.part', 'out.bin.rdl.json']);
    const again = await runRdl(args, dir);
    expect(again.code).toBe(0);
    expect(Number(again.events[0]?.resumedFrom)).toBeGreaterThan(0);
    expect(await sha256File(join(dir, 'out.bin'))).toBe(slowSha);
  });
});

describe('rdl: the reader of stdout gone (R24)', () => {
  it('R24: rdl --json | head -1: once the reader is gone, exit 141 (SIGPIPE), the checkpoint saved', async () => {
    const dir = await folder();
    const run = spawnRdl([`${site.server.origin}/slow/slow.bin`, '-o', 'out.bin', '--json'], dir);
    expect(await run.waitFor((e) => bytesOf(e) > 0)).not.toBeNull();
    // As `head` does once it has its line: its end of the pipe closed, the next line written is EPIPE.
    run.child.stdout?.destroy();
    const exit = await run.exit;
    expect(exit.code).toBe(141);
    expect(exit.stderr).toContain('rdl: paused at ');
    expect(await listDir(dir)).toEqual(['out.bin.part', 'out.bin.rdl.json']);
  });
});

describe('rdl: one target, one download (R23)', () => {
  const faults = useFaultServer();
  const held = generateBytes(3 * MiB, 23);
  faults.serve('/held.bin', held);

  it('R23: a second rdl on a target being downloaded fails with ERR_TARGET_BUSY; the first ends whole', async () => {
    const dir = await folder();
    // The first run's answer stops half-way and goes on only once the second was refused: it holds the lock
    // throughout, however slowly either process starts.
    let release: () => void = () => undefined;
    const refused = new Promise<void>((resolve) => {
      release = resolve;
    });
    faults.fail({ kind: 'stall', at: held.length / 2, until: refused }, { method: 'GET' });
    const args = [faults.url('/held.bin'), '-o', 'out.bin', '--json'];
    const first = spawnRdl(args, dir);
    expect(await first.waitFor((e) => bytesOf(e) > 0)).not.toBeNull();
    const second = await runRdl(args, dir);
    release();
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(oneLine('ERR_TARGET_BUSY'));
    expect(second.events).toEqual([
      { event: 'error', code: 'ERR_TARGET_BUSY', message: expect.stringContaining('busy') },
    ]);
    const done = await first.exit;
    expect(done.code).toBe(0);
    expect(done.events.at(-1)).toEqual({
      event: 'done',
      bytes: held.length,
      sha256: sha256(held),
      checks: [],
    });
    expect(await listDir(dir)).toEqual(['out.bin']);
  });
});

describe('rdl: installed as a command', () => {
  const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

  it('./node_modules/.bin/rdl at the repository root runs the built command', () => {
    const run = spawnSync(join(repoRoot, 'node_modules/.bin/rdl'), ['--version'], { encoding: 'utf8' });
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^rdl \d+\.\d+\.\d+\n$/);
  });

  it('--help prints the usage on stdout and exits 0', () => {
    const run = spawnSync(process.execPath, [rdlBin, '--help'], { encoding: 'utf8' });
    expect(run.status).toBe(0);
    for (const option of [
      '-o',
      '--head-url',
      '--on-change',
      '--retries',
      '--stall-timeout',
      '--sha256',
      '--quiet',
      '--json',
    ]) {
      expect(run.stdout).toContain(option);
    }
    // When the SHA-256 costs its CPU time is the user's to know.
    expect(run.stdout.replace(/\s+/g, ' ')).toContain(
      'SHA-256 is computed only when it is used: with --sha256 (checked, then shown on the saved line) or --json (in the done event)',
    );
  });
});
