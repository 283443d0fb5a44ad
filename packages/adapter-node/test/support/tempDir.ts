import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';

/** A fresh folder under the system's temporary folder, and how to remove it. */
export const makeTempDir = async (
  prefix = 'rdl-node-',
): Promise<{ dir: string; cleanup: () => Promise<void> }> => {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
};

/** The names in `dir`, sorted: what a download left behind. */
export const listDir = async (dir: string): Promise<string[]> => (await readdir(dir)).sort();

/**
 * A fresh temporary folder for each test of the calling file, removed after it; the function gives the current
 * test's. Registers the vitest hooks where it is called.
 */
export const useTempDir = (prefix?: string): (() => string) => {
  let current: { dir: string; cleanup: () => Promise<void> } | null = null;
  beforeEach(async () => {
    current = await makeTempDir(prefix);
  });
  afterEach(async () => {
    await current?.cleanup();
    current = null;
  });
  return () => {
    if (current === null) throw new Error('a temporary folder exists only while a test runs');
    return current.dir;
  };
};
