import { type Stats, statSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { DownloadFailure } from '@rdl/core';
import { partNameProblem } from '@rdl/core/rules';
import { checkpointPathOf, longestSidecarSuffixBytes, partPathOf } from './sidecarPaths.js';

/** The longest file name most file systems take, in bytes (NAME_MAX of Linux, macOS, Windows' NTFS in UTF-16). */
export const maxNameBytes = 255;

/** The longest name a target written as a file can have: its sidecars' names add up to this many bytes more. */
export const maxTargetNameBytes = maxNameBytes - longestSidecarSuffixBytes;

const invalid = (message: string): DownloadFailure => ({ _tag: 'InvalidInput', field: 'target', message });

/** A missing path answers `null` without an exception made and thrown (some 3.5 µs a call, one a listed file). */
const statOrNull = (path: string): Stats | null => {
  try {
    return statSync(path, { throwIfNoEntry: false }) ?? null;
  } catch {
    return null;
  }
};

/**
 * Why `target` cannot be written, or `null` when it can be (R30), checked before any request and without creating
 * anything: an empty path, a path ending in a separator or naming a folder, a name ending in `.part` (another
 * download's part file, `partNameProblem`), a folder that does not exist or is a file. Permissions are not judged here: the storage reports them when it opens the part file.
 */
export const targetProblem = (target: string): DownloadFailure | null => {
  if (target === '') return invalid('the target path is empty');
  if (/[/\\]$/.test(target)) return invalid(`${target} names a folder, not a file`);
  const partName = partNameProblem(target);
  if (partName !== null) return invalid(partName);
  const sidecar = sidecarOfAnother(target);
  if (sidecar !== null) return invalid(sidecar);
  const path = resolve(target);
  const folder = statOrNull(dirname(path));
  if (folder === null) return invalid(`the folder ${dirname(path)} does not exist`);
  if (!folder.isDirectory()) return invalid(`${dirname(path)} is not a folder`);
  if (statOrNull(path)?.isDirectory() === true) return invalid(`${path} is a folder, not a file`);
  return null;
};

/** A checkpoint's name (`x.rdl.json`), or a temp name of a checkpoint or lock save. */
const CHECKPOINT_OR_TEMP = /\.rdl\.json$|\.(?:rdl\.json|lock)\.(?:[0-9a-f]{16}|\d+\.\d+)\.tmp$/;

/**
 * Why `target` would be a sidecar of another download in its folder (R19, R23), or `null`: a checkpoint's name, or a
 * temp name of one (finished, it would be taken for, or removed as, the checkpoint of the download of `x`); or
 * `x.lock` while a download of `x` is there (its part file or checkpoint exists), whose lock it would replace or
 * lose. A `.lock` name with no such download (`yarn.lock`) is a file like any other.
 */
export const sidecarOfAnother = (target: string): string | null => {
  const name = basename(target);
  if (CHECKPOINT_OR_TEMP.test(name))
    return `${JSON.stringify(target)} is the name of a checkpoint (or a temp file) of another download: choose another name`;
  if (!name.endsWith('.lock')) return null;
  const stem = target.slice(0, -'.lock'.length);
  return statOrNull(partPathOf(stem)) !== null || statOrNull(checkpointPathOf(stem)) !== null
    ? `${JSON.stringify(target)} is the lock of the download of ${JSON.stringify(basename(stem))} in its folder: choose another name`
    : null;
};

/**
 * Why `target`, written as a file with its sidecars beside it, cannot be (R30), or `null`: a name so long that
 * `<name>.rdl.json.<random>.tmp` would pass 255 bytes fails only later, at the first checkpoint, as `ENAMETOOLONG`.
 */
export const sidecarNameProblem = (target: string): DownloadFailure | null => {
  const bytes = Buffer.byteLength(basename(target));
  return bytes <= maxTargetNameBytes
    ? null
    : invalid(
        `the file name is ${bytes} bytes; with the suffixes of the files beside it (up to ${longestSidecarSuffixBytes} bytes) it must be at most ${maxTargetNameBytes}`,
      );
};
