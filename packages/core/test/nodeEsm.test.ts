import { describe, expect, it } from 'vitest';
import { parseUrl } from '../src/model/url.js';

/**
 * Core is loaded by plain Node ESM (the Node adapter, the CLI), which resolves neither directory imports nor
 * extension-less files: fp-ts 2.16 has no exports map, so `fp-ts/Either` fails there with ERR_UNSUPPORTED_DIR_IMPORT
 * while bundlers and vitest resolve it. These proofs run outside vitest's resolver, in a child `node`.
 */

// Core's tsconfig has no platform types; the few Node APIs these proofs need are named here.
declare const process: { readonly execPath: string };
declare global {
  interface ImportMeta {
    readonly url: string;
  }
}
interface SpawnResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}
type SpawnSync = (
  command: string,
  args: readonly string[],
  options: { readonly cwd: string; readonly encoding: 'utf8'; readonly timeout: number },
) => SpawnResult;

const packageDir = decodeURIComponent(parseUrl('..', import.meta.url)?.pathname ?? '.');
const childProcess: string = 'node:child_process';

/** Runs `script` as an ES module in a child `node` whose working directory is packages/core. */
const runNode = async (script: string): Promise<SpawnResult> => {
  const { spawnSync } = (await import(childProcess)) as { spawnSync: SpawnSync };
  return spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: packageDir,
    encoding: 'utf8',
    timeout: 30_000,
  });
};

describe('Node ESM', () => {
  it('every fp-ts import in core names a file: fp-ts/lib/<Module>.js', async () => {
    const { status, stdout, stderr } = await runNode(`
      import { readdirSync, readFileSync } from 'node:fs';
      import { join } from 'node:path';
      const files = (dir) => readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
        entry.isDirectory() ? files(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : []);
      const bad = [];
      let seen = 0;
      for (const file of [...files('src'), ...files('test')]) {
        for (const match of readFileSync(file, 'utf8').matchAll(/(?:from|import)\\s*\\(?\\s*'(fp-ts[^']*)'/g)) {
          seen += 1;
          if (!/^fp-ts\\/lib\\/[A-Za-z]+\\.js$/.test(match[1])) bad.push(file + ': ' + match[1]);
        }
      }
      console.log(JSON.stringify({ seen, bad }));
    `);
    expect(stderr).toBe('');
    expect(status).toBe(0);
    const { seen, bad } = JSON.parse(stdout) as { seen: number; bad: string[] };
    expect(seen).toBeGreaterThan(20);
    expect(bad).toEqual([]);
  });

  it('the built package (dist, made by pnpm build) loads in plain Node and its fp-ts calls run', async () => {
    const { status, stdout, stderr } = await runNode(`
      const core = await import('./dist/index.js');
      const rules = await import('./dist/rules/index.js');
      console.log(JSON.stringify({
        createDownload: typeof core.createDownload,
        decoded: rules.decodeCheckpoint('{')._tag,
        range: rules.formatRange(5, null),
      }));
    `);
    expect(stderr).toBe('');
    expect(status).toBe(0);
    expect(JSON.parse(stdout)).toEqual({ createDownload: 'function', decoded: 'Left', range: 'bytes=5-' });
  });
});
