/**
 * The lists section: many small files from nginx, each tool given the whole list at once with 16 downloads at a
 * time, to a tmpfs and to a disk, in alternating runs, each into a fresh empty folder, every file checked.
 */

import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, statfs, writeFile } from 'node:fs/promises';
import { freemem } from 'node:os';
import { join } from 'node:path';
import { sha256File } from '../../test/support/randomFile.js';
import { median } from '../stats.js';
import { rdlCommand, roundOrder } from './entrants.js';
import { benchDistDir, MiB, runsOr, say, tmpfsMagic, withNginx } from './environment.js';
import { fsFloorMs } from './fsFloor.js';
import { type Measure, measure, medianWall, pad, peakMiB, printTable } from './measure.js';

const fileCount = Number(process.env.RDL_BENCH_LIST_FILES ?? 1000);
const fileBytes = Number(process.env.RDL_BENCH_LIST_KIB ?? 256) * 1024;
const jobs = 16;
/** Issue 11's goals for a list: rdl's peak memory, and its wall time against aria2c's. */
const rssGoalMiB = 128;
const ratioGoal = 1;
const diskParent = process.env.RDL_BENCH_DISK_DIR ?? '/var/tmp';

const tools = ['rdl', 'aria2c', 'curl'] as const;
/** The tools, and rdl's transport alone (transportFloor.ts): the floor under rdl's row. */
const entrants = [...tools, 'transport'] as const;
type ListTool = (typeof entrants)[number];

/** A served file: its name, and the SHA-256 its copy must have. */
interface ListFile {
  readonly name: string;
  readonly sha256: string;
}

/**
 * The command of `tool` fetching every URL of the list into `dir`. aria2c keeps its defaults but for -q and
 * --allow-overwrite (the folder is new each run anyway); curl reads a config of `url`/`output` pairs.
 */
const listCommand = (
  tool: ListTool,
  lists: { urls: string; curl: string },
  dir: string,
): [string, string[]] => {
  switch (tool) {
    case 'rdl':
      return rdlCommand(['-j', String(jobs), '-i', lists.urls, '-d', dir, '--quiet']);
    case 'transport':
      return [process.execPath, [join(benchDistDir, 'transportFloor.js'), lists.urls, dir, String(jobs)]];
    case 'aria2c':
      return ['aria2c', ['-j', String(jobs), '-i', lists.urls, '-d', dir, '-q', '--allow-overwrite=true']];
    case 'curl':
      return [
        'curl',
        [
          '-sS',
          '-f',
          '-Z',
          '--parallel-max',
          String(jobs),
          '--create-dirs',
          '--output-dir',
          dir,
          '-K',
          lists.curl,
        ],
      ];
  }
};

/** Fails unless `dir` holds every file of the list, byte for byte (eight checked at a time). */
const verifyList = async (tool: ListTool, files: readonly ListFile[], dir: string): Promise<void> => {
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < files.length; i = next++) {
      const f = files[i]!;
      const path = join(dir, f.name);
      const size = await stat(path).then(
        (s) => s.size,
        () => -1,
      );
      if (size !== fileBytes)
        throw new Error(`${tool} wrote ${path} of ${size} bytes, expected ${fileBytes}`);
      const sha = await sha256File(path);
      if (sha !== f.sha256) throw new Error(`${tool} wrote ${path} of SHA-256 ${sha}, not ${f.sha256}`);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
};

