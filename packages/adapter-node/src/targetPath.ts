import { type Stats, statSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { DownloadFailure } from '@rdl/core';
import { partNameProblem } from '@rdl/core/rules';
import { longestSidecarSuffixBytes } from './sidecarPaths.js';

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
  const path = resolve(target);
  const folder = statOrNull(dirname(path));
  if (folder === null) return invalid(`the folder ${dirname(path)} does not exist`);
  if (!folder.isDirectory()) return invalid(`${dirname(path)} is not a folder`);
  if (statOrNull(path)?.isDirectory() === true) return invalid(`${path} is a folder, not a file`);
  return null;
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
