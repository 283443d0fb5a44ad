/**
 * `pnpm bench`: rdl against curl and aria2c on files from nginx on 127.0.0.1, in alternating runs, in five sections
 * that each print a table.
 *
 * One connection: curl and aria2c -x1 against rdl on a 1 GiB file, rdl with no flags as a user runs it (which is its
 * adaptive count, R43: on loopback it may try a second connection); then rdl alone on 4 GiB (peak memory must not
 * grow with the size), and the time from start to the first byte of a resume. Files live in a temp folder.
 *
 * Segments (several connections a file): (a) nginx paces each connection (`limit_rate 20m`, as hosts that limit a
 * connection do): rdl with no flags (its adaptive count) and `rdl -x 16` against `aria2c -x16 -s16 -k1M`,
 * `aria2c -x4 -s4` and curl. curl, on one connection, would spend about 50 s a run on 1 GiB: it fetches a quarter of
 * the file, and its row shows that time scaled to the whole file, marked so. (b) The same file unpaced: rdl with no
 * flags, `-x 1` and `-x 16` against curl and `aria2c -x16 -s16 -k1M`. Files live on a tmpfs (/dev/shm) when it has
 * room, so that the disk's writeback does not weigh on the network's part; the bench says when it falls back.
 *
 * Every run's file is checked, its size and its SHA-256, outside the timed window, so that a broken run cannot look
 * fast. Plain `rdl` computes no hash (nobody reads one), like curl; `rdl --sha256` checks the file against its known
 * SHA-256 and is measured against `curl` followed by `sha256sum -c` of its file, which checks the same.
 *
 * Lists (`lists`): 1000 files of 256 KiB (distinct contents) from nginx, `rdl -j16 -i LIST -d DIR` against
 * `aria2c -j16 -i LIST -d DIR -q --allow-overwrite=true` and `curl -Z --parallel-max 16 --create-dirs --output-dir DIR
 * -K CONFIG` (a `url`/`output` pair a file), to a tmpfs (/dev/shm) and to the disk (RDL_BENCH_DISK_DIR, /var/tmp),
 * a fresh empty folder a run, every file's size and SHA-256 checked outside the timed window; goals: rdl/aria2c
 * median ≤ 1.00 on each, rdl peak RSS ≤ 128 MiB. aria2c keeps its defaults otherwise: --file-allocation=prealloc,
 * --disk-cache=5M, --enable-mmap=false, --auto-save-interval=60, one connection a file (--min-split-size=20M).
 * What each tool flushes, as strace -f showed on aria2 1.36.0, curl 7.88.1 and this rdl (the section counts it
 * again under strace -f -c on 20 files): curl calls no fsync at all. aria2c fsyncs each file right after creating
 * it (empty), fsyncs its `.aria2` control file's temp before renaming it in place, and fsyncs each file again when
 * it is complete (its data), then removes the control file; it never fsyncs the folder. rdl fdatasyncs the part
 * file, fsyncs it before renaming it to its name (FsPartFile.commit) and fsyncs the folder after (R19), saves its
 * checkpoint atomically (temp fsynced, renamed, folder fsynced), and fdatasyncs the list's journal (DIR/.rdl-queue)
 * at each change: some 7 fsync-family calls a small file against aria2c's 3.
 *
 * Queue (`queue`): 100 000 items added to a paused Node `createQueue` kept in a file (FileQueueStore) in a temp
 * folder, in one turn, the journal's write awaited; each run in a child `node --expose-gc` (bench/queueChild.ts).
 * Time to add (goal < 1 s), heap and peak RSS growth over the empty queue in the same process (goal ≤ 64 MiB).
 *
 * Rate (`rate`): `rdl --limit-rate` at 1M, 10M and 100M (curl's syntax: MiB/s) on a file from nginx sized for 10 s
 * at each rate, against `curl --limit-rate` the same: the rate measured after the first second over the limit,
 * rdl's from its --json progress lines, curl's from its output file's size sampled every 50 ms.
 *
 * Environment: RDL_BENCH_ONLY (a comma list of `single`, `segments`, `lists`, `queue`, `rate`: those sections
 * alone, in this order; default all), RDL_BENCH_RUNS (default 5; the paced segments runs and the rate runs 3),
 * RDL_BENCH_MIB (1024), RDL_BENCH_BIG_MIB (4096, 0 skips), RDL_BENCH_CPU_PROF=<dir> (rdl runs write V8 CPU
 * profiles there), RDL_BENCH_LIST_FILES (1000), RDL_BENCH_LIST_KIB (256), RDL_BENCH_DISK_DIR (/var/tmp),
 * RDL_BENCH_QUEUE_ITEMS (100000), RDL_BENCH_RATES (1M,10M,100M), RDL_BENCH_RATE_SECONDS (10). A quick check:
 * RDL_BENCH_RUNS=1 RDL_BENCH_MIB=16 RDL_BENCH_BIG_MIB=0 RDL_BENCH_LIST_FILES=100 RDL_BENCH_QUEUE_ITEMS=20000
 * RDL_BENCH_RATE_SECONDS=3 pnpm bench.
 *
 * One module a section in scripts/bench/; environment.ts, measure.ts (GNU time, RSS samples, the table) and
 * entrants.ts (the single and segments tools, alternating runs) are shared.
 */