/** The fsync-family calls of one run of `tool` on `files`, counted by strace -f -c; null when strace is missing. */
const flushCalls = async (
  tool: ListTool,
  lists: { urls: string; curl: string },
  dir: string,
  work: string,
): Promise<Map<string, number> | null> => {
  if (!existsSync('/usr/bin/strace')) return null;
  const out = join(work, `strace-${tool}.txt`);
  const [cmd, args] = listCommand(tool, lists, dir);
  const run = spawnSync(
    '/usr/bin/strace',
    ['-f', '-c', '-o', out, '-e', 'trace=fsync,fdatasync,sync_file_range,msync,sync,syncfs', cmd, ...args],
    { encoding: 'utf8' },
  );
  if (run.status !== 0) throw new Error(`strace ${cmd} exited ${run.status}: ${run.stderr}`);
  const calls = new Map<string, number>();
  // strace -c's table: % time, seconds, usecs/call, calls, [errors,] syscall.
  for (const line of (await readFile(out, 'utf8')).split('\n')) {
    const cells = line.trim().split(/\s+/);
    const name = cells.at(-1);
    if (
      cells.length >= 5 &&
      name !== undefined &&
      /^[a-z_]+$/.test(name) &&
      name !== 'total' &&
      name !== 'syscall'
    )
      calls.set(name, Number(cells[3]));
  }
  return calls;
};

/** A folder for the output on a tmpfs (/dev/shm) or on the disk (`diskParent`); null with the reason when none fits. */
const outputParent = async (
  kind: 'tmpfs' | 'disk',
  need: number,
): Promise<{ dir: string } | { skipped: string }> => {
  const parent = kind === 'tmpfs' ? '/dev/shm' : diskParent;
  const fs = await statfs(parent).catch(() => null);
  if (fs === null) return { skipped: `${parent} is missing` };
  if (kind === 'tmpfs' ? fs.type !== tmpfsMagic : fs.type === tmpfsMagic)
    return { skipped: `${parent} is ${kind === 'tmpfs' ? 'not' : 'also'} a tmpfs` };
  const room =
    kind === 'tmpfs' ? Math.min(fs.bavail * fs.bsize, freemem() - 512 * MiB) : fs.bavail * fs.bsize;
  if (room < need)
    return { skipped: `${parent} has ${(room / MiB).toFixed(0)} MiB free, not ${(need / MiB).toFixed(0)}` };
  return { dir: await mkdtemp(join(parent, 'rdl-bench-lists-')) };
};

