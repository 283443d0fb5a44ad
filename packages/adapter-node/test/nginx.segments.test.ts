import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { coveredBytes, decodeCheckpoint } from '@rdl/core/rules';
import { describe, expect, it } from 'vitest';
import { bytesOf, runRdl, spawnRdl } from './support/cliProcess.js';
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
    { prefix: '/eighth/', rate: '2m' },
    { prefix: '/two/', rate: '8m', connections: 2 },
  ],
  async (root) => {
    sha = await writeRandomFile(join(root, 'big.bin'), size);
  },
);

/** The GET lines of the access log from `from` on, for `uri`. */
const gets = async (from: number, uri: string): Promise<string[]> =>
  (await site.server.accessLog()).slice(from).filter((line) => line.startsWith(`GET ${uri} `));

const rangeStart = (line: string): number => Number(/range=bytes=(\d+)-/.exec(line)?.[1] ?? 0);
const sent = (lines: readonly string[]): number =>
  lines.reduce((sum, line) => sum + Number(/sent=(\d+)/.exec(line)?.[1] ?? 0), 0);

describe('rdl on segments, against nginx', () => {
  it('R41, R42: eight connections killed mid-way leave several ranges; the next run asks only for the gaps, and nginx sends it about what was missing', async () => {
    const work = await site.folder();
    const args = [`${site.server.origin}/eighth/big.bin`, '-o', 'big.bin', '--json', '-x', '8'];
    const first = spawnRdl(args, work);
    await first.waitFor((event) => bytesOf(event) >= 0.4 * size);
    first.child.kill('SIGKILL');
    const killed = await first.exit;
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    expect(Math.max(...killed.events.map((e) => Number(e.connections ?? 0)))).toBe(8);

    const decoded = decodeCheckpoint(await readFile(join(work, 'big.bin.rdl.json'), 'utf8'));
    if (decoded._tag !== 'Right')
      throw new Error(`the checkpoint does not decode: ${JSON.stringify(decoded.left)}`);
    const held = decoded.right.ranges;
    // The eight lanes each began at their own offset: what they saved is several ranges, not a prefix.
    expect(held.length).toBeGreaterThan(1);
    const heldBytes = coveredBytes(held);
    expect(heldBytes).toBeGreaterThan(0);

    await site.server.setPaced(false);
    const before = (await site.server.accessLog()).length;
    const last = await runRdl(args, work);
    expect(last.code, last.stderr).toBe(0);
    expect(last.events.find((e) => e.event === 'start')?.resumedFrom).toBe(heldBytes);
    expect(last.events.at(-1)).toEqual({ event: 'done', bytes: size, sha256: sha, checks: [] });
    expect(await sha256File(join(work, 'big.bin'))).toBe(sha);
    expect(await listDir(work)).toEqual(['big.bin']);

    const resumed = await gets(before, '/eighth/big.bin');
    expect(resumed.length).toBeGreaterThan(0);
    for (const line of resumed) {
      expect(
        held.some(([start, end]) => rangeStart(line) >= start && rangeStart(line) < end),
        line,
      ).toBe(false);
    }
    // What nginx sent the resumed run is about what was missing: no range fetched twice. (The killed run's count is
    // no measure: what sat in the socket buffers at the kill counts as sent.)
    expect(sent(resumed)).toBeLessThanOrEqual(size - heldBytes + 0.05 * size);
  }, 60_000);

  it('R43: a server that serves two requests at once and answers 503 past them gets two connections, and the file is whole', async () => {
    const work = await site.folder();
    const before = (await site.server.accessLog()).length;
    const run = await runRdl(
      [`${site.server.origin}/two/big.bin`, '-o', 'big.bin', '--json', '-x', '4'],
      work,
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.events.at(-1)).toEqual({ event: 'done', bytes: size, sha256: sha, checks: [] });
    expect(await sha256File(join(work, 'big.bin'))).toBe(sha);
    expect(await listDir(work)).toEqual(['big.bin']);

    const lines = await gets(before, '/two/big.bin');
    const refused = lines.filter((line) => / 503 /.test(line));
    // The third and fourth connections were refused, once each: the count came down to what the server allows and
    // was not tried again and again.
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.length).toBeLessThanOrEqual(4);
    const progress = run.events.filter((e) => e.event === 'progress');
    expect(progress.at(-1)?.connections).toBeLessThanOrEqual(2);
    expect(sent(lines)).toBeLessThanOrEqual(1.1 * size);
  }, 60_000);
});
