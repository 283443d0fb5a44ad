import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bytesOf, type JsonEvent, runRdl, spawnRdl } from './support/cliProcess.js';
import { useNginxSite } from './support/nginxSite.js';
import { prng, sleep } from './support/prng.js';
import { sha256File, writeRandomFile } from './support/randomFile.js';
import { listDir } from './support/tempDir.js';

const MiB = 1024 * 1024;
/**
 * 256 MiB at 24 MB/s: about 11 s a whole pass. A run saves its first checkpoint after a second of transfer, so
 * the kills are spread over the first two seconds of each run, and the file is big enough that they never catch
 * up with its end.
 */
const size = 256 * MiB;
/** No kill is aimed closer than this to the end (2 s of transfer): a run cannot finish first, even on a busy machine. */
const margin = 48 * MiB;
const cycles = Number(process.env.RDL_CRASH_CYCLES ?? 24);
/** Printed with a failure: `RDL_CRASH_SEED=<seed>` replays the same kill points. */
const seed = Number(process.env.RDL_CRASH_SEED ?? 20_260_125);

let sha: string;

/**
 * Both ways a run fetches: one connection at 24 MB/s, and four segments (R41, R42) at 6 MB/s each, the same 24 MB/s
 * in all, so that the kill points land alike.
 */
const site = useNginxSite(
  'crash',
  [
    { prefix: '/slow/', rate: '24m' },
    { prefix: '/quarter/', rate: '6m' },
  ],
  async (root) => {
    sha = await writeRandomFile(join(root, 'big.bin'), size);
  },
);

const variants = [
  { name: 'one connection', path: '/slow/big.bin', flags: ['-x', '1'] },
  { name: '4 segments', path: '/quarter/big.bin', flags: ['-x', '4'] },
] as const;

/** What one killed run did. */
interface Cycle {
  readonly how: string;
  readonly resumedFrom: number | null;
  readonly partSizeAtKill: number | null;
  readonly events: readonly JsonEvent[];
}

const partSize = async (work: string): Promise<number | null> =>
  stat(join(work, 'big.bin.part')).then(
    (s) => s.size,
    () => null,
  );

describe.each(variants)(`crash consistency (seed ${seed}, ${cycles} SIGKILLs), $name`, ({ path, flags }) => {
  // A SIGKILL ends the process, never the kernel: the page cache keeps every byte written, flushed or not, so this
  // proves the order of writes, checkpoint saves and renames as a killed process leaves them (R20's last sentence),
  // not that they survive a power loss: the fsyncs for that are checked by durability.test.ts.
  it(`R19, R20 (process kill only), R21, R26, R42: SIGKILL at ${cycles} seeded random instants, then a clean run: later runs resume from the saved bytes, a part file longer than its checkpoint is trimmed, the sha256 matches and only the file remains`, async () => {
    const random = prng(seed);
    const url = `${site.server.origin}${path}`;
    const args = [url, '-o', 'big.bin', '--json', ...flags];
    const work = await site.folder();
    const log: Cycle[] = [];

    for (let i = 0; i < cycles; i++) {
      const run = spawnRdl(args, work);
      let how: string;
      if (i % 3 === 0) {
        // Any instant from the start of the process: start-up, lock, checkpoint load, probe, trim, first bytes.
        const delay = Math.floor(random() * 700);
        how = `${delay} ms after spawn`;
        await sleep(delay);
      } else {
        const start = await run.waitFor((e) => e.event === 'start');
        const from = Number(start?.resumedFrom ?? 0);
        const reach = Math.min(48 * MiB, size - margin - from);
        const extra = Math.floor(random() * 40);
        if (i % 3 === 1 || reach <= 0) {
          // Right after the resume point was chosen: the trim and the first ranged request.
          how = `${extra * 5} ms after start`;
          await sleep(extra * 5);
        } else {
          // Mid-transfer, a random distance past where this run resumed, then a few ms more.
          const target = from + Math.floor(random() * reach);
          how = `past byte ${target} + ${extra} ms`;
          await run.waitFor((e) => bytesOf(e) >= target);
          await sleep(extra);
        }
      }
      run.child.kill('SIGKILL');
      const exit = await run.exit;
      const context = `cycle ${i} (${how}), seed ${seed}: ${exit.stderr}`;
      expect(exit.signal, context).toBe('SIGKILL');
      expect(
        exit.events.filter((e) => e.event === 'restart' || e.event === 'error'),
        context,
      ).toEqual([]);
      expect(await listDir(work), context).not.toContain('big.bin');
      const start = exit.events.find((e) => e.event === 'start');
      log.push({
        how,
        resumedFrom: start === undefined ? null : Number(start.resumedFrom),
        partSizeAtKill: await partSize(work),
        events: exit.events,
      });
    }

    // The kills are done: the clean run needs no pace to be caught in, so it goes at full speed.
    await site.server.setPaced(false);
    const last = await runRdl(args, work);
    const context = `final run, seed ${seed}: ${last.stderr}`;
    expect(last.code, context).toBe(0);
    expect(
      last.events.some((e) => e.event === 'restart'),
      context,
    ).toBe(false);
    expect(last.events.at(-1), context).toEqual({ event: 'done', bytes: size, sha256: sha, checks: [] });
    expect(await sha256File(join(work, 'big.bin'))).toBe(sha);
    // R19: no part file, checkpoint, lock or temp file left.
    expect(await listDir(work)).toEqual(['big.bin']);

    // The kills did land mid-transfer, and later runs went on from the saved bytes rather than from 0 (R26)…
    const resumed = log.filter((c) => (c.resumedFrom ?? 0) > 0);
    expect(resumed.length, JSON.stringify(log.map((c) => [c.how, c.resumedFrom]))).toBeGreaterThan(
      cycles / 4,
    );
    // …and a part file longer than its checkpoint was trimmed back to the checkpoint, never trusted (R20, R21).
    const trimmed = log.slice(0, -1).filter((c, k) => {
      const next = log[k + 1]?.resumedFrom ?? null;
      return c.partSizeAtKill !== null && next !== null && c.partSizeAtKill > next;
    });
    expect(trimmed.length).toBeGreaterThan(0);
  }, 170_000);
});
