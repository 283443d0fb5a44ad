import { statSync } from 'node:fs';
import { basename, dirname } from 'node:path';

/**
 * What a list's file is whatever path reaches it (R45): the folder it is in, by device and inode, and its name there.
 * `-d` through a link or a bind mount, or spelled otherwise, is the same folder, so that a journal's item is the
 * command's download under any of these paths. Only the folder is followed, never a link at the name itself, which
 * would make another file's item this one's; a folder that cannot be looked at is its path as written. Each folder
 * is looked at once: what the identity matches is never a place to write (the command's own target is).
 */
export const targetIdentities = (): ((target: string) => string) => {
  const folders = new Map<string, string>();
  const folderOf = (folder: string): string => {
    try {
      const info = statSync(folder, { bigint: true });
      return `inode ${info.dev}:${info.ino}`;
    } catch {
      return `path ${folder}`;
    }
  };
  return (target) => {
    const folder = dirname(target);
    let identity = folders.get(folder);
    if (identity === undefined) {
      identity = folderOf(folder);
      folders.set(folder, identity);
    }
    return `${identity}/${basename(target)}`;
  };
};
