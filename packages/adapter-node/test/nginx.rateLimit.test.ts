import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runRdl } from './support/cliProcess.js';
import { useNginxSite } from './support/nginxSite.js';
import { sha256File, writeRandomFile } from './support/randomFile.js';

const MiB = 1024 * 1024;
const size = 12 * MiB;
let sha: string;

/** nginx serves at full speed: only rdl's own limit holds the transfer back. */
const site = useNginxSite('ratelimit', '1m', async (root) => {
  sha = await writeRandomFile(join(root, 'file.bin'), size);
});

describe('rdl --limit-rate, against nginx', () => {
  it.each([1, 4])(
    'R44: --limit-rate 4M on %i connection(s): 12 MiB take at least the time the limit allows, and the file is whole',
    async (connections) => {
      const work = await site.folder();
      const startedAt = performance.now();
      const run = await runRdl(
        [
          `${site.server.origin}/file.bin`,
          '-o',
          'file.bin',
          '--json',
          '--limit-rate',
          '4M',
          '-x',
          String(connections),
        ],
        work,
      );
      const tookMs = performance.now() - startedAt;
      expect(run.code, run.stderr).toBe(0);
      expect(await sha256File(join(work, 'file.bin'))).toBe(sha);
      // The bytes read never outran 4 MiB/s: past the first burst (a quarter of a second of the limit) and one read
      // a connection (a 256 KiB slot), the rest took its time. A busy machine only makes it slower.
      const early = 4 * MiB * 0.25 + connections * 256 * 1024;
      expect(tookMs).toBeGreaterThanOrEqual(((size - early) / (4 * MiB)) * 1000);
      const progress = run.events.filter((e) => e.event === 'progress');
      expect(Math.max(...progress.map((e) => Number(e.connections ?? 0)))).toBeLessThanOrEqual(connections);
    },
    30_000,
  );
});
