import { lstatSync, type Stats, statSync } from 'node:fs';
import type { DownloadFailure } from '@rdl/core';
import * as E from 'fp-ts/lib/Either.js';
import { errnoOf } from './fsFailure.js';
import { isTrustedOwner, isUnmappedOwner } from './owners.js';

/** What the target names, and so how a download writes it. */
export type TargetKind =
  /** Nothing yet, or a regular file: `<target>.part`, a checkpoint, a lock, an atomic rename at the end. */
  | { readonly _tag: 'File' }
  /**
   * Anything else (a device such as /dev/null, a FIFO, a socket, a symbolic link): written through, as a plain
   * stream in order (R32). Never renamed over, truncated or removed, and no file is created beside it.
   */
  | {
      readonly _tag: 'Stream';
      /** What it is, for messages: `a character device`, `a symbolic link to a FIFO`… */
      readonly what: string;
      /**
       * Whether opening it empties what it names: only a regular file behind a link is truncated (as `curl -o`
       * does), so that a shorter download leaves no old bytes after its end.
       */
      readonly truncate: boolean;
      /** A FIFO: its opening waits for a reader (no other kind may make it wait). */
      readonly fifo: boolean;
      /** The file it opens must be this one (`dev`, `ino` of `stat`), or someone swapped it since (R31). */
      readonly dev: number;
      readonly ino: number;
    };

const kindOf = (info: Stats): string => {
  if (info.isFile()) return 'a regular file';
  if (info.isCharacterDevice()) return 'a character device';
  if (info.isBlockDevice()) return 'a block device';
  if (info.isFIFO()) return 'a FIFO';
  if (info.isSocket()) return 'a socket';
  if (info.isDirectory()) return 'a folder';
  return 'a special file';
};

const unsafe = (target: string, reason: string): E.Either<DownloadFailure, never> =>
  E.left({ _tag: 'UnsafePath', path: target, reason });

const lstatOrNull = (path: string): Stats | null => {
  try {
    return lstatSync(path, { throwIfNoEntry: false }) ?? null;
  } catch (error) {
    const code = errnoOf(error);
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw error;
  }
};

/**
 * How `target` is written (R32): as a resumable file when it is missing or a regular file, else as a stream
 * through it. A link or a special file is followed only when it belongs to this user or to root: one that another
 * user planted at the target's name (a link to a disk, a FIFO they read) is `UnsafePath`, left as it is. A link that
 * names nothing is refused too: rdl never replaces a link, and writing through it would create a file elsewhere.
 * Checked before any request, without creating or opening anything. A folder is `targetProblem`'s to refuse.
 */
export const targetKindOf = (target: string): E.Either<DownloadFailure, TargetKind> => {
  let link: Stats | null;
  try {
    link = lstatOrNull(target);
  } catch (error) {
    return unsafe(target, `it cannot be looked at (${errnoOf(error) ?? String(error)})`);
  }
  if (link === null || link.isFile() || link.isDirectory()) return E.right({ _tag: 'File' });
  const euid = process.geteuid?.();
  const what = link.isSymbolicLink() ? 'a symbolic link' : kindOf(link);
  // A device or FIFO of an owner this user namespace cannot see (a rootless container's /dev/null) is the host's;
  // a link of one may be any other user's, as in the first namespace.
  const trusted =
    isTrustedOwner(link.uid, euid ?? -1) || (!link.isSymbolicLink() && isUnmappedOwner(link.uid));
  if (euid !== undefined && !trusted) {
    return unsafe(target, `it is ${what} of uid ${link.uid}, neither this user's nor root's`);
  }
  let info: Stats;
  try {
    info = statSync(target);
  } catch (error) {
    return unsafe(target, `it is ${what} that names nothing (${errnoOf(error) ?? String(error)})`);
  }
  return E.right({
    _tag: 'Stream',
    what: link.isSymbolicLink() ? `a symbolic link to ${kindOf(info)}` : what,
    truncate: info.isFile(),
    fifo: info.isFIFO(),
    dev: info.dev,
    ino: info.ino,
  });
};

/**
 * Whether `target` is written as a stream (R32): in order, over one connection, from its first byte. The one
 * question anything that would write elsewhere than at the end (segments over several connections, a resume after
 * the process ended) must ask first: for these, it cannot.
 */
export const isStreamTarget = (target: string): boolean => {
  const kind = targetKindOf(target);
  return E.isRight(kind) && kind.right._tag === 'Stream';
};
