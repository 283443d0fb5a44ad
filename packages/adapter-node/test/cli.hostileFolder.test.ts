import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, chown, lchown, mkdir, readFile, rename, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createDownload } from '../src/createDownload.js';
import { checkpointPathOf } from '../src/FileCheckpointStore.js';
import { lockPathOf, partPathOf } from '../src/FsStorage.js';
import { assertBuilt, rdlBin, runRdl, spawnRdl } from './support/cliProcess.js';
import { generateBytes, sha256 } from './support/faultServer.js';
import { useFaultServer } from './support/faultServerFixture.js';
import {
  expectUnchanged,
  makeVictim,
  nobody,
  plantHardLink,
  plantSymlink,
  useHostileFolder,
  type Victim,
} from './support/plant.js';
import { listDir, useTempDir } from './support/tempDir.js';

const size = 3 * 1024 * 1024;
const body = generateBytes(size, 53);
const server = useFaultServer();
server.serve('/x.bin', body);

/** How many pids ahead temp names are planted at, and how many saves of each pid. */
const pidsAhead = 1_000;
const savesPerPid = 3;

const folder = useHostileFolder();

type Plant = (path: string, to: string) => Promise<void>;

/** Where Linux starts again once pids reach pid_max (RESERVED_PIDS in kernel/pid.c). */
const firstPidAfterWrap = 300;

/**
 * The `count` pids the next processes will get: Linux hands them out in order after the last one, skips those in
 * use, and wraps at pid_max to 300 (a CI run met the wrap, with the last pid at 32 440 of 32 768).
 */
const nextPids = async (count: number): Promise<number[]> => {
  const last = Number(await readFile('/proc/sys/kernel/ns_last_pid', 'utf8'));
  const max = Number(await readFile('/proc/sys/kernel/pid_max', 'utf8'));
  const pids: number[] = [];
  for (let pid = last + 1, tried = 0; pids.length < count && tried < max; pid += 1, tried += 1) {
    if (pid >= max) pid = firstPidAfterWrap;
    if (!existsSync(`/proc/${pid}`)) pids.push(pid);
  }
  return pids;
};

/**
 * What another user prepares: at each of `names` (`part`, `lock`, `checkpoint`) a link to a file of its own, and
 * at the checkpoint temp names earlier versions used (`<target>.rdl.json.<pid>.<n>.tmp`) for the next `pidsAhead`
 * pids, links to one more file. Returns the victims and the range of pids covered.
 */
const prepare = async (
  plant: Plant,
  names: readonly ('part' | 'lock' | 'checkpoint')[],
): Promise<{ victims: Victim[]; pids: readonly number[] }> => {
  const target = join(folder.dir(), 'x.bin');
  const paths = { part: partPathOf(target), lock: lockPathOf(target), checkpoint: checkpointPathOf(target) };
  const planted: Victim[] = [];
  for (const name of names) {
    const victim = await makeVictim(join(folder.outside(), name));
    await plant(paths[name], victim.path);
    planted.push(victim);
  }
  const temps = await makeVictim(join(folder.outside(), 'temps'));
  planted.push(temps);
  const pids = await nextPids(pidsAhead);
  const tempNames: string[] = [];
  for (const pid of pids) {
    for (let n = 1; n <= savesPerPid; n += 1) tempNames.push(`${paths.checkpoint}.${pid}.${n}.tmp`);
  }
  // All at once: the sooner the run starts, the fewer of the pids planted for are taken by other processes.
  await Promise.all(tempNames.map((name) => plant(name, temps.path)));
  return { victims: planted, pids };
};

const run = async (pids: readonly number[]) => {
  const child = spawnRdl([server.url('/x.bin'), '-o', 'x.bin'], folder.dir());
  // The run must be one the planted temp names were aimed at, or it proves nothing of them.
  expect(pids).toContain(child.child.pid);
  return child.exit;
};

const plants: readonly [string, Plant][] = [
  ['symbolic links', plantSymlink],
  ['hard links', plantHardLink],
];

