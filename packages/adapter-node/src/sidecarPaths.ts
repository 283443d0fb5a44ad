import { randomBytes } from 'node:crypto';
import { basename } from 'node:path';

/** `<target>.part`: where the bytes go until every one is there and verified (R19). */
export const partPathOf = (target: string): string => `${target}.part`;

/** `<target>.lock`: held while a download of `target` has its part file open (R23). */
export const lockPathOf = (target: string): string => `${target}.lock`;

/** `<target>.rdl.json`: the checkpoint of the download of `target`, beside its part file (R19). */
export const checkpointPathOf = (target: string): string => `${target}.rdl.json`;

/** Random bytes in a temp name: 64 bits, so that nobody can plant a link at the next one (R31). */
const tempRandomBytes = 8;

/**
 * A fresh name for the temp file of a checkpoint save: `<target>.rdl.json.<16 hex digits>.tmp`, the digits from the
 * system's CSPRNG. A pid and a counter would be guessed, and a link planted there in advance (R31).
 */
export const tempCheckpointPathOf = (target: string): string =>
  `${checkpointPathOf(target)}.${randomBytes(tempRandomBytes).toString('hex')}.tmp`;

/**
 * The bytes the longest sidecar name adds to the target's name: the checkpoint's temp file. A default name is cut
 * so that this still fits the 255 bytes of a file name (R30).
 */
export const longestSidecarSuffixBytes = '.rdl.json.'.length + 2 * tempRandomBytes + '.tmp'.length;

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * What the names of the temp files of checkpoint saves of `target` look like (an entry of the target's folder): this
 * version's random names, and the `<pid>.<n>` names of earlier versions (R19: a kill mid-save leaves one behind).
 */
export const tempCheckpointNamePattern = (target: string): RegExp =>
  new RegExp(`^${escapeRegExp(basename(checkpointPathOf(target)))}\\.(?:[0-9a-f]{16}|\\d+\\.\\d+)\\.tmp$`);

/**
 * A fresh name for the temp file a lock is written in before it is linked to its name (`<lock>.<16 hex digits>.tmp`):
 * so that the lock appears whole, never empty.
 */
export const tempLockPathOf = (lockPath: string): string =>
  `${lockPath}.${randomBytes(tempRandomBytes).toString('hex')}.tmp`;

/**
 * What the names of the temp files of the lock at `lockPath` look like, as entries of its folder (`tempLockPathOf`;
 * R19: a kill before the link leaves one).
 */
export const tempLockNamePattern = (lockPath: string): RegExp =>
  new RegExp(`^${escapeRegExp(basename(lockPath))}\\.[0-9a-f]{16}\\.tmp$`);

/**
 * A fresh name for the temp file a queue's journal is rewritten in before it is renamed over the journal
 * (`<journal>.<16 hex digits>.tmp`).
 */
export const tempJournalPathOf = (journal: string): string =>
  `${journal}.${randomBytes(tempRandomBytes).toString('hex')}.tmp`;

/** What the names of the temp files of the journal `journal` look like (R19: a kill mid-rewrite leaves one). */
export const tempJournalNamePattern = (journal: string): RegExp =>
  new RegExp(`^${escapeRegExp(basename(journal))}\\.[0-9a-f]{16}\\.tmp$`);
