import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { coveredBytes, decodeCheckpoint } from '@rdl/core/rules';
import { describe, expect, it } from 'vitest';
import { checkpointWhen } from './support/checkpointFile.js';
import { runRdl, spawnRdl } from './support/cliProcess.js';
import { useNginxSite } from './support/nginxSite.js';
import { sha256File, writeRandomFile } from './support/randomFile.js';
import { listDir } from './support/tempDir.js';

const MiB = 1024 * 1024;
const size = 64 * MiB;
let sha: string;

/**
 * The command on segments against a real server: nginx paces each connection (`limit_rate`), so that more
 * connections are more speed, and `/two/` serves at most two requests of one client at once (`limit_conn`), as
 * hosts that limit connections per address do.
 */
const site = useNginxSite(
  'segments',
  [
    // Slow enough that what arrives between a save and the kill, on a loaded machine, stays a small part; the run
    // after the kill at 16 MiB/s a connection, in sends of 128 KiB: a request a split cuts short wastes what nginx
    // had handed its socket, which at full speed on loopback can be megabytes (a run at full speed once measured
    // 1.102 × the size over both runs, on a loaded machine), and is then a send or two.
    { prefix: '/eighth/', rate: '512k', chunk: '128k', fastRate: '16m' },
    { prefix: '/two/', rate: '8m', connections: 2 },
  ],
  async (root) => {
    sha = await writeRandomFile(join(root, 'big.bin'), size);
  },
);

/** The GET lines of the access log from `from` on, for `uri`. */
const gets = async (from: number, uri: string): Promise<string[]> =>
  (await site.server.accessLog()).slice(from).filter((line) => line.startsWith(`GET ${uri} `));

const connectionOf = (line: string): number => Number(/ conn=(\d+)/.exec(line)?.[1] ?? 0);
const rangeStart = (line: string): number => Number(/range=bytes=(\d+)-/.exec(line)?.[1] ?? 0);
const sent = (lines: readonly string[]): number =>
  lines.reduce((sum, line) => sum + Number(/sent=(\d+)/.exec(line)?.[1] ?? 0), 0);

describe('rdl on segments, against nginx', () => {
  it('R41, R42: eight connections killed mid-way leave several ranges; the next run asks only for the gaps, nginx sends both runs ≤ 1.1 × the size', async () => {
    const work = await site.folder();
    const args = [`${site.server.origin}/eighth/big.bin`, '-o', 'big.bin', '--json', '-x', '8'];
    const first = spawnRdl(args, work);
    // The kill lands right after a checkpoint was saved, with several ranges and a third of the file in it: what
    // arrived since the save is all a kill can lose, so the bytes nginx sends over both runs measure what rdl asked
    // for twice. A save is the checkpoint file changing: it is read every 5 ms.
    const checkpointFile = join(work, 'big.bin.rdl.json');
    const saved = await checkpointWhen(
      checkpointFile,
      (checkpoint) => checkpoint.ranges.length > 1 && coveredBytes(checkpoint.ranges) >= size / 3,
    );
    expect(saved, 'a checkpoint of several ranges and a third of the file').not.toBeNull();
    first.child.kill('SIGKILL');
    const killed = await first.exit;
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    expect(Math.max(...killed.events.map((e) => Number(e.connections ?? 0)))).toBe(8);

    const decoded = decodeCheckpoint(await readFile(checkpointFile, 'utf8'));
    if (decoded._tag !== 'Right')
      throw new Error(`the checkpoint does not decode: ${JSON.stringify(decoded.left)}`);
    const held = decoded.right.ranges;
    // The eight lanes each began at their own offset: what they saved is several ranges, not a prefix.
    expect(held.length).toBeGreaterThan(1);
    const heldBytes = coveredBytes(held);

    await site.server.setPaced(false);
    // nginx logs a request once it ends, and the killed run's only once it sees their connections gone: the
    // resumed run's requests are told by their connections, opened after this HEAD's.
    await fetch(`${site.server.origin}/eighth/big.bin`, { method: 'HEAD' });
    const marker = (await site.server.accessLog()).filter((line) => line.startsWith('HEAD /eighth/')).at(-1);
    const after = connectionOf(marker ?? '');
    expect(after).toBeGreaterThan(0);
    const last = await runRdl(args, work);
    expect(last.code, last.stderr).toBe(0);
    expect(last.events.find((e) => e.event === 'start')?.resumedFrom).toBe(heldBytes);
    expect(last.events.at(-1)).toEqual({ event: 'done', bytes: size, sha256: sha, checks: [] });
    expect(await sha256File(join(work, 'big.bin'))).toBe(sha);
    expect(await listDir(work)).toEqual(['big.bin']);

    const resumed = (await gets(0, '/eighth/big.bin')).filter((line) => connectionOf(line) > after);
    expect(resumed.length).toBeGreaterThan(0);
    for (const line of resumed) {
      expect(
        held.some(([start, end]) => rangeStart(line) >= start && rangeStart(line) < end),
        line,
      ).toBe(false);
    }
    // What nginx sent the resumed run is about what was missing (cut requests count what the socket buffers held
    // when they were cut), and both runs together about the file once.
    expect(sent(resumed), resumed.join('\n')).toBeLessThanOrEqual(size - heldBytes + 0.1 * size);
    expect(sent(await gets(0, '/eighth/big.bin'))).toBeLessThanOrEqual(1.1 * size);
  }, 60_000);

  it.each([
    ['-x 4', ['-x', '4']],
    ['no flags (adaptive)', []],
  ])(
    'R43: a server that serves two requests at once and answers 503 past them gets two connections, and the file is whole (%s)',
    async (_, flags) => {
      const work = await site.folder();
      const before = (await site.server.accessLog()).length;
      const run = await runRdl(
        [`${site.server.origin}/two/big.bin`, '-o', 'big.bin', '--json', ...flags],
        work,
      );
      expect(run.code, run.stderr).toBe(0);
      expect(run.events.at(-1)).toEqual({ event: 'done', bytes: size, sha256: sha, checks: [] });
      expect(await sha256File(join(work, 'big.bin'))).toBe(sha);
      expect(await listDir(work)).toEqual(['big.bin']);

      const lines = await gets(before, '/two/big.bin');
      const refused = lines.filter((line) => / 503 /.test(line));
      // The connections past two were refused, a few times at most: the count came down to what the server allows
      // and was not tried again and again.
      expect(refused.length).toBeGreaterThan(0);
      expect(refused.length).toBeLessThanOrEqual(4);
      // Once the refusals came back, and until the lanes began to finish, the download ran on exactly two
      // connections: not fewer (what the server allows is used), not more (none refused again).
      const progress = run.events.filter((e) => e.event === 'progress');
      const middle = progress.filter((e) => Number(e.bytes) >= size / 8 && Number(e.bytes) <= (7 * size) / 8);
      expect(middle.length).toBeGreaterThanOrEqual(3);
      expect(middle.map((e) => e.connections)).toEqual(middle.map(() => 2));
      expect(progress.at(-1)?.connections).toBeLessThanOrEqual(2);
      expect(sent(lines)).toBeLessThanOrEqual(1.1 * size);
    },
    60_000,
  );
});
