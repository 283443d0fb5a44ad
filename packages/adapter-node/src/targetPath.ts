import { type Stats, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { DownloadFailure } from '@rdl/core';

const invalid = (message: string): DownloadFailure => ({ _tag: 'InvalidInput', field: 'target', message });

const statOrNull = (path: string): Stats | null => {
  try {
    return statSync(path);
  } catch {
    return null;
  }
};

/**
 * Why `target` cannot be written, or `null` when it can be (R30), checked before any request and without creating
 * anything: an empty path, a path ending in a separator or naming a folder, a folder that does not exist or is a
 * file. Permissions are not judged here: the storage reports them when it opens the part file.
 */
export const targetProblem = (target: string): DownloadFailure | null => {
  if (target === '') return invalid('the target path is empty');
  if (/[/\\]$/.test(target)) return invalid(`${target} names a folder, not a file`);
  const path = resolve(target);
  const folder = statOrNull(dirname(path));
  if (folder === null) return invalid(`the folder ${dirname(path)} does not exist`);
  if (!folder.isDirectory()) return invalid(`${dirname(path)} is not a folder`);
  if (statOrNull(path)?.isDirectory() === true) return invalid(`${path} is a folder, not a file`);
  return null;
};
