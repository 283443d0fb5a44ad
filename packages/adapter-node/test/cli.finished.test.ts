import { writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { createDownload } from '../src/createDownload.js';
import { FileCheckpointStore } from '../src/FileCheckpointStore.js';
import { lockPathOf } from '../src/FsStorage.js';
import { runCliInProcess } from './support/cliInProcess.js';
import { runRdl } from './support/cliProcess.js';
import { useNginxSite } from './support/nginxSite.js';
import { deadPid } from './support/processes.js';
import { sha256File, writeRandomFile } from './support/randomFile.js';
import { listDir } from './support/tempDir.js';
import { watchedHasher } from './support/wrappedPorts.js';

const size = 1024 * 1024 + 5;
let sha: string;

const site = useNginxSite('finished', '10m', async (root) => {
  sha = await writeRandomFile(join(root, 'f.bin'), size);
});

/**
 * What `rdl` SIGKILLed between the rename and the checkpoint's removal leaves in `dir`: `out.bin` whole, its
 * checkpoint counting every byte, the dead process's lock.
 */
const killedAfterRename = async (dir: string): Promise<void> => {
  const store = new FileCheckpointStore();
  const download = createDownload(
    // Checkpoints at once: a file done within its first interval saves none (and leaves nothing to adopt).
    { url: `${site.server.origin}/f.bin`, target: join(dir, 'out.bin'), checkpointIntervalMs: 0 },
    {
      checkpoints: {
        load: (target) => store.load(target),
        save: (target, text) => store.save(target, text),
        remove: () => async () => E.right(undefined),
      },
    },
  );
  download.start();
  await download.result;
  const owner = { pid: await deadPid(), startedAt: Date.now(), hostname: hostname() };
  await writeFile(lockPathOf(join(dir, 'out.bin')), JSON.stringify(owner));
  expect(await listDir(dir)).toEqual(['out.bin', 'out.bin.lock', 'out.bin.rdl.json']);
};

describe('rdl after a kill between the rename and the checkpoint removal (R19, R21)', () => {
  it('R19, R28: --json says start (every byte present) then done, and only the file remains', async () => {
    const dir = await site.folder();
    await killedAfterRename(dir);
    const run = await runRdl([`${site.server.origin}/f.bin`, '-o', 'out.bin', '--json'], dir);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.events[0]).toEqual({ event: 'start', resumedFrom: size, total: size });
    expect(run.events.at(-1)).toEqual({ event: 'done', bytes: size, sha256: sha, checks: [] });
    expect(await listDir(dir)).toEqual(['out.bin']);
  });

  it('R19: off a terminal it says every byte is already there, then the saved line (no hash asked for, none shown)', async () => {
    const dir = await site.folder();
    await killedAfterRename(dir);
    const run = await runRdl([`${site.server.origin}/f.bin`, '-o', 'out.bin'], dir);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(`rdl: every byte of ${join(dir, 'out.bin')} (1.0 MiB) is already there\n`);
    expect(run.stderr).toContain(`rdl: saved ${join(dir, 'out.bin')} (1.0 MiB)\n`);
    expect(run.stderr).not.toContain('sha256');
    expect(await listDir(dir)).toEqual(['out.bin']);
  });

  it('R19, R27: with --sha256 the file found whole is read back and checked, and the saved line shows the sum', async () => {
    const dir = await site.folder();
    await killedAfterRename(dir);
    const { hasher, work } = watchedHasher();
    const run = await runCliInProcess(
      [`${site.server.origin}/f.bin`, '-o', 'out.bin', '--sha256', sha],
      dir,
      {
        hasher,
      },
    );
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(
      `rdl: every byte of ${join(dir, 'out.bin')} (1.0 MiB) is already there: checking it`,
    );
    expect(work).toEqual({ created: ['sha256'], bytesHashed: size, digests: [sha] });
    expect(run.stderr).toContain(
      `rdl: saved ${join(dir, 'out.bin')} (1.0 MiB, sha256 ${sha}, checked sha256 (caller))`,
    );
    expect(await listDir(dir)).toEqual(['out.bin']);
  });

  it('R19: without --sha256 or --json the file found whole is adopted without reading it back for a hash', async () => {
    const dir = await site.folder();
    await killedAfterRename(dir);
    const { hasher, work } = watchedHasher();
    const run = await runCliInProcess([`${site.server.origin}/f.bin`, '-o', 'out.bin'], dir, { hasher });
    expect(run.code).toBe(0);
    expect(work).toEqual({ created: [], bytesHashed: 0, digests: [] });
    expect(await sha256File(join(dir, 'out.bin'))).toBe(sha);
    expect(await listDir(dir)).toEqual(['out.bin']);
  });
});
