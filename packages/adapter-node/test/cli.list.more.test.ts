import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { coveredBytes, decodeCheckpoint } from '@rdl/core/rules';
import * as E from 'fp-ts/lib/Either.js';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { queueFileName } from '../src/cli/runList.js';
import { runCliInProcess } from './support/cliInProcess.js';
import { type JsonEvent, runRdl, spawnRdl } from './support/cliProcess.js';
import { CountingServer } from './support/countingServer.js';
import { generateBytes, sha256 } from './support/faultServer.js';
import { sha256File } from './support/randomFile.js';
import { listDir, useTempDir } from './support/tempDir.js';

/**
 * `rdl` with a list, measured at the server (`CountingServer`): a signal pauses the whole list (R24), `-j` is 4 by
 * default, one `--limit-rate` holds over the list (R44), and the items share kept-alive connections.
 */

/**
 * What the command asks of its queue, counted: `get` (a `Download` of an item, which makes an item kept as a row of
 * typed arrays an object) and `move`, until `firstRequest` says the server has seen its first request.
 */
const asked = { get: 0, move: 0, reorder: 0 };
let firstRequest: () => boolean = () => true;
vi.mock('../src/createQueue.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../src/createQueue.js')>();
  return {
    ...original,
    createQueue: (...args: Parameters<typeof original.createQueue>) => {
      const queue = original.createQueue(...args);
      for (const name of ['get', 'move', 'reorder'] as const) {
        const method = queue[name].bind(queue) as (...given: unknown[]) => unknown;
        Object.assign(queue, {
          [name]: (...given: unknown[]) => {
            if (!firstRequest()) asked[name] += 1;
            return method(...given);
          },
        });
      }
      return queue;
    },
  };
});

/** Called after each `link` of the file system (the lock's link to its name), the test's window into taking a lock. */
let afterLink: (from: string, to: string) => void = () => undefined;
vi.mock('node:fs/promises', async (importOriginal) => {
  const original = await importOriginal<typeof import('node:fs/promises')>();
  const link = async (from: string, to: string): Promise<void> => {
    await original.link(from, to);
    afterLink(from, to);
  };
  return { ...original, link, default: { ...original, link } };
});

const KiB = 1024;
const MiB = 1024 * KiB;
const dir = useTempDir('rdl-list-more-');
let server: CountingServer;
/** The SHA-256 of each file served, by name. */
const shas = new Map<string, string>();

beforeEach(async () => {
  // About 1.3 MB/s a connection while paced: a few MiB last long enough to be signalled mid-way.
  server = await CountingServer.start({ chunkBytes: 32 * KiB, everyMs: 25 });
});
afterEach(() => server.close());

/** Serves `count` files of `size` bytes, `<prefix>0.bin`…; their names. */
const serveFiles = (prefix: string, count: number, size: number): string[] =>
  Array.from({ length: count }, (_, n) => {
    const name = `${prefix}${n}.bin`;
    const body = generateBytes(size, size + n);
    server.serve(`/${name}`, body);
    shas.set(name, sha256(body));
    return name;
  });

const lastBytesOf = (events: readonly JsonEvent[], url: string): number =>
  Math.max(0, ...events.filter((e) => e.event === 'progress' && e.url === url).map((e) => Number(e.bytes)));