describe('rdl as root in a folder owned by nobody, with links planted (R31)', () => {
  it.each(plants)(
    'R31: %s at every sidecar name and at the temp names of the next 1 000 pids: refused, every link target unchanged',
    async (_name, plant) => {
      const { victims: planted, pids } = await prepare(plant, ['part', 'lock', 'checkpoint']);
      const exit = await run(pids);
      expect(exit.code, exit.stderr).toBe(1);
      expect(exit.stderr).toMatch(/refused to use .*x\.bin\.lock: .*\(ERR_UNSAFE_PATH\)/);
      for (const victim of planted) await expectUnchanged(victim);
      expect(server.requests).toEqual([]);
      const names = await listDir(folder.dir());
      expect(names.length).toBe(3 + pidsAhead * savesPerPid);
      expect(names).not.toContain('x.bin');
    },
  );

  it.each(plants)(
    'R31, R33: %s at the checkpoint and the next 1 000 pids’ temp names: the download completes, no link target changes',
    async (_name, plant) => {
      const { victims: planted, pids } = await prepare(plant, ['checkpoint']);
      const exit = await run(pids);
      expect(exit.code, exit.stderr).toBe(0);
      // The planted checkpoint was not read: it counts as torn, and the first save replaced it by a rename.
      expect(exit.stderr).toMatch(/the checkpoint was unreadable \(refused to use .*x\.bin\.rdl\.json: it /);
      expect(sha256(await readFile(join(folder.dir(), 'x.bin')))).toBe(sha256(body));
      for (const victim of planted) await expectUnchanged(victim);
      // The planted temp names are no files of rdl's: the sweep leaves them, and nothing else remains.
      const names = await listDir(folder.dir());
      expect(names.filter((name) => !/^x\.bin\.rdl\.json\.\d+\.\d+\.tmp$/.test(name))).toEqual(['x.bin']);
      expect(names.length).toBe(1 + pidsAhead * savesPerPid);
    },
  );

  it('R19, R30: a folder at <target>.rdl.json: refused before any request (ERR_UNSAFE_PATH, one line, no restart notice), left as it is, no file made', async () => {
    await mkdir(checkpointPathOf(join(folder.dir(), 'x.bin')));
    const exit = await runRdl([server.url('/x.bin'), '-o', 'x.bin'], folder.dir());
    expect(exit.code, exit.stderr).toBe(1);
    expect(exit.stderr).toMatch(
      /^rdl: refused to use .*x\.bin\.rdl\.json: it is a folder, [^\n]*\(ERR_UNSAFE_PATH\)\n$/,
    );
    expect(server.requests).toEqual([]);
    expect(await listDir(folder.dir())).toEqual(['x.bin.rdl.json']);
  });

  it('R22: a torn checkpoint is told once, with why (its notice), not a second time as a restart; the file is fetched whole', async () => {
    await writeFile(checkpointPathOf(join(folder.dir(), 'x.bin')), '{"version":1,"url":');
    const exit = await runRdl([server.url('/x.bin'), '-o', 'x.bin'], folder.dir());
    expect(exit.code, exit.stderr).toBe(0);
    const told = exit.stderr.split('\n').filter((line) => /checkpoint/.test(line));
    expect(told).toEqual([
      expect.stringMatching(/^rdl: the checkpoint was unreadable \(.*\): starting afresh$/),
    ]);
    expect(sha256(await readFile(join(folder.dir(), 'x.bin')))).toBe(sha256(body));
  });

  it('R31: a link at <target>.part alone: refused before any byte is written, the file it names unchanged', async () => {
    const { victims: planted, pids } = await prepare(plantSymlink, ['part']);
    const exit = await run(pids);
    expect(exit.code, exit.stderr).toBe(1);
    expect(exit.stderr).toMatch(/refused to use .*x\.bin\.part: it is a symbolic link.*\(ERR_UNSAFE_PATH\)/);
    for (const victim of planted) await expectUnchanged(victim);
    expect(server.requests).toEqual([]);
  });
});

describe('rdl as root through folders another user could swap for a link (R31)', () => {
  const tempRoot = useTempDir('rdl-swap-');

  /** `shared`, nobody's, holding root's `sub`; a victim folder of root's elsewhere with a file of each name. */
  const layout = async () => {
    const shared = join(tempRoot(), 'shared');
    await mkdir(join(shared, 'sub'), { recursive: true });
    await chown(shared, nobody.uid, nobody.gid);
    const victims = join(tempRoot(), 'victims');
    await mkdir(victims);
    const passwd = await makeVictim(join(victims, 'passwd'));
    return { shared, victims, passwd };
  };

  it("R31: a folder of root's inside nobody's (nobody could move it and put a link to /etc there): refused before any request, as it is and once swapped", async () => {
    const { shared, victims, passwd } = await layout();
    const first = await runRdl([server.url('/x.bin'), '-o', join(shared, 'sub', 'passwd')], tempRoot());
    expect(first.code).toBe(1);
    expect(first.stderr).toMatch(
      /shared\/sub is in .*shared, which another user may write: they could swap it for a link .*\(ERR_UNSAFE_PATH\)/,
    );
    // What nobody does: the folder moved away, a link to root's victim folder in its place.
    await rename(join(shared, 'sub'), join(shared, 'sub.old'));
    await plantSymlink(join(shared, 'sub'), victims);
    const second = await runRdl([server.url('/x.bin'), '-o', join(shared, 'sub', 'passwd')], tempRoot());
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/\(ERR_UNSAFE_PATH\)/);
    expect(server.requests).toEqual([]);
    await expectUnchanged(passwd);
    expect(await listDir(victims)).toEqual(['passwd']);
    expect(await listDir(join(shared, 'sub.old'))).toEqual([]);
  });

  it("R31: nobody's own folder in a sticky folder all may write to (as /tmp): nobody may rename it, so it is refused too; root's own there is taken", async () => {
    const sticky = join(tempRoot(), 'tmp');
    await mkdir(sticky);
    await chmod(sticky, 0o1777);
    const theirs = join(sticky, 'theirs');
    await mkdir(theirs);
    await chown(theirs, nobody.uid, nobody.gid);
    const refused = createDownload({ url: server.url('/x.bin'), target: join(theirs, 'x.bin') });
    refused.start();
    await expect(refused.result).rejects.toMatchObject({ code: 'ERR_UNSAFE_PATH' });
    expect(await listDir(theirs)).toEqual([]);
    const mine = join(sticky, 'mine');
    await mkdir(mine);
    const run = await runRdl([server.url('/x.bin'), '-o', join(mine, 'x.bin'), '-q'], tempRoot());
    expect(run.code, run.stderr).toBe(0);
    expect(sha256(await readFile(join(mine, 'x.bin')))).toBe(sha256(body));
  });
});

