import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliInProcess } from './support/cliInProcess.js';
import { useNginxSite } from './support/nginxSite.js';
import { sha256File, writeRandomFile } from './support/randomFile.js';
import { listDir } from './support/tempDir.js';
import { watchedHasher } from './support/wrappedPorts.js';

const MiB = 1024 * 1024;
const size = 3 * MiB + 17;
let sha: string;

const site = useNginxSite('cli-hashing', '10m', async (root) => {
  sha = await writeRandomFile(join(root, 'f.bin'), size);
});

/** The command's code in this process, its hasher watched: what it hashed is seen, not inferred from its output. */
const run = async (extra: readonly string[]) => {
  const dir = await site.folder();
  const { hasher, work } = watchedHasher();
  const result = await runCliInProcess([`${site.server.origin}/f.bin`, '-o', 'out.bin', ...extra], dir, {
    hasher,
  });
  return { ...result, work, dir, target: join(dir, 'out.bin') };
};

describe('rdl computes the SHA-256 only when it is used', () => {
  it('without --sha256 or --json: no hash is created, not a byte hashed; the saved line has no sha256', async () => {
    const r = await run([]);
    expect(r.code).toBe(0);
    expect(r.work).toEqual({ created: [], bytesHashed: 0, digests: [] });
    expect(
      r.stderr
        .split('\n')
        .filter((l) => l !== '')
        .at(-1),
    ).toBe(`rdl: saved ${r.target} (3.0 MiB)`);
    expect(r.stderr).not.toContain('sha256');
    expect(await sha256File(r.target)).toBe(sha);
  });

  it('--quiet: no hash either, and nothing printed', async () => {
    const r = await run(['--quiet']);
    expect(r).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect(r.work).toEqual({ created: [], bytesHashed: 0, digests: [] });
    expect(await sha256File(r.target)).toBe(sha);
  });

  it('--json: one SHA-256 over every byte, and the done event carries it', async () => {
    const r = await run(['--json']);
    expect(r.code).toBe(0);
    expect(r.work).toEqual({ created: ['sha256'], bytesHashed: size, digests: [sha] });
    expect(r.events.at(-1)).toEqual({ event: 'done', bytes: size, sha256: sha, checks: [] });
  });

  it('R27: --sha256 that matches: hashed once, checked, and the saved line shows it', async () => {
    const r = await run(['--sha256', sha.toUpperCase()]);
    expect(r.code).toBe(0);
    expect(r.work).toEqual({ created: ['sha256'], bytesHashed: size, digests: [sha] });
    expect(r.stderr).toContain(`rdl: saved ${r.target} (3.0 MiB, sha256 ${sha}, checked sha256 (caller))`);
    expect(await listDir(r.dir)).toEqual(['out.bin']);
  });

  it('R27, R29: --sha256 that does not match: ERR_INTEGRITY naming both values, exit 1, no file under the target name', async () => {
    const wrong = 'f'.repeat(64);
    const r = await run(['--sha256', wrong, '--json']);
    expect(r.code).toBe(1);
    expect(r.work.created).toContain('sha256');
    expect(r.work.digests).toContain(sha);
    expect(r.stderr).toMatch(/^rdl: [^\n]+ \(ERR_INTEGRITY\)\n$/);
    expect(r.stderr).toContain(wrong);
    expect(r.stderr).toContain(sha);
    expect(r.events.at(-1)).toMatchObject({ event: 'error', code: 'ERR_INTEGRITY' });
    expect(r.events.some((e) => e.event === 'done')).toBe(false);
    expect(await listDir(r.dir)).not.toContain('out.bin');
  });
});
