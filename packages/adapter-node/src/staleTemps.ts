import { lstat, readdir, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { errnoOf } from './fsFailure.js';
import { unsafeReason } from './ownFile.js';
import {
  lockPathOf,
  tempCheckpointNamePattern,
  tempJournalNamePattern,
  tempLockNamePattern,
} from './sidecarPaths.js';

/**
 * How long one listing of a folder serves the sweeps of the targets in it, each once. A list of a thousand files in
 * one folder read the folder once a file before (a thousand names each time, O(n²) over the list); a temp file of a
 * target is left by a run killed while it held the target, before this process opened it.
 */
export const LISTING_MAX_AGE_MS = 5000;

/** What a temp name of a checkpoint save or a lock taking looks like, and the target name it belongs to. */
const tempName = /^(.+)\.(?:rdl\.json\.(?:[0-9a-f]{16}|\d+\.\d+)|lock\.[0-9a-f]{16})\.tmp$/;

/** The target name whose temp file (a checkpoint save's, a lock taking's) `name` looks like, or `null`. */
export const tempOwnerName = (name: string): string | null => tempName.exec(name)?.[1] ?? null;

const listTemps = async (folder: string): Promise<Map<string, string[]> | null> => {
  let names: string[];
  try {
    names = await readdir(folder);
  } catch (error) {
    const code = errnoOf(error);
    if (code === 'EACCES' || code === 'EPERM' || code === 'ENOENT') return null;
    throw error;
  }
  // The temp names of the folder, by the name of the target they belong to.
  const temps = new Map<string, string[]>();
  for (const name of names) {
    const owner = tempOwnerName(name);
    if (owner === null) continue;
    const known = temps.get(owner);
    if (known === undefined) temps.set(owner, [name]);
    else known.push(name);
  }
  return temps;
};

interface Listing {
  readonly at: number;
  /** The temp names of the folder by target name, `null` when it cannot be listed. */
  readonly temps: Promise<Map<string, string[]> | null>;
  /** The targets whose sweep this listing served. */
  readonly served: Set<string>;
}

const listings = new Map<string, Listing>();

/**
 * The listing that serves the sweep of `name` in `folder`: the last one, unless it is `LISTING_MAX_AGE_MS` old or
 * already served `name` (a target opened again, a resume in this process, sees what was left since its first open).
 */
const listingFor = (folder: string, name: string): Listing => {
  const now = performance.now();
  let listing = listings.get(folder);
  if (listing === undefined || now - listing.at >= LISTING_MAX_AGE_MS || listing.served.has(name)) {
    for (const [key, old] of listings) if (now - old.at >= LISTING_MAX_AGE_MS) listings.delete(key);
    const fresh: Listing = { at: now, temps: listTemps(folder), served: new Set() };
    // A listing that failed is not kept: the next sweep asks again.
    fresh.temps.catch(() => {
      if (listings.get(folder) === fresh) listings.delete(folder);
    });
    listings.set(folder, fresh);
    listing = fresh;
  }
  listing.served.add(name);
  return listing;
};

/**
 * Removes the temp files that checkpoint saves and lock takings of `target` left behind (R19): a process killed
 * between creating one and renaming (or linking) it leaves it for ever, and nothing else ever removes it. A lock's
 * temp file removed while another run was about to link it only makes that run try again. Called under the target's
 * lock, so no save of this target is running. The folder is listed once for the sweeps of all its targets within
 * `LISTING_MAX_AGE_MS`. Only names of this target's temp pattern are looked at, and of those only regular files of
 * this user with one link are removed (R31): a link planted at such a name, or another user's file, stays as it is.
 * A folder that cannot be listed (execute without read permission) is not swept.
 */
export const sweepStaleTemps = async (target: string): Promise<void> => {
  const folder = dirname(target);
  const name = basename(target);
  const names = (await listingFor(folder, name).temps)?.get(name);
  if (names === undefined) return;
  await removeOwnTemps(folder, names, [
    tempCheckpointNamePattern(target),
    tempLockNamePattern(lockPathOf(target)),
  ]);
};

/** Removes the names among `names` (entries of `folder`) that match one of `patterns` and are rdl's own files. */
const removeOwnTemps = async (folder: string, names: readonly string[], patterns: readonly RegExp[]) => {
  for (const name of names) {
    if (!patterns.some((pattern) => pattern.test(name))) continue;
    const path = join(folder, name);
    const info = await lstat(path).catch(() => null);
    // unlink never follows a link; the check is so that nothing but rdl's own leftovers is deleted.
    if (info !== null && unsafeReason(info) === null) await unlink(path).catch(() => undefined);
  }
};

/**
 * Removes the temp files a rewrite of the queue journal `journal` left behind (R19: a kill between creating one and
 * renaming it over the journal), with the same care as `sweepStaleTemps`. Called as the journal is loaded, by the
 * one process that uses it. A folder that cannot be listed is not swept.
 */
export const sweepJournalTemps = async (journal: string): Promise<void> => {
  const folder = dirname(journal);
  let names: string[];
  try {
    names = await readdir(folder);
  } catch {
    return;
  }
  await removeOwnTemps(folder, names, [tempJournalNamePattern(journal)]);
};
