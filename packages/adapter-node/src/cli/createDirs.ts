import { lstatSync, mkdirSync, type Stats, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { DownloadFailure } from '@rdl/core';
import { othersMayRenameIn, swappableFolder } from '../targetPath.js';

/** The mode of the folders `--create-dirs` makes, as curl's (less the umask): no other user may write in them. */
const FOLDER_MODE = 0o750;

const lstatOrNull = (path: string): Stats | null => {
  try {
    return lstatSync(path, { throwIfNoEntry: false }) ?? null;
  } catch {
    return null;
  }
};

const unsafe = (path: string, reason: string): DownloadFailure => ({ _tag: 'UnsafePath', path, reason });

/**
 * `--create-dirs`: makes the folders of `folder` that do not exist, as curl's, one at a time, mode 0750; `null`
 * once they all exist. Nothing is made where another user could take the file elsewhere (R31): the deepest folder
 * that exists must be one no other user could swap for a link (`swappableFolder`, the rule of every target), nor
 * write in (they could swap the folders made there, `othersMayRenameIn`), and a
 * link found on the way that leads nowhere (`a -> /etc/new`) is refused, since making its folders would make them
 * where the link's owner chose. The folders made are this user's, so no one else may put a link in them; a name
 * that another user made meanwhile is refused, not used. The target is judged again after, as every target is.
 */
export const createFolders = (folder: string): DownloadFailure | null => {
  const missing: string[] = [];
  let existing = resolve(folder);
  // `lstat` of a path through a link that leads nowhere is missing too: the walk stops at the link itself.
  while (lstatOrNull(existing) === null) {
    const parent = dirname(existing);
    if (parent === existing) break;
    missing.unshift(existing);
    existing = parent;
  }
  if (missing.length === 0) return null;
  let info: Stats | undefined;
  try {
    info = statSync(existing, { throwIfNoEntry: false });
  } catch {
    info = undefined;
  }
  if (info === undefined)
    return unsafe(
      existing,
      `${existing} is a symbolic link that leads nowhere: --create-dirs makes no folder through it`,
    );
  if (!info.isDirectory())
    return { _tag: 'InvalidInput', field: '--create-dirs', message: `${existing} is not a folder` };
  const swappable = swappableFolder(existing);
  if (swappable !== null) return unsafe(existing, swappable);
  if (othersMayRenameIn(info)) {
    return unsafe(
      existing,
      `${existing} may be written by another user, who could swap the folders made in it for links`,
    );
  }
  for (const at of missing) {
    try {
      mkdirSync(at, FOLDER_MODE);
    } catch (error) {
      const code = (error as { code?: string }).code;
      const made = code === 'EEXIST' ? lstatOrNull(at) : null;
      if (made?.isDirectory() === true) continue;
      if (code === 'EEXIST')
        return unsafe(at, `${at} appeared while --create-dirs made its folders, not as a folder`);
      return {
        _tag: 'InvalidInput',
        field: '--create-dirs',
        message: `cannot create the folder ${at} (${code ?? String(error)})`,
      };
    }
  }
  return null;
};