import { spawnSync } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { nginxBinary } from '../test/support/nginx.js';
import { ensureTools, say } from './bench/environment.js';
import { lists } from './bench/lists.js';
import { queue } from './bench/queue.js';
import { rate } from './bench/rate.js';
import { segments } from './bench/segments.js';
import { singleConnection } from './bench/single.js';

/** Each section, in the order a full bench runs them. */
const sections = {
  single: singleConnection,
  segments,
  lists,
  queue,
  rate,
} as const;
type Section = keyof typeof sections;
const isSection = (name: string): name is Section => Object.hasOwn(sections, name);

/** The sections RDL_BENCH_ONLY names (a comma list), in the bench's order; all of them when it is unset. */
const sectionsToRun = (): readonly Section[] => {
  const all = Object.keys(sections) as Section[];
  const only = process.env.RDL_BENCH_ONLY;
  if (only === undefined || only.trim() === '') return all;
  const named = only.split(',').map((s) => s.trim());
  const unknown = named.filter((s) => !isSection(s));
  if (unknown.length > 0 || named.length === 0)
    throw new Error(`RDL_BENCH_ONLY=${only}: expected a comma list of ${all.join(', ')}`);
  return all.filter((s) => named.includes(s));
};

const main = async (): Promise<void> => {
  const toRun = sectionsToRun();
  ensureTools();
  say(`rdl bench on nginx at 127.0.0.1 (sections: ${toRun.join(', ')})`);
  // Node parses the certificates NODE_EXTRA_CA_CERTS names as it starts, before any script runs: this project's
  // machines set it to the system's bundle, which made every node start here 80 ms instead of 28 (`node -e 0`), a
  // cost of the machine's setting, not of rdl, and of no use to plain HTTP on loopback. The tools run without it.
  const extraCerts = process.env.NODE_EXTRA_CA_CERTS;
  if (extraCerts !== undefined) {
    delete process.env.NODE_EXTRA_CA_CERTS;
    say(`NODE_EXTRA_CA_CERTS (${extraCerts}) is unset for the runs: node would read it at every start`);
  }
  say(
    `node ${process.version}; ${spawnSync('curl', ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0]}`,
  );
  say(
    `${spawnSync('aria2c', ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0]}; ${spawnSync(nginxBinary(), ['-v'], { encoding: 'utf8' }).stderr.trim()}`,
  );
  say(
    `load average at the start: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} on ${availableParallelism()} CPUs`,
  );
  for (const section of toRun) await sections[section]();
};

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`bench failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
