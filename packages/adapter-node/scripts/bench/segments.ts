/** The segments section: several connections a file, paced by nginx and unpaced, rdl against aria2c and curl. */
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, statfs } from 'node:fs/promises';
import { freemem, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { writeRepeatedFile } from '../../test/support/randomFile.js';
import { alternate, type Entrant, rowsOf, settle, type Tool, verify, warmUp } from './entrants.js';
import { MiB, rdlShim, rssGoalMiB, runsOr, say, sizeMiB, tmpfsMagic, withNginx } from './environment.js';
import { type Measure, medianWall, peakMiB, printTable, seconds } from './measure.js';

/** nginx's pace of a connection in the paced runs, as `limit_rate` writes it, and in bytes a second. */
const pace = '20m';
const paceBytes = 20 * MiB;

/**
 * The connection counts the progress lines of one untimed `rdl --json` run (no flags) showed, each once as it
 * changed; the file is checked against the done event's SHA-256 and deleted.
 */
const connectionCounts = async (entrant: Entrant, out: string): Promise<number[]> => {
  const run = spawnSync(rdlShim, [entrant.url, '-o', out, '--json'], {
    cwd: dirname(out),
    encoding: 'utf8',
    maxBuffer: 64 * MiB,
  });
  if (run.status !== 0) throw new Error(`rdl --json exited ${run.status}: ${run.stderr}`);
  const lines = run.stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as { event: string; connections?: number; sha256?: string });
  if (lines.at(-1)?.sha256 !== entrant.sha256)
    throw new Error(`rdl --json ended with ${JSON.stringify(lines.at(-1))}`);
  await verify(entrant, out);
  await settle(out);
  const counts: number[] = [];
  for (const line of lines) {
    if (line.event === 'progress' && line.connections !== undefined && line.connections !== counts.at(-1))
      counts.push(line.connections);
  }
  return counts;
};

/**
 * A new folder for the segments section: on /dev/shm when it is a tmpfs with room for `need` bytes (counting the
 * RAM its pages take), else in the temp folder. Resolves it and a sentence saying where it is and why.
 */
const segmentsFolder = async (need: number): Promise<{ dir: string; where: string }> => {
  const shm = '/dev/shm';
  const fs = await statfs(shm).catch(() => null);
  const room = fs === null ? 0 : Math.min(fs.bavail * fs.bsize, freemem() - 512 * MiB);
  if (fs !== null && fs.type === tmpfsMagic && room >= need)
    return { dir: await mkdtemp(join(shm, 'rdl-bench-')), where: `on tmpfs ${shm}` };
  const dir = await mkdtemp(join(tmpdir(), 'rdl-bench-'));
  const tmp = await statfs(dir);
  if (tmp.bavail * tmp.bsize < need) {
    await rm(dir, { recursive: true, force: true });
    throw new Error(
      `the segments section needs ${(need / MiB).toFixed(0)} MiB free, in ${shm} or ${tmpdir()}`,
    );
  }
  const why =
    fs === null || fs.type !== tmpfsMagic
      ? `${shm} is not a tmpfs`
      : `${shm} has room for ${(room / MiB).toFixed(0)} MiB, not ${(need / MiB).toFixed(0)}`;
  return { dir, where: `NOT on a tmpfs but in ${tmpdir()}, on its disk (${why})` };
};

/** Issue 10's goal on two rows of a table: the ratio of their median walls, and whether it is at most `goal`. */
const goalLine = (results: Map<string, Measure[]>, name: string, against: string, goal: number): string => {
  const ratio = medianWall(results.get(name)!) / medianWall(results.get(against)!);
  return `${name} / ${against} median wall ratio ${ratio.toFixed(2)}  (goal ≤ ${goal.toFixed(2)}: ${ratio <= goal ? 'met' : 'NOT met'})`;
};

