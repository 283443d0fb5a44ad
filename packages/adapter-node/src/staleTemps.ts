import { lstat, readdir, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { errnoOf } from './fsFailure.js';
import { unsafeReason } from './ownFile.js';
import { tempCheckpointNamePattern, tempLockNamePattern } from './sidecarPaths.js';

/**
 * Removes the temp files that checkpoint saves and lock takings of `target` left behind (R19): a process killed
 * between creating one and renaming (or linking) it leaves it for ever, and nothing else ever removes it. A lock's
 * temp file removed while another run was about to link it only makes that run try again. Called under the target's lock, so no
 * save of this target is running. Only names of this target's temp pattern are looked at, and of those only
 * regular files of this user with one link are removed (R31): a link planted at such a name, or another user's
 * file, stays as it is. A folder that cannot be listed (execute without read permission) is not swept.
 */
export const sweepStaleTemps = async (target: string): Promise<void> => {
  const folder = dirname(target);
  let names: string[];
  try {
    names = await readdir(folder);
  } catch (error) {
    const code = errnoOf(error);
    if (code === 'EACCES' || code === 'EPERM' || code === 'ENOENT') return;
    throw error;
  }
  const patterns = [tempCheckpointNamePattern(target), tempLockNamePattern(target)];
  for (const name of names) {
    if (!patterns.some((pattern) => pattern.test(name))) continue;
    const path = join(folder, name);
    const info = await lstat(path).catch(() => null);
    // unlink never follows a link; the check is so that nothing but rdl's own leftovers is deleted.
    if (info !== null && unsafeReason(info) === null) await unlink(path).catch(() => undefined);
  }
};