export const lists = async (): Promise<void> => {
  const runs = runsOr(5);
  const totalBytes = fileCount * fileBytes;
  const work = await mkdtemp(join('/dev/shm', 'rdl-bench-lists-root-')).catch(() =>
    mkdtemp(join(diskParent, 'rdl-bench-lists-root-')),
  );
  const root = join(work, 'root');
  await mkdir(root);
  const made: string[] = [];
  await withNginx(
    { root },
    () => [work, ...made],
    async (server) => {
      say();
      say(
        `Lists: ${fileCount} files of ${fileBytes / 1024} KiB (distinct contents) from nginx, -j${jobs}: rdl -i against aria2c -i and curl -Z --parallel-max ${jobs}, ${runs} alternating runs each, a fresh empty folder a run`,
      );
      const files: ListFile[] = [];
      for (let i = 0; i < fileCount; i++) {
        const name = `f${String(i).padStart(5, '0')}.bin`;
        const bytes = randomBytes(fileBytes);
        await writeFile(join(root, name), bytes);
        files.push({ name, sha256: createHash('sha256').update(bytes).digest('hex') });
      }
      const listsOf = async (
        of: readonly ListFile[],
        tag: string,
      ): Promise<{ urls: string; curl: string }> => {
        const urls = join(work, `urls-${tag}.txt`);
        const curl = join(work, `curl-${tag}.cfg`);
        await writeFile(urls, of.map((f) => `${server.origin}/${f.name}\n`).join(''));
        await writeFile(
          curl,
          of.map((f) => `url = "${server.origin}/${f.name}"\noutput = "${f.name}"\n`).join(''),
        );
        return { urls, curl };
      };
      const all = await listsOf(files, 'all');
      const rssFile = join(work, 'rss.txt');
      const summary: { kind: string; ratio: number; rdlPeak: number }[] = [];

      for (const kind of ['tmpfs', 'disk'] as const) {
        const parent = await outputParent(kind, 2.2 * totalBytes + 64 * MiB);
        if ('skipped' in parent) {
          say(`  on ${kind}: skipped, ${parent.skipped}`);
          continue;
        }
        made.push(parent.dir);
        let serial = 0;
        const runOnce = async (tool: ListTool): Promise<Measure> => {
          const dir = join(parent.dir, `${tool}-${serial++}`);
          await mkdir(dir);
          const [cmd, args] = listCommand(tool, all, dir);
          const m = await measure(cmd, args, dir, rssFile);
          await verifyList(tool, files, dir);
          await rm(dir, { recursive: true, force: true });
          spawnSync('sync');
          return m;
        };
        say();
        say(`Lists on ${kind} (${parent.dir}):`);
        // One unmeasured run of each: the tools' binaries into the page cache.
        for (const tool of entrants) await runOnce(tool);
        const results = new Map<ListTool, Measure[]>(entrants.map((t) => [t, []]));
        for (let r = 0; r < runs; r++) {
          for (const index of roundOrder(entrants.length, r)) {
            const tool = entrants[index]!;
            const m = await runOnce(tool);
            results.get(tool)!.push(m);
            say(`  run ${r + 1}/${runs} ${pad(tool, 9)} ${(m.wallMs / 1000).toFixed(2)} s`);
          }
        }
        say();
        printTable(
          entrants.map((t) => ({ name: t, measures: results.get(t)!, bytes: totalBytes })),
          'aria2c',
        );
        say(
          "transport: rdl's HTTP alone (transportFloor.ts), in a fresh node as rdl: each file's HEAD and GET through NodeHttp, the body written to its file with one write; no lock, part file, checkpoint, fsync, rename, state machine or queue",
        );
        const floors: number[] = [];
        for (let r = 0; r < runs; r++)
          floors.push(await fsFloorMs(join(parent.dir, `floor-${r}`), fileCount, jobs, fileBytes));
        say(
          `the file-system calls rdl makes a file, alone in this Node process (fsFloor.ts), ${jobs} at a time: median ${(median(floors) / 1000).toFixed(2)} s (aria2c's whole run: ${(medianWall(results.get('aria2c')!) / 1000).toFixed(2)} s)`,
        );
        summary.push({
          kind,
          ratio: medianWall(results.get('rdl')!) / medianWall(results.get('aria2c')!),
          rdlPeak: peakMiB(results.get('rdl')!),
        });
      }

      say();
      say('What each tool flushes to the disk (one more run of each on 20 files, under strace -f -c):');
      const few = await listsOf(files.slice(0, Math.min(20, files.length)), 'few');
      for (const tool of tools) {
        const dir = join(work, `strace-${tool}`);
        await mkdir(dir);
        const calls = await flushCalls(tool, few, dir, work);
        await rm(dir, { recursive: true, force: true });
        say(
          calls === null
            ? `  ${pad(tool, 6)} not counted: strace is missing (apt-get install strace)`
            : `  ${pad(tool, 6)} ${calls.size === 0 ? 'no fsync, fdatasync, sync_file_range or msync' : [...calls].map(([name, n]) => `${name} ×${n}`).join(', ')}`,
        );
      }
      say(
        '  rdl: each file fsynced before its rename to its name, the folder fsynced after (R19); its list journal (DIR/.rdl-queue) fdatasynced at each change.',
      );
      say(
        '  aria2c (defaults: --file-allocation=prealloc, --disk-cache=5M, --enable-mmap=false): each file fsynced when created and when complete, its .aria2 control file fsynced before its rename, the folder never; curl: nothing, the writeback is left to the kernel.',
      );

      say();
      for (const { kind, ratio, rdlPeak } of summary) {
        say(
          `on ${kind}: rdl/aria2c median wall ratio ${ratio.toFixed(2)}  (goal ≤ ${ratioGoal.toFixed(2)}: ${ratio <= ratioGoal ? 'met' : 'NOT met'}); rdl peak RSS ${rdlPeak.toFixed(1)} MiB  (goal ≤ ${rssGoalMiB} MiB: ${rdlPeak <= rssGoalMiB ? 'met' : 'NOT met'})`,
        );
      }
    },
  );
};
