import { chmod, chown, link, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { coveredBytes, decodeCheckpoint } from '@rdl/core/rules';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { queueFileName } from '../src/cli/runList.js';
import { runRdl, runRdlWithInput, spawnRdl } from './support/cliProcess.js';
import { useNginxSite } from './support/nginxSite.js';
import { expectUnchanged, makeVictim, nobody, plantSymlink } from './support/plant.js';
import { deadPid } from './support/processes.js';
import { sha256File, writeRandomFile } from './support/randomFile.js';
import { oneLine } from './support/refusal.js';
import { listDir } from './support/tempDir.js';

/**
 * `rdl` with several URLs or `-i` (issue 11): a list run as one queue (R45), against nginx. `/slow/` is paced at
 * 2 MB/s a connection, so that a kill finds some downloads done and others half-way.
 */

const MiB = 1024 * 1024;
const smallSize = 300 * 1024 + 11;
const slowSize = 8 * MiB;
const shas = new Map<string, string>();

const site = useNginxSite('list', '2m', async (root) => {
  for (const name of ['a.bin', 'b.bin', 'c.bin'])
    shas.set(name, await writeRandomFile(join(root, name), smallSize));
  for (const name of ['x.bin', 'y.bin']) shas.set(name, await writeRandomFile(join(root, name), slowSize));
});
const { folder } = site;

/** One failure line on stderr, no stack trace (R29). */
const connectionOf = (line: string): number => Number(/ conn=(\d+)/.exec(line)?.[1] ?? 0);
const sentOf = (line: string): number => Number(/ sent=(\d+)/.exec(line)?.[1] ?? 0);

describe('rdl with a list of URLs', () => {
  it('R45: several URLs and -d: every file exact in the folder, a summary, exit 0', async () => {
    const work = await folder();
    const out = join(work, 'out');
    await mkdir(out);
    const urls = ['a.bin', 'b.bin', 'c.bin'].map((name) => `${site.server.origin}/${name}`);
    const run = await runRdl([...urls, '-d', 'out', '-j', '2'], work);
    expect(run.code, run.stderr).toBe(0);
    for (const name of ['a.bin', 'b.bin', 'c.bin'])
      expect(await sha256File(join(out, name))).toBe(shas.get(name));
    expect(await listDir(out)).toEqual([queueFileName, 'a.bin', 'b.bin', 'c.bin']);
    expect(run.stderr).toMatch(/^rdl: 3 done, of 3$/m);
    expect(await listDir(work)).toEqual(['out']);
  });

  it('an input file: comments, blank lines, out= names; --json lines carry id and url; a summary event', async () => {
    const work = await folder();
    const list = [
      '# the shards',
      '',
      `${site.server.origin}/a.bin`,
      '  out=first.bin',
      `   ${site.server.origin}/b.bin`.trimStart(),
      '\tout=second.bin',
      `${site.server.origin}/c.bin`,
      '',
    ].join('\n');
    await writeFile(join(work, 'list.txt'), list);
    const run = await runRdl(['-i', 'list.txt', '--json'], work);
    expect(run.code, run.stderr).toBe(0);
    expect(await sha256File(join(work, 'first.bin'))).toBe(shas.get('a.bin'));
    expect(await sha256File(join(work, 'second.bin'))).toBe(shas.get('b.bin'));
    expect(await sha256File(join(work, 'c.bin'))).toBe(shas.get('c.bin'));
    const done = run.events.filter((e) => e.event === 'done');
    expect(done.map((e) => e.url).sort()).toEqual(
      ['a.bin', 'b.bin', 'c.bin'].map((n) => `${site.server.origin}/${n}`),
    );
    expect(new Set(done.map((e) => e.id)).size).toBe(3);
    expect(run.events.filter((e) => e.event !== 'summary').every((e) => typeof e.id === 'string')).toBe(true);
    expect(run.events.at(-1)).toEqual({
      event: 'summary',
      total: 3,
      done: 3,
      skipped: 0,
      failed: 0,
      paused: 0,
      failures: [],
    });
  });

  it.each([
    ['a line that is not a URL', (o: string) => `${o}/a.bin\nnot a url\n`, /line 2: not a URL/],
    ['an unsupported scheme', (o: string) => `ftp://x/y\n${o}/a.bin\n`, /line 1: unsupported scheme ftp:/],
    [
      'an out= that leaves the folder',
      (o: string) => `${o}/a.bin\n  out=../escape.bin\n`,
      /: line 2: out="\.\.\/escape\.bin" is not a file name/,
    ],
    [
      'an absolute out=',
      (o: string) => `${o}/a.bin\n  out=/etc/passwd\n`,
      /out="\/etc\/passwd" is not a file name/,
    ],
    [
      'an out= through a subfolder and back',
      (o: string) => `${o}/a.bin\n  out=sub/../../x\n`,
      /is not a file name/,
    ],
    [
      'two URLs to one file',
      (o: string) => `${o}/a.bin\n${o}/b.bin\n  out=a.bin\n`,
      /: line 3: .*a\.bin is also the file of line 1/,
    ],
    ['an unknown option', (o: string) => `${o}/a.bin\n  dir=/tmp\n`, /line 2: unknown option "dir="/],
    [
      'aria2 mirrors on one line',
      (o: string) => `${o}/a.bin\t${o}/b.bin\n`,
      /line 1: several URLs on one line/,
    ],
    [
      'a URL over 32 KiB, which a queue record would not hold (R45)',
      (o: string) => `${o}/a.bin\n${o}/b.bin?${'q'.repeat(40_000)}\n`,
      /line 2: a URL of 40\d{3} characters, more than the 32768 rdl takes/,
    ],
    [
      'a password in a bad URL is not shown (R37)',
      () => 'https://me:hunter2@[bad/x\n',
      /line 1: not a URL: "https:\/\/\[bad\/x"/,
    ],
  ])('R30: %s: exit 2, one line naming the line, no request, no file', async (_name, text, why) => {
    const work = await folder();
    await writeFile(join(work, 'list.txt'), text(site.server.origin));
    await mkdir(join(work, 'sub'));
    const before = (await site.server.accessLog()).length;
    const run = await runRdl(['-i', 'list.txt'], work);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(oneLine('ERR_INVALID_INPUT'));
    expect(run.stderr).toMatch(why);
    expect(run.stderr).not.toContain('hunter2');
    expect(await listDir(work)).toEqual(['list.txt', 'sub']);
    expect((await site.server.accessLog()).length).toBe(before);
  });

  it("R30: a file's bad lines and its bad out= names are refused together, on one line, by line, each at its own line", async () => {
    const work = await folder();
    const o = site.server.origin;
    await writeFile(join(work, 'list.txt'), `nope\n${o}/a.bin\n  out=../x\n${o}/b.bin\n  out=/etc/passwd\n`);
    const before = (await site.server.accessLog()).length;
    const run = await runRdl(['-i', 'list.txt'], work);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(oneLine('ERR_INVALID_INPUT'));
    expect(run.stderr).toMatch(
      /^rdl: invalid list: \S+list\.txt: line 1: not a URL: "nope"; line 3: out="\.\.\/x" is not a file name in \S+; line 5: out="\/etc\/passwd" is not a file name in \S+ \(ERR_INVALID_INPUT\)$/m,
    );
    expect(await listDir(work)).toEqual(['list.txt']);
    expect((await site.server.accessLog()).length).toBe(before);
  });

  it('R30: an input file that is not UTF-8 (a Latin-1 é) is refused at its line, never fetched or named with U+FFFD', async () => {
    const o = site.server.origin;
    for (const [list, line] of [
      [Buffer.concat([Buffer.from(`${o}/a.bin\n${o}/caf`), Buffer.from([0xe9]), Buffer.from('.bin\n')]), 2],
      [Buffer.concat([Buffer.from(`${o}/a.bin\n  out=caf`), Buffer.from([0xe9]), Buffer.from('.bin\n')]), 2],
    ] as const) {
      const work = await folder();
      await writeFile(join(work, 'list.txt'), list);
      const before = (await site.server.accessLog()).length;
      const run = await runRdl(['-i', 'list.txt'], work);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(
        new RegExp(
          `^rdl: invalid list: \\S+list\\.txt: line ${line}: not UTF-8 text \\(ERR_INVALID_INPUT\\)\\n$`,
        ),
      );
      expect(await listDir(work)).toEqual(['list.txt']);
      expect((await site.server.accessLog()).length).toBe(before);
    }
  });

  it('R30: -o, --sha256, --head-url and --refresh-command name one download: refused with a list', async () => {
    const work = await folder();
    const urls = [`${site.server.origin}/a.bin`, `${site.server.origin}/b.bin`];
    for (const extra of [
      ['-o', 'x'],
      ['--sha256', 'a'.repeat(64)],
      ['--head-url', urls[0]!],
      ['--refresh-command', 'echo x'],
    ]) {
      const run = await runRdl([...urls, ...extra], work);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(oneLine('ERR_INVALID_INPUT'));
    }
    for (const bad of [
      ['-j', '0'],
      ['-j', '65'],
      ['-d', 'missing'],
      ['-i', 'missing.txt'],
    ]) {
      const run = await runRdl([urls[0]!, ...bad], work);
      expect(run.code, bad.join(' ')).toBe(2);
    }
    expect(await listDir(work)).toEqual([]);
  });

  it('R45, R37: a listed file whose URL changed is fetched from the new one; no signature is stored or printed', async () => {
    const work = await folder();
    const secret = 'c2VjcmV0LXNpZ25hdHVyZQ';
    const signed = `${site.server.origin}/a.bin?X-Amz-Expires=900&X-Amz-Signature=${secret}`;
    await writeFile(join(work, 'list.txt'), `${signed}\n  out=f.bin\n${site.server.origin}/c.bin\n`);
    const first = await runRdl(['-i', 'list.txt', '--json'], work);
    expect(first.code, first.stderr).toBe(0);
    expect(await sha256File(join(work, 'f.bin'))).toBe(shas.get('a.bin'));
    expect(first.stdout + first.stderr).not.toContain(secret);
    const starts = first.events.filter((e) => e.event === 'start').map((e) => String(e.url));
    expect(starts).toContainEqual(
      expect.stringContaining('/a.bin?X-Amz-Expires=900&X-Amz-Signature=REDACTED'),
    );
    expect(await readFile(join(work, queueFileName), 'utf8')).not.toContain(secret);

    // Signed again: a new item for the queue, whose finished file is fetched again (its URL's query changed).
    const before = (await site.server.accessLog()).length;
    await writeFile(
      join(work, 'list.txt'),
      `${signed.replace('900', '901')}\n  out=f.bin\n${site.server.origin}/c.bin\n`,
    );
    const again = await runRdl(['-i', 'list.txt', '--json'], work);
    expect(again.code, again.stderr).toBe(0);
    expect(await sha256File(join(work, 'f.bin'))).toBe(shas.get('a.bin'));
    const gets = (await site.server.accessLog()).slice(before).filter((l) => l.startsWith('GET /a.bin'));
    expect(gets).toHaveLength(1);
    expect(sentOf(gets[0]!)).toBe(smallSize);

    // The same name from another URL: the finished file is of the old one, so it is fetched again, not skipped.
    await writeFile(
      join(work, 'list.txt'),
      `${site.server.origin}/b.bin\n  out=f.bin\n${site.server.origin}/c.bin\n`,
    );
    const second = await runRdl(['-i', 'list.txt', '--json'], work);
    expect(second.code, second.stderr).toBe(0);
    expect(await sha256File(join(work, 'f.bin'))).toBe(shas.get('b.bin'));
    expect(second.events.filter((e) => e.event === 'skipped').map((e) => e.target)).toEqual([
      join(work, 'c.bin'),
    ]);
  });

  it('one that fails does not stop the others: its code in the summary, exit 1', async () => {
    const work = await folder();
    const run = await runRdl(
      [`${site.server.origin}/a.bin`, `${site.server.origin}/missing.bin`, '--json'],
      work,
    );
    expect(run.code).toBe(1);
    expect(await sha256File(join(work, 'a.bin'))).toBe(shas.get('a.bin'));
    const summary = run.events.at(-1)!;
    expect(summary).toMatchObject({ event: 'summary', done: 1, failed: 1 });
    expect(summary.failures).toEqual([
      expect.objectContaining({ url: `${site.server.origin}/missing.bin`, code: 'ERR_HTTP_STATUS' }),
    ]);
    expect(run.stderr).toMatch(/missing\.bin: .*\(ERR_HTTP_STATUS\)/);
  });

  it('R45: killed mid-way and run again: finished files are not fetched again, unfinished ones resume from their bytes', async () => {
    const work = await folder();
    const names = ['a.bin', 'b.bin', 'x.bin', 'y.bin'];
    const list = names.map(
      (n) => `${site.server.origin}/${n.startsWith('x') || n.startsWith('y') ? 'slow/' : ''}${n}`,
    );
    await writeFile(join(work, 'list.txt'), `${list.join('\n')}\n`);
    // One connection each, so that the pace holds: 8 MiB at 2 MB/s is 4 s, a checkpoint each second.
    const first = spawnRdl(['-i', 'list.txt', '-j', '4', '-x', '1', '--json'], work);
    // Killed once both small files are done and both slow ones have a checkpoint with bytes.
    await first.waitFor(() => first.events.filter((e) => e.event === 'done').length >= 2);
    for (const deadline = Date.now() + 20_000; ; ) {
      if (Date.now() > deadline) throw new Error(`no checkpoint with bytes: ${await listDir(work)}`);
      const texts = await Promise.all(
        ['x.bin', 'y.bin'].map((n) => readFile(join(work, `${n}.rdl.json`), 'utf8').catch(() => '')),
      );
      if (texts.every((t) => /"ranges":\[\[0,[1-9]/.test(t))) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    first.child.kill('SIGKILL');
    await first.exit;
    let held = 0;
    for (const n of ['x.bin', 'y.bin']) {
      const decoded = decodeCheckpoint(await readFile(join(work, `${n}.rdl.json`), 'utf8'));
      if (E.isLeft(decoded)) throw new Error(`${n}: the checkpoint does not decode: ${decoded.left}`);
      held += coveredBytes(decoded.right.ranges);
    }
    expect(held).toBeGreaterThan(0);

    await site.server.setPaced(false);
    await fetch(`${site.server.origin}/a.bin`, { method: 'HEAD' });
    const marker = (await site.server.accessLog()).filter((l) => l.startsWith('HEAD /a.bin')).at(-1)!;
    const after = connectionOf(marker);
    // One connection again: a segmented run's cut requests would count what the socket buffers held as sent.
    const second = await runRdl(['-i', 'list.txt', '-x', '1', '--json'], work);
    expect(second.code, second.stderr).toBe(0);
    for (const n of names) expect(await sha256File(join(work, n))).toBe(shas.get(n));
    expect(await listDir(work)).toEqual([queueFileName, ...names, 'list.txt'].sort());
    const later = (await site.server.accessLog()).filter((l) => connectionOf(l) > after);
    expect(later.filter((l) => /^(GET|HEAD) \/(a|b)\.bin /.test(l))).toEqual([]);
    for (const n of ['x.bin', 'y.bin']) {
      const gets = later.filter((l) => l.startsWith(`GET /slow/${n} `));
      expect(gets.length).toBeGreaterThan(0);
      for (const line of gets) expect(line).toMatch(/range=bytes=[1-9]\d*-/);
    }
    expect(second.events.filter((e) => e.event === 'skipped').map((e) => e.url)).toEqual(
      ['a.bin', 'b.bin'].map((n) => `${site.server.origin}/${n}`),
    );
    // What nginx sent the second run is what the checkpoints did not hold, about.
    const resumed = later.filter((l) => l.startsWith('GET /slow/'));
    expect(resumed.reduce((sum, l) => sum + sentOf(l), 0)).toBeLessThanOrEqual(
      2 * slowSize - held + 0.05 * slowSize,
    );

    // A third run has nothing left to do, and fetches nothing.
    const before = (await site.server.accessLog()).length;
    const third = await runRdl(['-i', 'list.txt'], work);
    expect(third.code, third.stderr).toBe(0);
    expect(third.stderr).toMatch(/^rdl: 4 done \(4 already there\), of 4$/m);
    expect((await site.server.accessLog()).length).toBe(before);
  }, 60_000);

  it('R23, R45: a second rdl on a folder whose list runs is refused at once, exit 1, no request; the first finishes', async () => {
    const work = await folder();
    const urls = ['x.bin', 'y.bin'].map((n) => `${site.server.origin}/slow/${n}`);
    // One connection each (2 MB/s): some 4 s of work, far longer than the second run needs to be refused.
    const first = spawnRdl([...urls, '--json', '-x', '1'], work);
    await first.waitFor((e) => e.event === 'progress' && Number(e.bytes) > 0);
    const askedForA = async () =>
      (await site.server.accessLog()).filter((line) => line.includes(' /a.bin ')).length;
    const before = await askedForA();
    const second = await runRdl([...urls, `${site.server.origin}/a.bin`], work);
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(
      /^rdl: the list in \S+ is being run by another rdl \(\S+\.rdl-queue\.lock\)[^\n]* \(ERR_TARGET_BUSY\)\n$/,
    );
    // The first goes on asking for its pieces; the second asked for nothing, a.bin (its alone) included.
    expect(await askedForA()).toBe(before);
    await site.server.setPaced(false);
    const done = await first.exit;
    expect(done.code, done.stderr).toBe(0);
    for (const n of ['x.bin', 'y.bin']) expect(await sha256File(join(work, n))).toBe(shas.get(n));
    expect(await listDir(work)).toEqual([queueFileName, 'x.bin', 'y.bin']);
  }, 60_000);

  it('SIGINT twice: exit 130, no lock left behind, and the same command runs the list again and finishes', async () => {
    const work = await folder();
    const urls = ['x.bin', 'y.bin'].map((n) => `${site.server.origin}/slow/${n}`);
    const first = spawnRdl([...urls, '--json', '-x', '1'], work);
    await first.waitFor((e) => e.event === 'progress' && Number(e.bytes) > 0);
    first.child.kill('SIGINT');
    // Two signals at one instant are one to the process: the second comes while the first pauses (or once it has).
    await new Promise((resolve) => setTimeout(resolve, 20));
    first.child.kill('SIGINT');
    const stopped = await first.exit;
    expect(stopped.code, stopped.stderr).toBe(130);
    expect(await listDir(work)).not.toContain(`${queueFileName}.lock`);
    await site.server.setPaced(false);
    const again = await runRdl([...urls], work);
    expect(again.code, again.stderr).toBe(0);
    for (const n of ['x.bin', 'y.bin']) expect(await sha256File(join(work, n))).toBe(shas.get(n));
  }, 60_000);

  it('R24: SIGTERM pauses every download with its checkpoint saved, exit 143; the same command finishes', async () => {
    const work = await folder();
    const urls = ['x.bin', 'y.bin'].map((n) => `${site.server.origin}/slow/${n}`);
    const first = spawnRdl([...urls, '--json'], work);
    await first.waitFor((e) => e.event === 'progress' && Number(e.bytes) > 0);
    first.child.kill('SIGTERM');
    const stopped = await first.exit;
    expect(stopped.code, stopped.stderr).toBe(143);
    expect(stopped.stderr).toMatch(/paused; every checkpoint is saved/);
    const saved = await listDir(work);
    expect(saved).toEqual(
      expect.arrayContaining(['x.bin.part', 'x.bin.rdl.json', 'y.bin.part', 'y.bin.rdl.json']),
    );
    expect(saved.some((n) => n.endsWith('.lock'))).toBe(false);
    await site.server.setPaced(false);
    const second = await runRdl([...urls], work);
    expect(second.code, second.stderr).toBe(0);
    for (const n of ['x.bin', 'y.bin']) expect(await sha256File(join(work, n))).toBe(shas.get(n));
  }, 60_000);

  it('R31: a link planted at the queue file is never written through: the list still runs, in memory, and says so', async () => {
    const work = await folder();
    const victim = await makeVictim(join(await folder(), 'victim'));
    await plantSymlink(join(work, queueFileName), victim.path);
    const run = await runRdl([`${site.server.origin}/a.bin`, `${site.server.origin}/b.bin`], work);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/the stored queue could not be read .*symbolic link.*goes on in memory/);
    await expectUnchanged(victim);
    expect(await sha256File(join(work, 'a.bin'))).toBe(shas.get('a.bin'));
  });

  it.each([
    [
      'a subfolder another user owns',
      0o700,
      true,
      /sub belongs to another user, who could swap it for a link/,
    ],
    [
      'a subfolder in a folder all may write to, not sticky',
      0o777,
      false,
      /is writable by other users and not sticky: they could swap \S+sub for a link/,
    ],
  ])(
    'R31: out= through %s is refused before any request, exit 2: it could be swapped for a link while the list runs',
    async (_name, mode, byNobody, why) => {
      const work = await folder();
      const dir = join(work, 'shared');
      await mkdir(join(dir, 'sub'), { recursive: true });
      await chmod(dir, mode);
      if (byNobody) await chown(join(dir, 'sub'), nobody.uid, nobody.gid);
      const before = (await site.server.accessLog()).length;
      const listed = await runRdlWithInput(
        ['-i', '-', '-d', dir],
        work,
        `${site.server.origin}/a.bin\n  out=sub/x.bin\n`,
      );
      expect(listed.code).toBe(2);
      expect(listed.stderr).toMatch(oneLine('ERR_INVALID_INPUT'));
      expect(listed.stderr).toMatch(why);
      expect((await site.server.accessLog()).length).toBe(before);
      expect(await listDir(join(dir, 'sub'))).toEqual([]);
    },
  );

  it("R31: -d through a symbolic link to a folder of yours, and a subfolder of your own group's writable folder, are taken", async () => {
    const work = await folder();
    const real = join(work, 'real');
    await mkdir(join(real, 'sub'), { recursive: true });
    await chmod(real, 0o770);
    await chown(real, process.getuid!(), process.getgid!());
    await symlink(real, join(work, 'link'));
    const run = await runRdlWithInput(
      ['-i', '-', '-d', join(work, 'link')],
      work,
      `${site.server.origin}/a.bin\n  out=sub/x.bin\n`,
    );
    expect(run.code, run.stderr).toBe(0);
    expect(await sha256File(join(real, 'sub', 'x.bin'))).toBe(shas.get('a.bin'));
  });

  it('R31: out= through a subfolder of a folder another group may write to, not sticky, is refused', async () => {
    const work = await folder();
    const dir = join(work, 'shared');
    await mkdir(join(dir, 'sub'), { recursive: true });
    await chmod(dir, 0o770);
    await chown(dir, process.getuid!(), nobody.gid);
    const run = await runRdlWithInput(
      ['-i', '-', '-d', dir],
      work,
      `${site.server.origin}/a.bin\n  out=sub/x.bin\n`,
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/is writable by other users and not sticky/);
  });

  it('R31: out= through a subfolder of yours in a sticky folder all may write to (/tmp as it is) is taken', async () => {
    const work = await folder();
    const dir = join(work, 'shared');
    await mkdir(join(dir, 'sub'), { recursive: true });
    await chmod(dir, 0o1777);
    const run = await runRdlWithInput(
      ['-i', '-', '-d', dir],
      work,
      `${site.server.origin}/a.bin\n  out=sub/x.bin\n`,
    );
    expect(run.code, run.stderr).toBe(0);
    expect(await sha256File(join(dir, 'sub', 'x.bin'))).toBe(shas.get('a.bin'));
  });

  it("R31: a link planted at the list's lock: refused, exit 1, ERR_UNSAFE_PATH, no request, the link's target untouched", async () => {
    const work = await folder();
    const victim = await makeVictim(join(await folder(), 'victim'));
    await plantSymlink(join(work, `${queueFileName}.lock`), victim.path);
    const before = (await site.server.accessLog()).length;
    const run = await runRdl([`${site.server.origin}/a.bin`, `${site.server.origin}/b.bin`], work);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^rdl: \S+\.rdl-queue\.lock: [^\n]+ \(ERR_UNSAFE_PATH\)\n$/);
    await expectUnchanged(victim);
    expect((await site.server.accessLog()).length).toBe(before);
    expect(await listDir(work)).toEqual([`${queueFileName}.lock`]);
  });

  it('R19, R23, R31: a list run killed mid-way through taking its lock (two links) and mid-way through a journal rewrite runs again: the lock taken over, every temp file swept, a link at a temp name untouched', async () => {
    const work = await folder();
    const victim = await makeVictim(join(await folder(), 'victim'));
    const lock = join(work, `${queueFileName}.lock`);
    // Killed between linking the lock and removing its temp name; before linking another; mid-rewrite of the journal.
    await writeFile(
      `${lock}.0123456789abcdef.tmp`,
      JSON.stringify({ pid: await deadPid(), hostname: hostname() }),
    );
    await link(`${lock}.0123456789abcdef.tmp`, lock);
    await writeFile(
      `${lock}.1123456789abcdef.tmp`,
      JSON.stringify({ pid: await deadPid(), hostname: hostname() }),
    );
    await writeFile(join(work, `${queueFileName}.2123456789abcdef.tmp`), '{"i":"a","t":"x"}\n');
    const planted = join(work, `${queueFileName}.3123456789abcdef.tmp`);
    await plantSymlink(planted, victim.path);
    const run = await runRdl([`${site.server.origin}/a.bin`, `${site.server.origin}/b.bin`], work);
    expect(run.code, run.stderr).toBe(0);
    expect(await sha256File(join(work, 'a.bin'))).toBe(shas.get('a.bin'));
    expect(await listDir(work)).toEqual([
      queueFileName,
      `${queueFileName}.3123456789abcdef.tmp`,
      'a.bin',
      'b.bin',
    ]);
    await expectUnchanged(victim);
  });

  it("R31: a link another user planted at a listed file's name: exit 2 with its line, before any request", async () => {
    const work = await folder();
    const victim = await makeVictim(join(await folder(), 'victim'));
    await plantSymlink(join(work, 'b.bin'), victim.path);
    const before = (await site.server.accessLog()).length;
    const run = await runRdl([`${site.server.origin}/a.bin`, `${site.server.origin}/b.bin`], work);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(oneLine('ERR_INVALID_INPUT'));
    expect(run.stderr).toMatch(
      /URL 2 of the command line: refused to use .*b\.bin: it is a symbolic link of uid 65534/,
    );
    expect((await site.server.accessLog()).length).toBe(before);
    expect(await listDir(work)).toEqual(['b.bin']);
    await expectUnchanged(victim);
  });
});
