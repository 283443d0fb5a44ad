import { constants } from 'node:fs';
import { type FileHandle, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { QueueStore, StorageFailure, StoredItem } from '@rdl/core';
import { numericId } from '@rdl/core/rules';
import * as E from 'fp-ts/lib/Either.js';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { toStorageFailure, UnsafeFileError } from './fsFailure.js';
import { fsyncDirectory } from './fsync.js';
import { createOwnFile, openOwnFile } from './ownFile.js';
import { readAt } from './readAt.js';
import { tempJournalPathOf } from './sidecarPaths.js';
import { sweepJournalTemps } from './staleTemps.js';

/** A journal past this size is not a queue's (100 000 items take some 30 MiB): it is not read (R33). */
export const maxQueueFileBytes = 512 * 1024 * 1024;

/** The journal is rewritten once it holds this many lines more than twice its live items. */
const COMPACT_SLACK = 4096;

/** Or, as it is loaded, once it is this many bytes more than twice the lines of its live items. */
const COMPACT_SLACK_BYTES = 1024 * 1024;

/**
 * The most bytes one write carries (a line longer than this goes alone): a put of 100 000 items written as one
 * buffer would hold all its text at once, some 60 MiB more RSS for nothing.
 */
export const maxWriteBytes = 1024 * 1024;

/** One line of the journal: an item's new text, or its removal. */
type Entry = { readonly i: string; readonly t: string } | { readonly i: string; readonly d: 1 };

const lineOf = (entry: Entry): string => `${JSON.stringify(entry)}\n`;

/**
 * Writes `lines` at the handle's position (or its end, O_APPEND), in writes of whole lines of at most
 * `maxWriteBytes` each, so that a kill between writes cuts between lines, never inside one but the last (which the
 * next load drops). Each line is encoded into `buffer` as it comes, so that only that buffer and one line are held
 * while the writes go on (a line longer than the buffer gets one of its own). Resolves the bytes and lines written;
 * syncs nothing.
 */
const writeLines = async (
  handle: FileHandle,
  lines: Iterable<string>,
  buffer: Buffer,
): Promise<{ bytes: number; lines: number }> => {
  let bytes = 0;
  let count = 0;
  let chunk = buffer;
  let used = 0;
  const flush = async (): Promise<void> => {
    let written = 0;
    while (written < used) {
      const { bytesWritten } = await handle.write(chunk, written, used - written);
      written += bytesWritten;
    }
    bytes += used;
    used = 0;
  };
  for (const line of lines) {
    const size = Buffer.byteLength(line);
    if (used > 0 && used + size > maxWriteBytes) await flush();
    if (used + size > chunk.length) chunk = Buffer.allocUnsafe(Math.max(size, maxWriteBytes));
    used += chunk.write(line, used);
    count += 1;
  }
  if (used > 0) await flush();
  return { bytes, lines: count };
};

/** How the set of ids holds `id`: a queue's own ids as numbers, which cost no string each (100 000 of them). */
const idKey = (id: string): string | number => numericId(id) ?? id;

/** `xs` through `f`, lazily: the lines of a big put are made as they are written, not all at once. */
function* mapped<A, B>(xs: Iterable<A>, f: (x: A) => B): Generator<B> {
  for (const x of xs) yield f(x);
}

/** `first`, then the rest of `rest`. */
function* prepended<A>(first: A, rest: Iterator<A>): Generator<A> {
  yield first;
  for (let next = rest.next(); next.done !== true; next = rest.next()) yield next.value;
}

/** The journal is read in pieces of this many bytes. */
const REPLAY_CHUNK_BYTES = 1024 * 1024;

/**
 * One journal line into `items`: the latest text of each id. Whether it was an entry: one that is not (it does not
 * parse, or is no entry: a hand edit, a damaged block) is the caller's to report.
 */
const replayLine = (line: string, items: Map<string, string>): boolean => {
  let entry: unknown;
  try {
    entry = JSON.parse(line);
  } catch {
    return false;
  }
  if (typeof entry !== 'object' || entry === null) return false;
  const { i, t, d } = entry as { i?: unknown; t?: unknown; d?: unknown };
  if (typeof i !== 'string') return false;
  if (typeof t === 'string') items.set(i, t);
  else if (d === 1) items.delete(i);
  else return false;
  return true;
};

/**
 * The most lines that are no entry a load names one by one; those past it are told with the last (a journal of
 * millions of garbage lines must not become millions of items, R33).
 */
const MAX_DAMAGED_NAMED = 1024;

/**
 * The items a load gives for the `damaged` lines (their numbers) of a journal holding `items`: each under an id no
 * stored item has, with an empty text, which core's decoder refuses, so the queue reports the line and drops it
 * (`QUEUE_ITEM_INVALID`, R22, R45) instead of losing it unsaid.
 */
const damagedItems = (damaged: readonly number[], items: ReadonlyMap<string, string>): StoredItem[] =>
  damaged.map((line) => {
    let id = `(journal line ${line})`;
    while (items.has(id)) id = `${id}'`;
    return { id, text: '' };
  });

/**
 * Whether a journal of `bytes` holding `items` is more than twice their lines, and `COMPACT_SLACK_BYTES`: what else
 * it holds (blank lines, lines that are no entry, old texts) would be read again at every load, never rewritten by
 * the count of its lines (R22, R33). A line's characters are no more than its bytes, so the first sum settles most
 * journals without encoding a line.
 */
const outgrown = (items: ReadonlyMap<string, string>, bytes: number): boolean => {
  if (bytes <= COMPACT_SLACK_BYTES) return false;
  let least = 0;
  for (const [i, t] of items) least += i.length + t.length + lineOf({ i: '', t: '' }).length;
  if (bytes <= 2 * least + COMPACT_SLACK_BYTES) return false;
  let exact = 0;
  for (const [i, t] of items) exact += Buffer.byteLength(lineOf({ i, t }));
  return bytes > 2 * exact + COMPACT_SLACK_BYTES;
};

/**
 * Reads the first `size` bytes of the journal `handle`, a piece at a time, never as one text (a journal of 100 000
 * items is 20 MB, and its bytes, its text and its lines held at once made loading it peak over 100 MiB): the
 * latest text of each id, the numbers of the whole lines that are no entry (`damaged`), the lines read, and where
 * the last whole line ends (what follows is a torn line, dropped unsaid: a kill mid-append, R20).
 */
const replay = async (
  handle: FileHandle,
  size: number,
): Promise<{ items: Map<string, string>; damaged: number[]; lines: number; whole: number }> => {
  const items = new Map<string, string>();
  const damaged: number[] = [];
  let lines = 0;
  let number = 0;
  let whole = 0;
  // Copies of the pieces of the line being read, joined once its end comes (a line longer than a piece, or a file
  // with no line end at all, costs one copy of it, not one a piece).
  let pending: Buffer[] = [];
  // One buffer for every piece: nothing keeps a view of it past its turn (the pending pieces and the lines are copies).
  const into = new Uint8Array(Math.min(REPLAY_CHUNK_BYTES, size));
  for (let at = 0; at < size; ) {
    const piece = await readAt(handle, at, Math.min(REPLAY_CHUNK_BYTES, size - at), into);
    if (piece.length === 0) break;
    const bytes = Buffer.from(piece.buffer, piece.byteOffset, piece.length);
    let start = 0;
    // A newline byte is never part of a longer UTF-8 sequence: each line decodes on its own.
    for (let end = bytes.indexOf(10, start); end !== -1; end = bytes.indexOf(10, start)) {
      const line =
        pending.length === 0
          ? bytes.toString('utf8', start, end)
          : Buffer.concat([...pending, bytes.subarray(start, end)]).toString('utf8');
      pending = [];
      number += 1;
      if (line !== '') {
        lines += 1;
        if (!replayLine(line, items) && damaged.length < MAX_DAMAGED_NAMED) damaged.push(number);
      }
      start = end + 1;
      whole = at + start;
    }
    if (start < bytes.length) pending.push(Buffer.from(bytes.subarray(start)));
    at += bytes.length;
  }
  return { items, damaged, lines, whole };
};

/**
 * A queue kept in one file (R45), as a journal: each change is a JSON line, a call's lines appended in writes of
 * whole lines (at most `maxWriteBytes` each, so that a put of 100 000 items never sits in memory as one text) and
 * fsynced once before the call resolves, so a change costs one small write however long the queue is. A kill
 * between writes cuts between items; one mid-write leaves a torn last line, which the next load drops (that item
 * keeps its text from before, R20) and cuts off, so that lines appended later are whole. Once the journal holds many
 * more lines than items (or, loaded, many more bytes than their lines), it is rewritten: a temp file with one line an
 * item, fsynced, renamed over the journal, the folder fsynced.
 *
 * The journal and its temp files are rdl's own files (R31): opened with O_NOFOLLOW, created exclusively with mode
 * 0600 under unguessable names, and used only when regular, with one link, of this user. Anything else at the name
 * (a planted link, a FIFO, another user's file) is `UnsafePath` and left untouched: the queue then goes on in
 * memory and says so. One process at a time uses a journal.
 */
export class FileQueueStore implements QueueStore {
  readonly #path: string;
  #handle: FileHandle | null = null;
  /** Bytes of the journal, its lines, and the ids it holds now (`idKey`). */
  #size = 0;
  #lines = 0;
  readonly #ids = new Set<string | number>();
  /** The ids the last load gave its lines that are no entry (`damagedItems`): removing one rewrites the journal. */
  readonly #damaged = new Set<string>();
  /**
   * The buffer lines are encoded into, kept from one write to the next: a queue of 100 000 items is put in some 25
   * calls, and a fresh megabyte for each sat outside the heap until a GC, 16 MiB more peak RSS (`pnpm bench`, queue).
   * `null` while a write holds it.
   */
  #buffer: Buffer | null = null;
  /** No compaction is tried again before the journal has this many lines (one failed: a full disk, say). */
  #compactFrom = 0;

  constructor(path: string) {
    this.#path = path;
  }

  get path(): string {
    return this.#path;
  }

  load(): TE.TaskEither<StorageFailure, readonly StoredItem[]> {
    return this.#attempt('read queue', async () => {
      const { items, damaged } = await this.#open();
      return [...[...items].map(([id, text]) => ({ id, text })), ...damaged];
    });
  }

  put(items: Iterable<StoredItem>): TE.TaskEither<StorageFailure, void> {
    return this.#attempt('save queue', async () => {
      const ids = this.#ids;
      const lines = mapped(items, ({ id, text }) => {
        ids.add(idKey(id));
        return lineOf({ i: id, t: text });
      });
      // An empty put touches nothing (not even the journal's opening).
      const first = lines.next();
      if (first.done === true) return;
      await this.#append(prepended(first.value, lines));
    });
  }

  remove(ids: readonly string[]): TE.TaskEither<StorageFailure, void> {
    return this.#attempt('save queue', async () => {
      const known = ids.filter((id) => this.#ids.delete(idKey(id)));
      if (known.length > 0) await this.#append(known.map((id) => lineOf({ i: id, d: 1 })));
      // A line that is no entry names no id a removal could name: the journal is rewritten without it (once the
      // queue has reported it), or, where that cannot be done now, it is reported again at the next load.
      if (ids.filter((id) => this.#damaged.delete(id)).length > 0) {
        if (this.#handle === null) await this.#open();
        await this.#compact(null);
      }
    });
  }

  /** Closes the journal (a later call opens it again). */
  async close(): Promise<void> {
    const handle = this.#handle;
    this.#handle = null;
    await handle?.close();
  }

  #attempt<A>(operation: string, run: () => Promise<A>): TE.TaskEither<StorageFailure, A> {
    return async () => {
      const result = await TE.tryCatch(run, toStorageFailure(operation, this.#path))();
      // A failed write may have left a part of a line: the next call starts from a fresh read of the file.
      if (E.isLeft(result)) await this.close().catch(() => undefined);
      return result;
    };
  }

  /**
   * Opens the journal, creating it empty; reads it whole, and cuts a torn last line off. Its items, and those that
   * stand for its lines that are no entry (`damagedItems`).
   */
  async #open(): Promise<{ items: Map<string, string>; damaged: StoredItem[] }> {
    await this.close();
    const flags = constants.O_RDWR | constants.O_APPEND;
    let handle: FileHandle;
    const existing = await openOwnFile(this.#path, flags);
    if (existing._tag === 'Unsafe') throw new UnsafeFileError(this.#path, existing.reason);
    if (existing._tag === 'Found') {
      handle = existing.value;
    } else {
      const created = await createOwnFile(this.#path, flags);
      if (created === null) throw new UnsafeFileError(this.#path, 'it appeared while being created');
      handle = created;
      await fsyncDirectory(dirname(this.#path));
    }
    try {
      // A rewrite killed before its rename left its temp file: nothing else would ever remove it.
      await sweepJournalTemps(this.#path);
      const { size } = await handle.stat();
      if (size > maxQueueFileBytes) {
        throw new UnsafeFileError(
          this.#path,
          `it is ${size} bytes, more than a queue can be (${maxQueueFileBytes})`,
        );
      }
      const { items, damaged, lines, whole } = await replay(handle, size);
      if (whole < size) {
        await handle.truncate(whole);
        await handle.sync();
      }
      this.#handle = handle;
      this.#size = whole;
      this.#lines = lines;
      this.#ids.clear();
      for (const id of items.keys()) this.#ids.add(idKey(id));
      const named = damagedItems(damaged, items);
      this.#damaged.clear();
      for (const { id } of named) this.#damaged.add(id);
      if (this.#lines > 2 * this.#ids.size + COMPACT_SLACK || outgrown(items, whole))
        await this.#compact(items);
      return { items, damaged: named };
    } catch (error) {
      if (this.#handle !== handle) await handle.close();
      throw error;
    }
  }

  /** Appends `lines` in bounded writes, then one datasync: a put of many items is durable as one call. */
  async #append(lines: Iterable<string>): Promise<void> {
    if (this.#handle === null) await this.#open();
    const handle = this.#handle!;
    const written = await this.#writeLines(handle, lines);
    await handle.datasync();
    this.#size += written.bytes;
    this.#lines += written.lines;
    if (this.#lines > 2 * this.#ids.size + COMPACT_SLACK && this.#lines >= this.#compactFrom)
      await this.#compact(null);
  }

  /** `writeLines` through the kept buffer (a fresh one when another write holds it). */
  async #writeLines(handle: FileHandle, lines: Iterable<string>): Promise<{ bytes: number; lines: number }> {
    const buffer = this.#buffer ?? Buffer.allocUnsafe(maxWriteBytes);
    this.#buffer = null;
    try {
      return await writeLines(handle, lines, buffer);
    } finally {
      this.#buffer = buffer;
    }
  }

  /**
   * Rewrites the journal with one line an item (`items`, or what it holds now), atomically (R20). Only a saving of
   * room: when the new file cannot be made (a full disk), the journal stays as it is, whole and current, and the
   * call that asked for it succeeds; the next try waits for as many lines again.
   */
  async #compact(items: Map<string, string> | null): Promise<void> {
    let lineCount: number;
    try {
      lineCount = await this.#rewrite(items);
    } catch {
      this.#compactFrom = this.#lines + COMPACT_SLACK;
      return;
    }
    await fsyncDirectory(dirname(this.#path));
    // The journal's name is the new file now: appends go to it.
    await this.close();
    const reopened = await openOwnFile(this.#path, constants.O_RDWR | constants.O_APPEND);
    if (reopened._tag !== 'Found') {
      throw new UnsafeFileError(this.#path, reopened._tag === 'Unsafe' ? reopened.reason : 'it vanished');
    }
    this.#handle = reopened.value;
    this.#size = (await reopened.value.stat()).size;
    this.#lines = lineCount;
    this.#compactFrom = 0;
    // The rewrite holds only items: the lines that were no entry are gone.
    this.#damaged.clear();
  }

  /** The compacted journal written to a temp file and renamed over the journal; its count of lines. */
  async #rewrite(items: Map<string, string> | null): Promise<number> {
    let live = items;
    if (live === null) {
      live = (await replay(this.#handle!, this.#size)).items;
    }
    const temp = tempJournalPathOf(this.#path);
    const created = await createOwnFile(temp, constants.O_WRONLY);
    if (created === null) throw new UnsafeFileError(temp, 'a file was already at a fresh temp name');
    let lineCount = 0;
    try {
      try {
        lineCount = (
          await this.#writeLines(
            created,
            mapped(live, ([i, t]) => lineOf({ i, t })),
          )
        ).lines;
        await created.sync();
      } finally {
        await created.close();
      }
      await rename(temp, this.#path);
    } catch (error) {
      await unlink(temp).catch(() => undefined);
      throw error;
    }
    return lineCount;
  }
}
