import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { bytesOf, type JsonEvent, runRdl, spawnRdl, spawnScript } from '../support/cliProcess.js';
import { useNginxSite } from '../support/nginxSite.js';
import { sha256File, writeRandomFile } from '../support/randomFile.js';
import { oneLine } from '../support/refusal.js';
import { listDir } from '../support/tempDir.js';
import { bundleContracts } from './contractBundle.js';
import { type Runtime, runtimes } from './runtimes.js';

const here = dirname(fileURLToPath(import.meta.url));
const MiB = 1024 * 1024;
/** Killed once a checkpoint counts `killAfter`, then resumed: at nginx's 8 MB/s, 4 MiB take half a second. */
const resumeSize = 4 * MiB;
const killAfter = 512 * 1024;
/** Signalled mid-way, never finished. */
const longSize = 32 * MiB;
const smallSize = 256 * 1024 + 7;

let resumeSha = '';
let smallSha = '';
const site = useNginxSite('runtimes', '8m', async (root) => {
  resumeSha = await writeRandomFile(join(root, 'resume.bin'), resumeSize);
  smallSha = await writeRandomFile(join(root, 'small.bin'), smallSize);
  await writeRandomFile(join(root, 'long.bin'), longSize);
});

// The contract suites, bundled once with a stand-in for vitest, and their case names for the tests below.
const bundleDir = await mkdtemp(join(tmpdir(), 'rdl-runtimes-bundle-'));
const contracts = join(bundleDir, 'contracts.mjs');
await bundleContracts(contracts);
const listed = spawnSync(process.execPath, [contracts, '--list'], { encoding: 'utf8' });
const caseNames = listed.stdout
  .split('\n')
  .filter((line) => line.startsWith('{'))
  .map((line) => (JSON.parse(line) as { name: string }).name);
afterAll(() => rm(bundleDir, { recursive: true, force: true }));

interface CaseResult {
  readonly name: string;
  readonly status: 'passed' | 'failed' | 'skipped';
  readonly message: string;
}

const envOf = (runtime: Runtime): NodeJS.ProcessEnv => ({ ...process.env, ...runtime.env });

/** Runs every contract case under `runtime`, once, whichever of its tests asks first. */
const contractResults = (runtime: Runtime): (() => Promise<Map<string, CaseResult>>) => {
  let results: Promise<Map<string, CaseResult>> | null = null;
  return () => {
    results ??= spawnScript(runtime.command, contracts, [], bundleDir, envOf(runtime)).exit.then(
      (exit) => new Map(exit.events.map((e) => [String(e.name), e as unknown as CaseResult])),
    );
    return results;
  };
};

/** One failure line on stderr, no stack trace (R29). */

const checkpointed = (atLeast: number) => (event: JsonEvent) =>
  event.event === 'checkpoint' && Number(event.bytes) >= atLeast;

