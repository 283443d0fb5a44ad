import { lstatSync, realpathSync, type Stats, statSync } from 'node:fs';
import { basename, dirname, join, parse, resolve, sep } from 'node:path';
import type { DownloadFailure } from '@rdl/core';
import { targetNameProblem } from '@rdl/core/rules';
import { isTrustedOwner, isUnmappedOwner } from './owners.js';
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
 * anything: an empty path, one holding a NUL (no file system takes it, and Node's calls throw on it), a path ending
 * in a separator or naming a folder, an unpaired surrogate or a name ending in `.part` (another download's part
 * file, `targetNameProblem`), a folder that does not exist or is a file, or one another user could
 * swap for a link (`swappableFolder`, `ERR_UNSAFE_PATH`). Permissions are not judged here: the storage reports
 * them when it opens the part file.
 */
export const targetProblem = (target: string): DownloadFailure | null => {
  if (target === '') return invalid('the target path is empty');
  if (target.includes('\0')) return invalid('a file name cannot hold a NUL byte');
  if (/[/\\]$/.test(target)) return invalid(`${target} names a folder, not a file`);
  const nameProblem = targetNameProblem(target);
  if (nameProblem !== null) return invalid(nameProblem);
  const sidecar = sidecarOfAnother(target);
  if (sidecar !== null) return invalid(sidecar);
  const path = resolve(target);
  const folder = statOrNull(dirname(path));
  if (folder === null) return invalid(`the folder ${dirname(path)} does not exist`);
  if (!folder.isDirectory()) return invalid(`${dirname(path)} is not a folder`);
  if (statOrNull(path)?.isDirectory() === true) return invalid(`${path} is a folder, not a file`);
  const swappable = swappableFolder(dirname(path));
  if (swappable !== null) return { _tag: 'UnsafePath', path: target, reason: swappable };
  return null;
};

/** Verdicts of `swappableFolder` for a moment: a list's thousand files in one folder walk its path once. */
const folderVerdicts = new Map<string, { readonly verdict: string | null; readonly at: number }>();
const FOLDER_VERDICT_MS = 1000;

/**
 * Why another user could swap a folder on the way to `folder` for a link after it is checked, before a download
 * writes through it (R31), or `null`: a folder (or link) is swappable by whoever may write the folder it is in,
 * unless that folder is sticky (then only its owner, you or root, may rename it). Judged on the path as written and
 * on where its links lead. Another user's folder at the end is no such hole: its files are rdl's own, each opened
 * with O_NOFOLLOW and checked (a link planted there is refused), but a folder of root's in it could be moved away and
 * a link to `/etc` put in its place.
 */
export const swappableFolder = (folder: string): string | null => {
  const now = Date.now();
  const known = folderVerdicts.get(folder);
  if (known !== undefined && now - known.at < FOLDER_VERDICT_MS) return known.verdict;
  let verdict = swappableOnTheWay(folder);
  if (verdict === null) {
    let real: string | null = null;
    try {
      real = realpathSync(folder);
    } catch {
      // A folder that cannot be resolved fails where it is used, with its own cause.
    }
    if (real !== null && real !== folder) verdict = swappableOnTheWay(real);
  }
  if (folderVerdicts.size > 1024) folderVerdicts.clear();
  folderVerdicts.set(folder, { verdict, at: now });
  return verdict;
};

const swappableOnTheWay = (folder: string): string | null => {
  const me = process.geteuid?.() ?? null;
  if (me === null) return null;
  const myGroup = process.getegid?.() ?? null;
  const { root } = parse(folder);
  let parent = root;
  let parentInfo = lstatOrNull(root);
  for (const part of folder
    .slice(root.length)
    .split(sep)
    .filter((each) => each !== '')) {
    const at = join(parent, part);
    const info = lstatOrNull(at);
    if (info === null || parentInfo === null) return null;
    if (info.isSymbolicLink() && !isTrustedOwner(info.uid, me)) {
      return `${at} is a symbolic link of uid ${info.uid}, neither this user's nor root's, on the way to the file`;
    }
    // Its owner may rename what is in it, unless that is you or root, or an owner this namespace cannot see of a
    // folder no group or other may write (the host's root as a rule: a rootless container's /).
    const ownerOthers =
      !isTrustedOwner(parentInfo.uid, me) &&
      !(isUnmappedOwner(parentInfo.uid) && (parentInfo.mode & 0o022) === 0);
    const sticky = (parentInfo.mode & 0o1000) !== 0;
    const parentOwner = isTrustedOwner(parentInfo.uid, me) || isUnmappedOwner(parentInfo.uid);
    if (
      (ownerOthers || othersMayWrite(parentInfo, myGroup)) &&
      !(sticky && isTrustedOwner(info.uid, me) && parentOwner)
    ) {
      return `${at} is in ${parent}, which another user may write: they could swap it for a link after it is checked`;
    }
    // Followed as the system follows it: the folder a link names is judged by `swappableFolder`'s second walk.
    parent = at;
    parentInfo = info.isSymbolicLink() ? statOrNull(at) : info;
  }
  return null;
};

/**
 * Whether another user could rename a folder of this user's made in the folder `info` describes, and put a link in
 * its place (R31): the rule `swappableOnTheWay` applies on the way to a target, for a folder not made yet (a
 * `--create-dirs` folder). Another user who owns or may write it can, unless it is sticky and yours or root's.
 */
export const othersMayRenameIn = (info: Stats): boolean => {
  const me = process.geteuid?.() ?? null;
  if (me === null) return false;
  const myGroup = process.getegid?.() ?? null;
  const ownerOthers =
    !isTrustedOwner(info.uid, me) && !(isUnmappedOwner(info.uid) && (info.mode & 0o022) === 0);
  const sticky = (info.mode & 0o1000) !== 0;
  const owner = isTrustedOwner(info.uid, me) || isUnmappedOwner(info.uid);
  return (ownerOthers || othersMayWrite(info, myGroup)) && !(sticky && owner);
};

/**
 * Whether users other than a folder's owner may write it: all, or a group not your own (a user's private group:
 * another group may hold other users, yours among them or not).
 */
export const othersMayWrite = (folder: Stats, myGroup: number | null): boolean =>
  (folder.mode & 0o002) !== 0 || ((folder.mode & 0o020) !== 0 && folder.gid !== myGroup);

const lstatOrNull = (path: string): Stats | null => {
  try {
    return lstatSync(path, { throwIfNoEntry: false }) ?? null;
  } catch {
    return null;
  }
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
