import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh folder under the system's temporary folder, and how to remove it. */
export const makeTempDir = async (
  prefix = 'rdl-node-',
): Promise<{ dir: string; cleanup: () => Promise<void> }> => {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
};

/** The names in `dir`, sorted: what a download left behind. */
export const listDir = async (dir: string): Promise<string[]> => (await readdir(dir)).sort();
