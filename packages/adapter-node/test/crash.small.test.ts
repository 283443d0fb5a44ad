import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runRdl, spawnRdl } from './support/cliProcess.js';
import { useNginxSite } from './support/nginxSite.js';
import { prng, sleep } from './support/prng.js';
import { sha256File, writeRandomFile } from './support/randomFile.js';
import { listDir } from './support/tempDir.js';

/**
 * A file done within its first checkpoint interval writes no checkpoint (docs/resume-rules.md, after R24): what a
 * kill at any instant of such a run leaves must still resume to the right bytes (R20). 2 MiB at 24 MB/s is about
 * 90 ms of transfer in a run of some 200 ms, and the kills are spread over all of it: start-up, lock, probe, the
 * bytes, the fsync, the rename, the lock's removal.
 */
const size = 2 * 1024 * 1024;
const cycles = Number(process.env.RDL_CRASH_CYCLES ?? 24);
const seed = Number(process.env.RDL_CRASH_SEED ?? 20_261_203);

let sha: string;

const site = useNginxSite('crash-small', '24m', async (root) => {
  sha = await writeRandomFile(join(root, 'small.bin'), size);
});

describe(`crash consistency of a small file (seed ${seed}, ${cycles} SIGKILLs)`, () => {
  // A SIGKILL ends the process, never the kernel: the page cache keeps every byte written, flushed or not. This
  // proves what a killed process leaves at each instant (R20's last sentence); the fsyncs that keep those bytes
  // through a power loss are checked by durability.test.ts.
  it(`R19, R20 (process kill only), R21: SIGKILL at ${cycles} seeded random instants of runs that save no checkpoint, then a clean run: the final name only ever holds the whole file, and a clean run then gets the right bytes and leaves only the file`, async () => {
    const random = prng(seed);
    const url = `${site.server.origin}/slow/small.bin`;
    const args = [url, '-o', 'small.bin', '--json'];
    const work = await site.folder();
    const target = join(work, 'small.bin');
    const outcomes = { finished: 0, cut: 0 };

    for (let i = 0; i < cycles; i++) {
      const run = spawnRdl(args, work);
      // Anywhere in the run: most of it is start-up and the transfer, so the delays reach a little past its usual end.
      const delay = Math.floor(random() * 250);
      await sleep(delay);
      run.child.kill('SIGKILL');
      const exit = await run.exit;
      const context = `cycle ${i} (${delay} ms after spawn), seed ${seed}: ${exit.stderr}`;
      const names = await listDir(work);
      // No checkpoint is ever written for a file this quick (its first would be due after a second).
      expect(names, context).not.toContain('small.bin.rdl.json');
      if (names.includes('small.bin')) {
        // R19: the name appears only once every byte is written and flushed.
        expect(await sha256File(target), context).toBe(sha);
        outcomes.finished += 1;
        // The next cycle starts from what a kill leaves before the rename again.
        await rm(target);
      } else {
        // Killed before the rename: only the sidecars of a run, and a part file no longer than the file.
        for (const name of names)
          expect(name, context).toMatch(/^small\.bin\.(part|lock|lock\.[0-9a-f]{16}\.tmp)$/);
        if (names.includes('small.bin.part'))
          expect((await stat(join(work, 'small.bin.part'))).size, context).toBeLessThanOrEqual(size);
        outcomes.cut += 1;
      }
    }

    // One kill right after a run said it was done, so that the name's bytes are checked in every run of this test,
    // however many random kills came after a rename (none on a slow machine).
    const killedDone = spawnRdl(args, work);
    await killedDone.waitFor((e) => e.event === 'done');
    killedDone.child.kill('SIGKILL');
    await killedDone.exit;
    expect(await sha256File(target)).toBe(sha);
    outcomes.finished += 1;
    await rm(target);

    const last = await runRdl(args, work);
    expect(last.code, last.stderr).toBe(0);
    expect(last.events.at(-1)).toEqual({ event: 'done', bytes: size, sha256: sha, checks: [] });
    expect(await sha256File(target)).toBe(sha);
    // R19: no part file, checkpoint, lock or temp file left.
    expect(await listDir(work)).toEqual(['small.bin']);
    // Some kills landed before the rename (how many after it depends on the machine's speed), and the name's bytes
    // were checked after a kill at least once.
    expect(outcomes.cut, JSON.stringify(outcomes)).toBeGreaterThan(0);
    expect(outcomes.finished, JSON.stringify(outcomes)).toBeGreaterThan(0);
  }, 120_000);
});