describe('rdl --create-dirs as root, with links planted on the path to make (R31)', () => {
  const tempRoot = useTempDir('rdl-create-dirs-');

  /** `shared`, nobody's, where nobody plants links; a victim folder of root's elsewhere, with a file. */
  const layout = async () => {
    const shared = join(tempRoot(), 'shared');
    await mkdir(shared);
    await chown(shared, nobody.uid, nobody.gid);
    const victims = join(tempRoot(), 'victims');
    await mkdir(victims);
    const passwd = await makeVictim(join(victims, 'passwd'));
    return { shared, victims, passwd };
  };

  it('R31: a link of nobody’s in the middle of the path (to a folder of root’s): refused, ERR_UNSAFE_PATH, no folder made through it', async () => {
    const { shared, victims, passwd } = await layout();
    await plantSymlink(join(shared, 'a'), victims);
    const run = await runRdl(
      [server.url('/x.bin'), '-o', join(shared, 'a', 'b', 'c', 'x.bin'), '--create-dirs'],
      tempRoot(),
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/shared\/a is a symbolic link of uid 65534, .* \(ERR_UNSAFE_PATH\)/);
    expect(await listDir(victims)).toEqual(['passwd']);
    await expectUnchanged(passwd);
    expect(server.requests).toEqual([]);
  });

  it('R31: a link that leads nowhere (to victims/new): refused, the folder it names never made', async () => {
    const { shared, victims } = await layout();
    await plantSymlink(join(shared, 'a'), join(victims, 'new'));
    const run = await runRdl(
      [server.url('/x.bin'), '-o', join(shared, 'a', 'b', 'x.bin'), '--create-dirs'],
      tempRoot(),
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/shared\/a is a symbolic link that leads nowhere.*\(ERR_UNSAFE_PATH\)/);
    expect(await listDir(victims)).toEqual(['passwd']);
    expect(server.requests).toEqual([]);
  });

  it('R31: a folder another user may write (nobody’s, or all may, not sticky): nothing made in it, where they could swap it for a link', async () => {
    const { shared } = await layout();
    const open = join(tempRoot(), 'open');
    await mkdir(open);
    await chmod(open, 0o777);
    for (const folder of [shared, open]) {
      const run = await runRdl(
        [server.url('/x.bin'), '-o', join(folder, 'new', 'x.bin'), '--create-dirs'],
        tempRoot(),
      );
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(
        /may be written by another user, who could swap the folders made in it .*\(ERR_UNSAFE_PATH\)/,
      );
      expect(await listDir(folder)).toEqual([]);
    }
    expect(server.requests).toEqual([]);
  });

  it('R31: a list’s out= through a link nobody planted under -d: refused, nothing made where it leads', async () => {
    const { shared, victims } = await layout();
    const work = join(tempRoot(), 'work');
    await mkdir(work);
    await plantSymlink(join(work, 'sub'), victims);
    await writeFile(join(shared, 'list.txt'), `${server.url('/x.bin')}\n  out=sub/deeper/x.bin\n`);
    const run = await runRdl(['-i', join(shared, 'list.txt'), '-d', work, '--create-dirs'], tempRoot());
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/sub is a symbolic link: a list's files stay in/);
    expect(await listDir(victims)).toEqual(['passwd']);
    expect(server.requests).toEqual([]);
  });

  it('R31: root’s own folder in a sticky folder all may write to (as /tmp): the folders are made, and the file downloaded', async () => {
    const sticky = join(tempRoot(), 'tmp');
    await mkdir(sticky);
    await chmod(sticky, 0o1777);
    const run = await runRdl(
      [server.url('/x.bin'), '-o', join(sticky, 'mine', 'deeper', 'x.bin'), '--create-dirs', '-q'],
      tempRoot(),
    );
    expect(run.code, run.stderr).toBe(0);
    expect(sha256(await readFile(join(sticky, 'mine', 'deeper', 'x.bin')))).toBe(sha256(body));
  });
});

