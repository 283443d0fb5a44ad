import { lstatSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { describeFailure } from '@rdl/core';
import { checkpointPathOf, lockPathOf, partPathOf } from '../sidecarPaths.js';
import { tempOwnerName } from '../staleTemps.js';
import { targetKindOf } from '../targetKind.js';
import { othersMayWrite, sidecarNameProblem, targetProblem } from '../targetPath.js';
import { createFolders } from './createDirs.js';
import type { ListEntry } from './inputFile.js';
import { type ListProblem, namePlace, placeText } from './listProblems.js';
import { defaultFileName } from './outputPath.js';
import { targetIdentities } from './targetIdentity.js';

/** A download of a list with the file it goes to. */
export interface ListTarget extends ListEntry {
  readonly target: string;
}

/**
 * The entry of the list whose file `key` (a file's identity, its folder and name: `targetIdentities`) would be a
 * sidecar of (its part file, lock, checkpoint, or a temp name of those): two downloads of one list would then write
 * one file, or rdl's sweep of stale temp files remove a finished one (R19, R31). A sidecar is in its file's folder,
 * so its identity is the file's with the sidecar's name.
 */
const sidecarOwner = (key: string, byKey: ReadonlyMap<string, Accepted>): number | undefined => {
  for (const sidecarOf of [partPathOf, lockPathOf, checkpointPathOf]) {
    const suffix = sidecarOf('');
    if (key.endsWith(suffix)) {
      const owner = byKey.get(key.slice(0, -suffix.length));
      if (owner !== undefined) return owner.index;
    }
  }
  const slash = key.lastIndexOf('/');
  const owner = tempOwnerName(key.slice(slash + 1));
  return owner === null ? undefined : byKey.get(`${key.slice(0, slash + 1)}${owner}`)?.index;
};

/** A file of the list taken so far: the entry it is of, and its path as that entry spelled it. */
interface Accepted {
  readonly index: number;
  readonly target: string;
}

/**
 * Why the folders between `dir` and `path` cannot be trusted, or `null` (R31). Each must be a real folder, never a
 * symbolic link, which would take the file out of `dir`; and none may be one that another user could swap for such
 * a link after this check, before its download writes through it: one that another user (not you, not root) owns,
 * or one in a folder other users may write to (all, or a group not your own) without the sticky bit (which keeps
 * them from renaming what is not theirs).
 */
const untrustedOnTheWay = (dir: string, path: string): string | null => {
  const parts = relative(dir, dirname(path))
    .split(sep)
    .filter((part) => part !== '');
  const me = typeof process.getuid === 'function' ? process.getuid() : null;
  const myGroup = typeof process.getgid === 'function' ? process.getgid() : null;
  let parent = resolve(dir);
  // The folder itself, through a link `-d` may be (its own mode is 0777 on Linux); the parts below it, as they are.
  let parentInfo = statSync(parent, { throwIfNoEntry: false });
  for (const part of parts) {
    const at = join(parent, part);
    const info = lstatSync(at, { throwIfNoEntry: false });
    if (info?.isSymbolicLink() === true) return `${at} is a symbolic link: a list's files stay in ${dir}`;
    if (me !== null && info !== undefined && parentInfo !== undefined) {
      if (info.uid !== me && info.uid !== 0) {
        return `${at} belongs to another user, who could swap it for a link: a list's files go only through folders of yours or root's`;
      }
      if (othersMayWrite(parentInfo, myGroup) && (parentInfo.mode & 0o1000) === 0) {
        return `${parent} is writable by other users and not sticky: they could swap ${at} for a link`;
      }
    }
    parent = at;
    parentInfo = info;
  }
  return null;
};

/**
 * The file of each download of a list, in `dir` (R30): an `out=` name must stay in the folder (no absolute path, no
 * `..`, relative to the folder; a subfolder must exist, or with `createDirs` is made, `--create-dirs`), and two
 * downloads may not share a file, however their names reach it (a subfolder bind-mounted on another is the same
 * folder: `targetIdentities`). Every problem is
 * found, with its place, before any request. Nor may a file be another's sidecar, the command's own journal,
 * reached through a subfolder that is a link, or a link or special file of another user (R31).
 */
export const listTargets = (
  entries: readonly ListEntry[],
  dir: string,
  /** Names in `dir` that are the command's own (its journal), with the temp names made beside them. */
  reserved: readonly string[] = [],
  /** `--create-dirs`: the subfolders of an `out=` name that do not exist are made, as its name is judged. */
  createDirs = false,
): { targets: ListTarget[]; problems: ListProblem[] } => {
  const targets: ListTarget[] = [];
  const problems: ListProblem[] = [];
  const identityOf = targetIdentities();
  /** Each accepted file's entry, by the file's identity: its folder's device and inode, and its name there. */
  const byKey = new Map<string, Accepted>();
  const reservedKeys = reserved.map((name) => [name, identityOf(resolve(dir, name))] as const);
  /** The problem of the folders on the way to each folder of the list, looked at once a folder (100 000 files). */
  const wayProblems = new Map<string, string | null>();
  const keys: string[] = [];
  entries.forEach((entry, index) => {
    // Every problem here is of the file's name: told at the out= line that gave it, or at the URL.
    const place = namePlace(entry, index);
    const refuse = (message: string): void => {
      problems.push({ ...place, message });
    };
    let path: string;
    if (entry.out === null) {
      path = resolve(dir, defaultFileName(new URL(entry.url)));
    } else {
      const escapes =
        entry.out === '' ||
        isAbsolute(entry.out) ||
        entry.out.split(/[/\\]/).some((part) => part === '..') ||
        /[/\\]$/.test(entry.out);
      path = resolve(dir, entry.out);
      const inside = relative(dir, path);
      if (escapes || inside === '' || inside.startsWith(`..${sep}`) || isAbsolute(inside)) {
        refuse(`out=${JSON.stringify(entry.out.slice(0, 200))} is not a file name in ${dir}`);
        return;
      }
    }
    if (path.includes('\0')) {
      refuse('a file name cannot hold a NUL byte');
      return;
    }
    const key = identityOf(path);
    const own = reservedKeys.find(([, mine]) => key === mine || key.startsWith(`${mine}.`))?.[0];
    if (own !== undefined) {
      refuse(`${path} is the name of rdl's own ${own} in ${dir}`);
      return;
    }
    const folder = dirname(path);
    let link = wayProblems.get(folder);
    if (link === undefined) {
      link = untrustedOnTheWay(dir, path);
      wayProblems.set(folder, link);
    }
    if (link !== null) {
      refuse(link);
      return;
    }
    const made = createDirs ? createFolders(dirname(path)) : null;
    if (made !== null) {
      refuse(made._tag === 'InvalidInput' ? made.message : describeFailure(made));
      return;
    }
    const problem = targetProblem(path) ?? sidecarNameProblem(path);
    if (problem !== null) {
      refuse(problem._tag === 'InvalidInput' ? problem.message : describeFailure(problem));
      return;
    }
    // A link or special file another user planted at the name is refused now, with its line, and not only once the
    // download of this entry starts (R31, R32).
    const kind = targetKindOf(path);
    if (kind._tag === 'Left') {
      refuse(describeFailure(kind.left));
      return;
    }
    const earlier = byKey.get(key);
    if (earlier !== undefined) {
      const through = earlier.target === path ? '' : `, ${earlier.target}, by another path`;
      refuse(
        `${path} is also the file of ${placeText(namePlace(entries[earlier.index]!, earlier.index))}${through}`,
      );
      return;
    }
    byKey.set(key, { index, target: path });
    keys.push(key);
    targets.push({ ...entry, target: path });
  });
  // A file beside another's, named as one of its sidecars: checked once every file is known, in either order.
  const clear = targets.filter((target, at) => {
    const key = keys[at]!;
    const { index } = byKey.get(key)!;
    const owner = sidecarOwner(key, byKey);
    if (owner === undefined) return true;
    problems.push({
      ...namePlace(target, index),
      message: `${target.target} is where rdl keeps a part, lock or checkpoint of ${placeText(namePlace(entries[owner]!, owner))}'s file`,
    });
    return false;
  });
  return { targets: clear, problems };
};