describe.each(runtimes.map((runtime) => [`${runtime.name} ${runtime.version}`, runtime] as const))(
  '%s',
  (_title, runtime) => {
    const results = contractResults(runtime);

    it.each(caseNames)('%s', async (name) => {
      const result = (await results()).get(name);
      expect(result?.message ?? 'the case did not run').toBe('');
      expect(result?.status).toBe('passed');
    });

    it('R20, R21, R23, R42: the library, killed (SIGKILL) mid-download, resumes from its checkpoint, asking only for the gaps, to the right SHA-256', async () => {
      const dir = await site.folder();
      const url = `${site.server.origin}/slow/resume.bin`;
      const target = join(dir, 'resume.bin');
      const script = join(here, 'download.mjs');
      const first = spawnScript(
        runtime.command,
        script,
        [url, target, String(killAfter)],
        dir,
        envOf(runtime),
      );
      const saved = await first.waitFor(checkpointed(killAfter));
      expect(saved).not.toBeNull();
      // While it holds the target, another process is refused it: the lock's owner is seen alive (R23).
      const busy = await runRdl([url, '-o', target], dir, runtime.command, envOf(runtime));
      expect(busy.code).toBe(1);
      expect(busy.stderr).toMatch(oneLine('ERR_TARGET_BUSY'));
      first.child.kill('SIGKILL');
      await first.exit;
      expect(existsSync(target)).toBe(false);
      // The resumed run needs no pace: nginx serves it at full speed.
      await site.server.setPaced(false);
      const before = (await site.server.accessLog()).length;

      const second = await spawnScript(runtime.command, script, [url, target], dir, {
        ...envOf(runtime),
        RDL_TEST_RUN: 'resumed',
      }).exit;
      expect(second.stderr).toBe('');
      const start = second.events.find((e) => e.event === 'start');
      const resumedFrom = Number(start?.resumedFrom);
      expect(resumedFrom).toBeGreaterThanOrEqual(Number(saved?.bytes));
      expect(resumedFrom).toBeLessThan(resumeSize);
      expect(second.events.at(-1)).toEqual({ event: 'done', bytes: resumeSize, sha256: resumeSha });
      // Whether on one connection or on segments, no request of the resumed run starts inside a range the checkpoint
      // held, and the bytes nginx sent it are about what was missing (R26, R42).
      const held = (saved?.ranges ?? []) as [number, number][];
      const resumed = (await site.server.accessLog())
        .slice(before)
        // nginx logs a request once it ends: the killed run's may come after `before`; only this run's count.
        .filter((line) => line.startsWith('GET /slow/resume.bin ') && line.endsWith(' run=resumed'));
      expect(resumed.length).toBeGreaterThan(0);
      for (const line of resumed) {
        const from = Number(/range=bytes=(\d+)-/.exec(line)?.[1] ?? 0);
        expect(
          held.some(([start, end]) => from >= start && from < end),
          line,
        ).toBe(false);
      }
      const sent = resumed.reduce((sum, line) => sum + Number(/sent=(\d+)/.exec(line)?.[1] ?? 0), 0);
      expect(sent).toBeLessThanOrEqual(resumeSize - Number(saved?.bytes) + 0.1 * resumeSize);
      expect(await listDir(dir)).toEqual(['resume.bin']);
    });

    it('R27: the command exits 0 with the file whole, its SHA-256 checked', async () => {
      const dir = await site.folder();
      const url = `${site.server.origin}/small.bin`;
      const exit = await runRdl(
        [url, '-o', 'out.bin', '--sha256', smallSha, '-q'],
        dir,
        runtime.command,
        envOf(runtime),
      );
      expect(exit.stderr).toBe('');
      expect(exit.code).toBe(0);
      expect(await sha256File(join(dir, 'out.bin'))).toBe(smallSha);
      expect(await listDir(dir)).toEqual(['out.bin']);
    });

    it('R29: the command exits 1 on a failure, with one line and no stack trace', async () => {
      const dir = await site.folder();
      const exit = await runRdl(
        [`${site.server.origin}/missing.bin`, '-o', 'out.bin'],
        dir,
        runtime.command,
        envOf(runtime),
      );
      expect(exit.code).toBe(1);
      expect(exit.stderr).toMatch(oneLine('ERR_HTTP_STATUS'));
    });

    it('R30: the command exits 2 on bad input, before any request and creating no file', async () => {
      const dir = await site.folder();
      const exit = await runRdl(
        [`${site.server.origin}/small.bin`, '--retries', 'many'],
        dir,
        runtime.command,
        envOf(runtime),
      );
      expect(exit.code).toBe(2);
      expect(exit.stderr).toMatch(oneLine('ERR_INVALID_INPUT'));
      expect(await listDir(dir)).toEqual([]);
    });

    it.each([
      ['SIGINT', 130],
      ['SIGTERM', 143],
    ] as const)(
      'R24: the command exits on %s with %i, the checkpoint saved, and the same command resumes',
      async (signal, code) => {
        const dir = await site.folder();
        const args = [`${site.server.origin}/slow/long.bin`, '-o', 'out.bin', '--json'];
        const run = spawnRdl(args, dir, runtime.command, envOf(runtime));
        expect(await run.waitFor((e) => bytesOf(e) > 0)).not.toBeNull();
        run.child.kill(signal);
        const exit = await run.exit;
        expect(exit.code).toBe(code);
        expect(await listDir(dir)).toEqual(['out.bin.part', 'out.bin.rdl.json']);
        const saved = JSON.parse(await readFile(join(dir, 'out.bin.rdl.json'), 'utf8')) as {
          ranges: [number, number][];
        };
        expect(saved.ranges[0]?.[1]).toBeGreaterThan(0);
      },
    );
  },
);