describe('rdl with a list, measured at the server', () => {
  it('R24: SIGINT pauses every download of -i FILE -d DIR with its checkpoint saved, exit 130; the same command finishes every file', async () => {
    const size = 6 * MiB;
    const names = serveFiles('int', 3, size);
    const urls = names.map((n) => server.url(`/${n}`));
    await writeFile(join(dir(), 'list.txt'), `${urls.join('\n')}\n`);
    const args = ['-i', 'list.txt', '-d', 'out', '--json'];
    await mkdir(join(dir(), 'out'));
    const first = spawnRdl(args, dir());
    // Every download has written a good part of a second's bytes before the signal.
    const running = () => urls.every((u) => lastBytesOf(first.events, u) >= 256 * KiB);
    expect(await first.waitFor(running)).not.toBeNull();
    first.child.kill('SIGINT');
    const stopped = await first.exit;
    expect(stopped.code, stopped.stderr).toBe(130);
    expect(stopped.stderr).toMatch(/paused; every checkpoint is saved/);
    expect(stopped.events.some((e) => e.event === 'done' || e.event === 'error')).toBe(false);
    const out = join(dir(), 'out');
    const saved = await listDir(out);
    expect(saved).toEqual([queueFileName, ...names.flatMap((n) => [`${n}.part`, `${n}.rdl.json`])].sort());
    let held = 0;
    for (const [index, name] of names.entries()) {
      const decoded = decodeCheckpoint(await readFile(join(out, `${name}.rdl.json`), 'utf8'));
      if (E.isLeft(decoded)) throw new Error(`${name}: the checkpoint does not decode`);
      const covered = coveredBytes(decoded.right.ranges);
      // The pause saved every byte reported written, not only the last periodic checkpoint.
      expect(covered).toBeGreaterThanOrEqual(lastBytesOf(stopped.events, urls[index]!));
      expect(covered).toBeGreaterThanOrEqual(256 * KiB);
      held += covered;
    }

    server.paced = false;
    const sentBefore = server.sentFor();
    const again = await runRdl(args, dir());
    expect(again.code, again.stderr).toBe(0);
    for (const name of names) expect(await sha256File(join(out, name))).toBe(shas.get(name));
    expect(await listDir(out)).toEqual([queueFileName, ...names].sort());
    // Each went on from its checkpoint: the second run fetched what the first had not saved, about.
    const starts = again.events.filter((e) => e.event === 'start');
    expect(starts).toHaveLength(3);
    for (const start of starts) expect(Number(start.resumedFrom)).toBeGreaterThan(0);
    expect(server.sentFor() - sentBefore).toBeLessThanOrEqual(3 * size - held + 256 * KiB);
  });

  it('R45: the same folder by another path (-d through a link, then spelled otherwise): no request for a finished file, a paused one resumed with a Range', async () => {
    const small = serveFiles('same', 3, 64 * KiB);
    const [big] = serveFiles('samebig', 1, 6 * MiB);
    const names = [...small, big!];
    const bigUrl = server.url(`/${big}`);
    await writeFile(join(dir(), 'list.txt'), `${names.map((n) => server.url(`/${n}`)).join('\n')}\n`);
    const real = join(dir(), 'real');
    await mkdir(real);
    await symlink('real', join(dir(), 'link'));
    // Through the link: the small files done, the big one paused on SIGINT with bytes in its checkpoint. One
    // connection a file, so that the big one's requests after the pause are its resumption alone.
    const first = spawnRdl(['-i', 'list.txt', '-d', 'link', '-x', '1', '--json'], dir());
    const paused = () =>
      first.events.filter((e) => e.event === 'done').length === small.length &&
      lastBytesOf(first.events, bigUrl) >= 256 * KiB;
    expect(await first.waitFor(paused)).not.toBeNull();
    first.child.kill('SIGINT');
    const stopped = await first.exit;
    expect(stopped.code, stopped.stderr).toBe(130);

    // The journal names its files through the link; the folder spelled as itself is the same one.
    server.paced = false;
    const seen = server.requests.length;
    const again = await runRdl(['-i', 'list.txt', '-d', './real/', '-x', '1', '--json'], dir());
    expect(again.code, again.stderr).toBe(0);
    for (const name of names) expect(await sha256File(join(real, name))).toBe(shas.get(name));
    expect(await listDir(real)).toEqual([queueFileName, ...names].sort());
    const later = server.requests.slice(seen);
    expect(later.filter((r) => r.path !== `/${big}`)).toEqual([]);
    expect(again.events.filter((e) => e.event === 'skipped').map((e) => e.target)).toEqual(
      small.map((n) => join(real, n)),
    );
    const gets = later.filter((r) => r.method === 'GET');
    expect(gets.length).toBeGreaterThan(0);
    for (const get of gets) expect(get.range).toMatch(/^bytes=[1-9]\d*-/);
    expect(Number(again.events.find((e) => e.event === 'start')?.resumedFrom)).toBeGreaterThan(0);

    // And through the link by its absolute path, the journal now naming them in the folder: nothing to fetch.
    const done = server.requests.length;
    const third = await runRdl(['-i', 'list.txt', '-d', join(dir(), 'link'), '-x', '1'], dir());
    expect(third.code, third.stderr).toBe(0);
    expect(third.stderr).toMatch(/^rdl: 4 done \(4 already there\), of 4$/m);
    expect(server.requests.length).toBe(done);
  });

  it('with no -j, never more than 4 downloads of a list run at once, and 4 do', async () => {
    // 768 KiB at the pace: some 600 ms each, so that the first four overlap however the machine is loaded.
    const names = serveFiles('j', 8, 768 * KiB);
    await mkdir(join(dir(), 'out'));
    const run = await runRdl([...names.map((n) => server.url(`/${n}`)), '-d', 'out'], dir());
    expect(run.code, run.stderr).toBe(0);
    for (const name of names) expect(await sha256File(join(dir(), 'out', name))).toBe(shas.get(name));
    expect(server.mostFilesAtOnce).toBe(4);
    expect(new Set(server.requests.map((r) => r.path)).size).toBe(8);
  });

  it('R44: one --limit-rate holds over the whole list, not one a download', async () => {
    const names = serveFiles('rate', 3, 1 * MiB);
    server.paced = false;
    const limit = 1 * MiB;
    // Each --json line stamped by rdl itself as it writes it (atMs): the times are those of the process under the
    // limit, never when its lines reach this test.
    const stamp = fileURLToPath(new URL('./support/stampJsonLines.mjs', import.meta.url));
    const spawned = performance.now();
    const exit = await spawnRdl(
      [...names.map((n) => server.url(`/${n}`)), '--limit-rate', '1M', '--json'],
      dir(),
      [process.execPath, '--import', pathToFileURL(stamp).href],
    ).exit;
    const lifetime = performance.now() - spawned;
    expect(exit.code, exit.stderr).toBe(0);
    for (const name of names) expect(await sha256File(join(dir(), name))).toBe(shas.get(name));
    // The total written so far, at each line of progress.
    const samples: { readonly at: number; readonly bytes: number; readonly each: readonly number[] }[] = [];
    const latest = new Map<string, number>();
    for (const event of exit.events) {
      if (event.event !== 'progress' && event.event !== 'done') continue;
      latest.set(String(event.id), Number(event.bytes));
      const each = [...latest.values()];
      samples.push({ at: Number(event.atMs), bytes: each.reduce((a, b) => a + b, 0), each });
    }
    const first = samples[0]!;
    const last = samples.at(-1)!;
    expect(last.bytes).toBe(3 * MiB);
    // 3 MiB at 1 MiB/s, less the quarter-second burst: about 2.75 s; one limit a download would take 1. A bound from
    // below, on rdl's own clock and on the whole process's life as this test saw it (which holds it): a busy machine
    // only makes either longer.
    expect(last.at - first.at).toBeGreaterThan(2_000);
    expect(lifetime).toBeGreaterThan(2_000);
    // After the first second, in every window of a second or more of rdl's clock: at most R44's 1.05 × the limit,
    // plus a read in flight on each of the three connections (a 256 KiB slot each), plus what a progress line
    // 200 ms late leaves out. From above: a busy machine only brings fewer bytes into a window.
    const slack = 3 * 256 * KiB + 256 * KiB;
    const settled = samples.filter((s) => s.at >= first.at + 1_000);
    let windows = 0;
    for (const a of settled) {
      for (const b of settled) {
        const ms = b.at - a.at;
        if (ms < 1_000) continue;
        windows += 1;
        expect(b.bytes - a.bytes).toBeLessThanOrEqual((limit * 1.05 * ms) / 1_000 + slack);
      }
    }
    expect(windows).toBeGreaterThan(0);
    // The three share the limit, in turn: half way, each has had a good part of its third, none waited its turn
    // while another took the whole limit.
    const half = samples.find((s) => s.bytes >= 1.5 * MiB)!;
    expect(half.each, JSON.stringify(half.each)).toHaveLength(3);
    for (const bytes of half.each) expect(bytes, JSON.stringify(half.each)).toBeGreaterThanOrEqual(128 * KiB);
  });

  it('keep-alive: 24 small files of one origin (-i, -j 3) take at most 5 TCP connections', async () => {
    const names = serveFiles('ka', 24, 8 * KiB);
    server.paced = false;
    await writeFile(join(dir(), 'list.txt'), `${names.map((n) => server.url(`/${n}`)).join('\n')}\n`);
    const run = await runRdl(['-i', 'list.txt', '-j', '3'], dir());
    expect(run.code, run.stderr).toBe(0);
    for (const name of names) expect(await sha256File(join(dir(), name))).toBe(shas.get(name));
    expect(server.requests.filter((r) => r.method === 'GET').length).toBeGreaterThanOrEqual(24);
    expect(server.connections).toBeLessThanOrEqual(3 + 2);
  });

  it('R45: a list of 300, fresh and read back in another order, asks its queue for no item before it starts (which makes it an object) and moves none into place', async () => {
    const names = serveFiles('cold', 300, 2 * KiB);
    server.paced = false;
    const listOf = (order: readonly string[]) => `${order.map((n) => server.url(`/${n}`)).join('\n')}\n`;
    await writeFile(join(dir(), 'list.txt'), listOf(names));
    firstRequest = () => server.requests.length > 0;
    try {
      const fresh = await runCliInProcess(['-i', 'list.txt', '-j', '2', '-q'], dir());
      expect(fresh.code, fresh.stderr).toBe(0);
      // The two started first, not the 300 (a `Download` subscribed an item made every one an object).
      expect(asked).toEqual({ get: 2, move: 0, reorder: 0 });

      await rm(join(dir(), names[7]!));
      await writeFile(join(dir(), 'list.txt'), listOf([...names].reverse()));
      server.requests.length = 0;
      Object.assign(asked, { get: 0, move: 0, reorder: 0 });
      const again = await runCliInProcess(['-i', 'list.txt', '-j', '2', '--json'], dir());
      expect(again.code, again.stderr).toBe(0);
      // The file gone is added again, and it is the one started; the list read back was put in its order at once,
      // where a move an item shifted the whole order for each.
      expect(asked).toEqual({ get: 1, move: 0, reorder: 1 });
      expect(again.events.filter((e) => e.event === 'skipped')).toHaveLength(299);
      expect(again.events.filter((e) => e.event === 'start').map((e) => e.url)).toEqual([
        server.url(`/${names[7]}`),
      ]);
      expect(again.events.at(-1)).toMatchObject({ event: 'summary', total: 300, done: 300, skipped: 299 });
    } finally {
      firstRequest = () => true;
    }
    for (const name of names) expect(await sha256File(join(dir(), name))).toBe(shas.get(name));
  });

  it('R24, R45: SIGTERM while a list of 30 000 starts up (its journal just made) ends it tidily: exit 143, the resume hint, no lock left', async () => {
    const names = serveFiles('up', 30_000, 16);
    server.paced = false;
    await writeFile(join(dir(), 'list.txt'), `${names.map((n) => server.url(`/${n}`)).join('\n')}\n`);
    await mkdir(join(dir(), 'out'));
    const first = spawnRdl(['-i', 'list.txt', '-d', 'out', '-j', '2'], dir());
    // The journal is made once the list's lock is taken, as its queue starts loading: the list is starting up.
    const journal = join(dir(), 'out', queueFileName);
    while (!existsSync(journal) && first.child.exitCode === null)
      await new Promise((resolve) => setTimeout(resolve, 2));
    first.child.kill('SIGTERM');
    const stopped = await first.exit;
    // Killed by the signal's default action, the process had no code, said nothing and left its lock.
    expect(stopped.code, stopped.stderr).toBe(143);
    expect(stopped.stderr).toMatch(
      /paused; every checkpoint is saved\. To resume, run the same command again:\n {2}rdl -i list\.txt -d out -j 2\n$/,
    );
    expect(existsSync(`${journal}.lock`)).toBe(false);
  });

  it('R24: a signal while a list of 100 000 is read or checked (before its lock) ends it: exit 143, one line, nothing held, no request', async () => {
    const names = serveFiles('early', 3, 16);
    const urls = Array.from({ length: 100_000 }, (_, n) => server.url(`/${names[n % 3]}?n=${n}`));
    await writeFile(join(dir(), 'list.txt'), urls.map((u, n) => `${u}\n  out=f${n}.bin\n`).join(''));
    const journal = join(dir(), queueFileName);
    // The command listens as it begins (its list then read), and again as the list is checked (with --max-time's
    // clock): SIGTERM at each in turn, the moment it listens.
    for (const at of [1, 2]) {
      let listens = 0;
      let lockAtSignal: boolean | null = null;
      const run = await runCliInProcess(
        ['-i', 'list.txt', '-q'],
        dir(),
        {},
        {
          onSignal: (handler) => {
            listens += 1;
            if (listens === at) {
              lockAtSignal = existsSync(`${journal}.lock`);
              queueMicrotask(() => handler('SIGTERM'));
            }
            return () => undefined;
          },
        },
      );
      // Before, the command listened only once it held the lock: Node's default action ended it, silently.
      expect(lockAtSignal).toBe(false);
      expect(run.code, run.stderr).toBe(143);
      expect(run.stderr).toBe(
        'rdl: stopped before any download started; nothing was fetched and nothing is held\n',
      );
      expect(await listDir(dir())).toEqual(['list.txt']);
    }
    expect(server.requests).toEqual([]);
  });

  it("R24, R45: a signal between the lock's link and the removal of its temp name is kept: the lock and its temp name go, exit 130 and the resume hint, no request", async () => {
    const names = serveFiles('locking', 20, 16);
    await writeFile(join(dir(), 'list.txt'), `${names.map((n) => server.url(`/${n}`)).join('\n')}\n`);
    const lock = join(dir(), `${queueFileName}.lock`);
    let handler: ((signal: 'SIGINT') => void) | null = null;
    let listeningAtLink: boolean | null = null;
    afterLink = (_from, to) => {
      if (to !== lock) return;
      // The lock is linked and its temp name still there: SIGINT now. With no handler, Node's default action ends
      // the process here, both names left behind.
      listeningAtLink = handler !== null;
      handler?.('SIGINT');
    };
    try {
      const run = await runCliInProcess(
        ['-i', 'list.txt', '-q'],
        dir(),
        {},
        {
          onSignal: (given) => {
            handler = given;
            return () => undefined;
          },
        },
      );
      expect(listeningAtLink).toBe(true);
      expect(run.code, run.stderr).toBe(130);
      expect(run.stderr).toBe(
        'rdl: paused; every checkpoint is saved. To resume, run the same command again:\n  rdl -i list.txt -q\n',
      );
    } finally {
      afterLink = () => undefined;
    }
    // Neither the lock nor its temp name (nor a journal: nothing was read) is left.
    expect(await listDir(dir())).toEqual(['list.txt']);
    expect(server.requests).toEqual([]);
  });
});
