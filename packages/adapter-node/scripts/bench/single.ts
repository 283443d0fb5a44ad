/** The single section: one connection, curl and aria2c -x1 against rdl; rdl on a big file; a resume's first byte. */
import { spawn, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, statfs } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { coveredBytes, decodeCheckpoint } from '@rdl/core/rules';
import { writeRepeatedFile } from '../../test/support/randomFile.js';
import { median, quantile } from '../stats.js';
import { alternate, commandOf, type Entrant, rowsOf, settle, type Tool, warmUp } from './entrants.js';
import { bigMiB, MiB, rdlShim, rssGoalMiB, runsOr, say, sizeMiB, withNginx } from './environment.js';
import { exited, measure, medianWall, mibS, peakMiB, printTable } from './measure.js';

/** Time from spawn to the first progress past the resume point, after a SIGKILL at half the file. */
const resumeFirstByte = async (
  url: string,
  cwd: string,
  bytes: number,
): Promise<{ firstByteMs: number; startMs: number }> => {
  const out = join(cwd, 'resume.bin');
  const first = spawn(rdlShim, [url, '-o', out, '--json'], {
    cwd,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  // Killed past half the file, once a checkpoint counts 40 % of it (one is saved every second) but not all of it (a
  // run that holds every byte has nothing to resume). On several connections its bytes are several ranges.
  const committed = async (): Promise<number> => {
    const decoded = decodeCheckpoint(await readFile(`${out}.rdl.json`, 'utf8').catch(() => ''));
    return decoded._tag === 'Right' ? coveredBytes(decoded.right.ranges) : 0;
  };
  let half = false;
  let buffer = '';
  first.stdout?.on('data', (c: Buffer) => {
    buffer += c.toString();
    const lines = buffer.split('\n');
    buffer = lines.pop() ?? '';
    for (const line of lines) {
      const e = JSON.parse(line) as { event: string; bytes?: number };
      if (e.event === 'progress' && (e.bytes ?? 0) >= bytes / 2) half = true;
    }
  });
  while (first.exitCode === null && first.signalCode === null) {
    const held = half ? await committed() : 0;
    if (held >= bytes * 0.4 && held < bytes) {
      first.kill('SIGKILL');
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await exited(first);
  if (first.exitCode !== null) throw new Error('the first run ended before it could be killed half-way');

  const t0 = performance.now();
  const second = spawn(rdlShim, [url, '-o', out, '--json'], {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let secondErr = '';
  second.stderr?.on('data', (c: Buffer) => {
    secondErr += c.toString();
  });
  const measured = new Promise<{ firstByteMs: number; startMs: number }>((resolve, reject) => {
    let buffer = '';
    let startMs = 0;
    let from = -1;
    second.stdout?.on('data', (c: Buffer) => {
      buffer += c.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        const e = JSON.parse(line) as { event: string; bytes?: number; resumedFrom?: number };
        if (e.event === 'start') {
          startMs = performance.now() - t0;
          from = e.resumedFrom ?? 0;
          if (from === 0 || from === bytes)
            reject(new Error(`the second run resumed from ${from}: ${secondErr}`));
        }
        if (e.event === 'progress' && from > 0 && (e.bytes ?? 0) > from) {
          resolve({ firstByteMs: performance.now() - t0, startMs });
        }
      }
    });
    second.once('close', () => reject(new Error(`the second run ended before its first byte: ${secondErr}`)));
  });
  try {
    return await measured;
  } finally {
    // Measured (or failed): the rest of the run is not needed.
    if (second.exitCode === null && second.signalCode === null) second.kill('SIGKILL');
    await exited(second);
    await settle(out);
  }
};

export const singleConnection = async (): Promise<void> => {
  const runs = runsOr(5);
  const work = await mkdtemp(join(tmpdir(), 'rdl-bench-'));
  const root = join(work, 'root');
  const outDir = join(work, 'out');
  await mkdir(root);
  await mkdir(outDir);
  const fs = await statfs(work);
  const free = fs.bavail * fs.bsize;
  const bigBytes = bigMiB * MiB;
  const runBig = bigMiB > 0 && free > 2.2 * bigBytes + 2.2 * sizeMiB * MiB;
  const bytes = sizeMiB * MiB;
  await withNginx(
    { root },
    () => [work],
    async (server) => {
      say();
      say(
        `One connection: ${sizeMiB} MiB from nginx, curl and aria2c -x1 against rdl with no flags (its adaptive count), ${runs} alternating runs each (temp: ${work})`,
      );
      const sha256 = await writeRepeatedFile(join(root, 'data.bin'), bytes);
      const url = `${server.origin}/data.bin`;
      const out = join(outDir, 'data.bin');
      const rssFile = join(work, 'rss.txt');
      const entrantOf = (tool: Tool): Entrant => ({ name: tool, tool, url, bytes, sha256 });

      await warmUp(
        ['curl', 'rdl', 'aria2c -x1'].map((t) => entrantOf(t as Tool)),
        out,
        rssFile,
      );
      const tools: Tool[] = ['rdl', 'curl', 'curl+fsync', 'aria2c -x1', 'rdl --sha256', 'curl+sha256sum'];
      const entrants = tools.map(entrantOf);
      const results = await alternate(entrants, runs, out, rssFile);

      say();
      printTable(rowsOf(entrants, results), null);
      const med = (t: Tool): number => medianWall(results.get(t)!);
      const peakOf = (t: Tool): number => peakMiB(results.get(t)!);
      const ratioCurl = med('rdl') / med('curl');
      const rdlPeak = peakOf('rdl');
      const rdlPeakAny = Math.max(rdlPeak, peakOf('rdl --sha256'));
      say();
      say(
        `rdl/curl   median wall ratio ${ratioCurl.toFixed(2)}  (goal ≤ 1.00: ${ratioCurl <= 1 ? 'met' : 'NOT met'})`,
      );
      say(
        `rdl/(curl+fsync) median wall ratio ${(med('rdl') / med('curl+fsync')).toFixed(2)}  (same durability)`,
      );
      say(`rdl/aria2c median wall ratio ${(med('rdl') / med('aria2c -x1')).toFixed(2)}`);
      say(
        `rdl --sha256/(curl+sha256sum) median wall ratio ${(med('rdl --sha256') / med('curl+sha256sum')).toFixed(2)}  (same check)`,
      );
      say(
        `rdl peak RSS ${rdlPeak.toFixed(1)} MiB, with --sha256 ${peakOf('rdl --sha256').toFixed(1)} MiB  (goal ≤ ${rssGoalMiB} MiB: ${rdlPeakAny <= rssGoalMiB ? 'met' : 'NOT met'})`,
      );

      const nodeStart = median(
        [0, 1, 2].map(() => {
          const t = performance.now();
          spawnSync(process.execPath, ['-e', '0']);
          return performance.now() - t;
        }),
      );
      // A sample is void when the first run got too far before a checkpoint let it be killed (a small file).
      const resumes: { firstByteMs: number; startMs: number }[] = [];
      for (let attempt = 0; attempt < 6 && resumes.length < 3; attempt++) {
        try {
          resumes.push(await resumeFirstByte(url, outDir, bytes));
        } catch (error) {
          say(`  resume sample void: ${error instanceof Error ? error.message : String(error)}`);
        }
        await settle(join(outDir, 'resume.bin'));
      }
      if (resumes.length === 0) {
        say(
          'resume after SIGKILL at 50 %: not measured (the file downloads faster than a checkpoint lets it be killed)',
        );
      } else {
        say(
          `resume after SIGKILL at 50 %: first byte past the resume point after ${median(resumes.map((r) => r.firstByteMs)).toFixed(0)} ms (start event ${median(resumes.map((r) => r.startMs)).toFixed(0)} ms; node start-up alone ${nodeStart.toFixed(0)} ms; median of ${resumes.length})`,
        );
      }

      if (runBig) {
        await rm(join(root, 'data.bin'));
        await writeRepeatedFile(join(root, 'big.bin'), bigBytes);
        const bigOut = join(outDir, 'big.bin');
        // Plain rdl hashes nothing, so the big file's SHA-256 is not needed.
        // The one connection rdl settles on unpaced, then sixteen (issue 10's memory goal holds on this size too:
        // every lane's batches come out of the same read slots and copy buffers).
        for (const tool of ['rdl', 'rdl -x 16'] as const) {
          const [cmd, args] = commandOf(tool, `${server.origin}/big.bin`, bigOut, '');
          const m = await measure(cmd, args, outDir, rssFile);
          const got = (await stat(bigOut)).size;
          if (got !== bigBytes) throw new Error(`${tool} wrote ${got} bytes of ${bigBytes}`);
          await settle(bigOut);
          const s = m.rssSamplesKiB.slice(Math.floor(m.rssSamplesKiB.length / 10)).map((k) => k / 1024);
          say(
            `${tool} on ${bigMiB} MiB: ${(m.wallMs / 1000).toFixed(1)} s, ${mibS(bigBytes, m.wallMs)} MiB/s, peak RSS ${(m.peakRssKiB / 1024).toFixed(1)} MiB (${tool === 'rdl' ? `${sizeMiB} MiB: ${rdlPeak.toFixed(1)}` : `goal ≤ ${rssGoalMiB}`}); RSS after warm-up p10 ${quantile(s, 0.1).toFixed(1)} / p50 ${quantile(s, 0.5).toFixed(1)} / p90 ${quantile(s, 0.9).toFixed(1)} / max ${Math.max(...s).toFixed(1)} MiB over ${s.length} samples`,
          );
        }
      } else if (bigMiB > 0) {
        say(
          `rdl on ${bigMiB} MiB: skipped, ${(free / MiB / 1024).toFixed(1)} GiB free in ${tmpdir()} is not enough`,
        );
      }
    },
  );
};