export const segments = async (): Promise<void> => {
  const bytes = sizeMiB * MiB;
  // curl's one paced connection fetches a quarter of the file, which takes about as long as a few other runs.
  const curlShare = 4;
  const quarterBytes = bytes / curlShare;
  const { dir: work, where } = await segmentsFolder(bytes + quarterBytes + bytes + 64 * MiB);
  const root = join(work, 'root');
  const outDir = join(work, 'out');
  await mkdir(root);
  await mkdir(outDir);
  await withNginx(
    { root, slow: [{ prefix: '/paced/', rate: pace }] },
    () => [work],
    async (server) => {
      const file = {
        path: 'data.bin',
        bytes,
        sha256: await writeRepeatedFile(join(root, 'data.bin'), bytes),
      };
      const quarter = {
        path: 'quarter.bin',
        bytes: quarterBytes,
        sha256: await writeRepeatedFile(join(root, 'quarter.bin'), quarterBytes),
      };
      const out = join(outDir, 'data.bin');
      const rssFile = join(work, 'rss.txt');
      const entrant = (name: string, tool: Tool, location: string, of: typeof file): Entrant => ({
        name,
        tool,
        url: `${server.origin}${location}${of.path}`,
        bytes: of.bytes,
        sha256: of.sha256,
      });
      const curlQuarter = entrant(
        `curl (${quarterBytes / MiB} MiB, ×${curlShare})*`,
        'curl',
        '/paced/',
        quarter,
      );
      await warmUp(
        (['rdl', 'curl', 'aria2c -x16 -s16 -k1M'] as const).map((t) => entrant(t, t, '/', quarter)),
        out,
        rssFile,
      );

      const pacedRuns = runsOr(5);
      say();
      say(
        `Segments (a): ${sizeMiB} MiB from nginx paced to ${paceBytes / MiB} MiB/s a connection (limit_rate ${pace}), ${pacedRuns} alternating runs each, files ${where} (${work})`,
      );
      const paced = [
        entrant('rdl (no flags)', 'rdl', '/paced/', file),
        entrant('rdl -x 16', 'rdl -x 16', '/paced/', file),
        // With a hash: its bytes are read back in order behind the segments, and the end waits for it.
        entrant('rdl --sha256', 'rdl --sha256', '/paced/', file),
        entrant('aria2c -x16 -s16 -k1M', 'aria2c -x16 -s16 -k1M', '/paced/', file),
        entrant('aria2c -x4 -s4', 'aria2c -x4 -s4', '/paced/', file),
        curlQuarter,
      ];
      const pacedResults = await alternate(paced, pacedRuns, out, rssFile);
      const pacedCounts = await connectionCounts(paced[0]!, out);
      const curlMeasured = medianWall(pacedResults.get(curlQuarter.name)!);
      say();
      printTable(
        paced.map((e) =>
          e === curlQuarter
            ? { name: e.name, measures: pacedResults.get(e.name)!, bytes, scale: curlShare }
            : { name: e.name, measures: pacedResults.get(e.name)!, bytes: e.bytes },
        ),
        'aria2c -x16 -s16 -k1M',
      );
      say(
        `* curl, one connection, fetched ${(quarterBytes / MiB).toFixed(0)} MiB (median ${seconds(curlMeasured)} s); its times are scaled ×${curlShare} to the whole file, not measured on it. Its peak RSS is of the ${(quarterBytes / MiB).toFixed(0)} MiB run.`,
      );
      say(
        `At ${paceBytes / MiB} MiB/s a connection the floor is ${seconds((bytes / (16 * paceBytes)) * 1000)} s on 16 connections, ${seconds((bytes / (4 * paceBytes)) * 1000)} s on 4, ${seconds((bytes / paceBytes) * 1000)} s on 1.`,
      );
      say(
        `rdl (no flags), one more untimed --json run: connections ${pacedCounts.join(' → ')} (the count falls as lanes finish)`,
      );
      say(goalLine(pacedResults, 'rdl (no flags)', 'aria2c -x16 -s16 -k1M', 1));

      // Unpaced runs of one command spread by a fifth here (1.03–1.41 s), and the goal against -x 1 is 5 %: more
      // runs, cheap at about a second each, for a median that can tell.
      const unpacedRuns = runsOr(9);
      say();
      say(
        `Segments (b): ${sizeMiB} MiB from nginx unpaced, ${unpacedRuns} alternating runs each, files ${where}`,
      );
      const unpaced = [
        entrant('rdl (no flags)', 'rdl', '/', file),
        entrant('rdl -x 1', 'rdl -x 1', '/', file),
        entrant('rdl -x 16', 'rdl -x 16', '/', file),
        entrant('curl', 'curl', '/', file),
        entrant('aria2c -x16 -s16 -k1M', 'aria2c -x16 -s16 -k1M', '/', file),
      ];
      const unpacedResults = await alternate(unpaced, unpacedRuns, out, rssFile);
      const unpacedCounts = await connectionCounts(unpaced[0]!, out);
      say();
      printTable(rowsOf(unpaced, unpacedResults), 'curl');
      say(
        `rdl (no flags), one more untimed --json run: connections ${unpacedCounts.join(' → ')} (the count falls as lanes finish)`,
      );
      say(goalLine(unpacedResults, 'rdl (no flags)', 'rdl -x 1', 1.05));
      say(goalLine(unpacedResults, 'rdl (no flags)', 'curl', 1));

      // The goal is the plain download's; the hash's thread and read-back are reported beside it.
      const hashed = (name: string) => name.includes('--sha256');
      const rdlPeaks = [...pacedResults, ...unpacedResults]
        .filter(([name]) => name.startsWith('rdl') && !hashed(name))
        .map(([, ms]) => peakMiB(ms));
      const worst = Math.max(...rdlPeaks);
      const hashedPeak = Math.max(
        ...[...pacedResults].filter(([name]) => hashed(name)).map(([, ms]) => peakMiB(ms)),
      );
      say(
        `rdl peak RSS over both tables at most ${worst.toFixed(1)} MiB  (goal ≤ ${rssGoalMiB} MiB: ${worst <= rssGoalMiB ? 'met' : 'NOT met'}); with --sha256 ${hashedPeak.toFixed(1)} MiB`,
      );
    },
  );
};