/**
 * Runs `script` with sh as uid 1000 in a user namespace of its own (its root is uid 1000 outside; `mount`: a mount
 * namespace too), `$1`… being `args`.
 */
const inUserNamespace = (script: string, args: readonly string[], mount: boolean) => {
  assertBuilt();
  const unshare = ['unshare', '-U', '-r', ...(mount ? ['-m'] : [])];
  return new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
    execFile(
      'setpriv',
      ['--reuid=1000', '--regid=1000', '--clear-groups', ...unshare, 'sh', '-c', script, 'sh', ...args],
      (error, stdout, stderr) => (error === null ? resolve({ stdout, stderr }) : reject(error)),
    );
  });
};

describe('rdl in a user namespace of its own (a rootless container, R31)', () => {
  it("R31: the host's folders no one else may write (/, shown as the overflow uid's) are trusted; a download into a folder of the namespace's own works", async () => {
    // With a tmpfs of its own at /mnt (not /tmp, which may hold this repository: a clean clone in /tmp/ci).
    const script =
      'mount -t tmpfs none /mnt && mkdir /mnt/home && cd /mnt/home && "$1" "$2" "$3" -o /mnt/home/x.bin -q; echo "exit $?"; sha256sum /mnt/home/x.bin';
    const run = await inUserNamespace(script, [process.execPath, rdlBin, server.url('/x.bin')], true);
    expect(run.stdout.split('\n')[0], run.stderr).toBe('exit 0');
    expect(run.stdout).toContain(sha256(body));
  });

  const tempRoot = useTempDir('rdl-userns-');

  it("R31: a link of another host user's (shown there as the overflow uid's too) is never trusted: refused, its target untouched", async () => {
    await chmod(tempRoot(), 0o755);
    const sticky = join(tempRoot(), 'tmp');
    await mkdir(sticky);
    await chmod(sticky, 0o1777);
    const victims = join(tempRoot(), 'victims');
    await mkdir(victims);
    await chmod(victims, 0o777);
    await symlink(victims, join(sticky, 'link'));
    await lchown(join(sticky, 'link'), 1001, 1001);
    const script = 'cd /tmp && "$1" "$2" "$3" -o "$4" -q; echo "exit $?"';
    const target = join(sticky, 'link', 'x.bin');
    const run = await inUserNamespace(
      script,
      [process.execPath, rdlBin, server.url('/x.bin'), target],
      false,
    );
    expect(run.stdout).toBe('exit 1\n');
    // Refused on the way (folders of unmapped owners in a sticky /tmp, then the link): never followed.
    expect(run.stderr).toMatch(/\(ERR_UNSAFE_PATH\)/);
    expect(await listDir(victims)).toEqual([]);
  });
});
