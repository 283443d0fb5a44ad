import * as E from 'fp-ts/lib/Either.js';
import { RateLimit } from '../machine/actors/rateLimit.js';
import { MemoryQueueStore } from '../memory/MemoryQueueStore.js';
import { DownloadError, isDownloadError } from '../model/DownloadError.js';
import type { Download, DownloadEvent, DownloadResult, DownloadState, Progress } from '../model/download.js';
import { failureCode } from '../model/failure.js';
import type { DownloadOptions } from '../model/options.js';
import type {
  Queue,
  QueuedDownload,
  QueueEvent,
  QueueItem,
  QueueItemState,
  QueueOptions,
  QueuePorts,
  QueueSummary,
} from '../model/queue.js';
import { parseUrl } from '../model/url.js';
import type { QueueStore, StoredItem } from '../ports/QueueStore.js';
import { storedUrl } from '../rules/checkpointUrl.js';
import {
  decodeNextId,
  decodeRecord,
  encodeNextId,
  encodeRecord,
  encodeRecordText,
  NEXT_ID_KEY,
  numericId,
  type QueueRecord,
  savedOptions,
} from '../rules/queueRecord.js';
import { type Candidate, connectionShare, toStart } from '../rules/queueSchedule.js';
import { rateLimit } from '../rules/resolveOptions.js';
import { notAnObject, unreadableReason } from '../rules/unreadOptions.js';
import { noValidators } from '../rules/validators.js';
import { ColdItems, type ColdState } from './coldItems.js';
import { Listeners } from './listeners.js';
import { noProgress, refusedDownload } from './refusedDownload.js';

const DEFAULT_CONCURRENCY = 4;
const DEFAULT_CONNECTIONS_PER_ORIGIN = 16;
/** No origin gets more connections from one queue than this (a typo's million would open sockets without end). */
const MAX_CONNECTIONS_PER_ORIGIN = 1024;

/** What an item holds once it has run, failed or been watched: most of a long queue never needs it. */
class ItemRun {
  failure: { readonly code: string; readonly message: string } | null = null;
  progress: Progress | null = null;
  /** The running download, or the paused one a resume goes on with. */
  live: Download | null = null;
  unsubscribe: (() => void) | null = null;
  /** Listeners of its `Download` (made by the first subscriber). */
  listeners: Listeners | null = null;
  outcome: Outcome | null = null;
  /** Its result, once done in this process (or as stored, for one done before). */
  result: DownloadResult | null = null;
  error: DownloadError | null = null;
  /**
   * What the caller asked while it runs; the download's answer (a state, its end) carries it out. `resume`: a pause
   * asked, then a resume before the download had paused: once it has, it goes on at once, in its slot.
   */
  intent: 'pause' | 'resume' | 'cancel' | 'remove' | 'close' | null = null;
  /** The size of its file, once finished. */
  bytes: number | null = null;
  /** The checkpoint its queue keeps for it in its record (`MachineBindings.committing`, R45). */
  kept: string | null = null;
  /** Its own rate limit, when set through its `Download` (R44); `undefined`: its options'. */
  rate: number | null | undefined = undefined;
}

/**
 * One item: what the queue knows of it, kept small (a queue may hold 100 000 of them): six fields, the rest in an
 * `ItemRun` made the first time one of its fields is set to something other than its empty value.
 */
class Item {
  order: number;
  state: QueueItemState;
  /** Its file is whole under its name: stored as done even before its download ends (R45). */
  finished = false;
  #run: ItemRun | null = null;

  constructor(
    /** Its id; one added before the load whose id a stored item has gets another once loaded (`#load`). */
    public id: string,
    order: number,
    state: QueueItemState,
    readonly options: DownloadOptions,
    readonly origin: string,
  ) {
    this.order = order;
    this.state = state;
  }

  /** The run's fields, made when a field gets a value (never for a field set back to its empty value). */
  #set<K extends keyof ItemRun>(key: K, value: ItemRun[K]): void {
    if (this.#run === null) {
      if (value === EMPTY_RUN[key]) return;
      this.#run = new ItemRun();
    }
    this.#run[key] = value;
  }

  get failure(): ItemRun['failure'] {
    return this.#run?.failure ?? null;
  }
  set failure(value: ItemRun['failure']) {
    this.#set('failure', value);
  }
  get progress(): ItemRun['progress'] {
    return this.#run?.progress ?? null;
  }
  set progress(value: ItemRun['progress']) {
    this.#set('progress', value);
  }
  get live(): ItemRun['live'] {
    return this.#run?.live ?? null;
  }
  set live(value: ItemRun['live']) {
    this.#set('live', value);
  }
  get unsubscribe(): ItemRun['unsubscribe'] {
    return this.#run?.unsubscribe ?? null;
  }
  set unsubscribe(value: ItemRun['unsubscribe']) {
    this.#set('unsubscribe', value);
  }
  get listeners(): ItemRun['listeners'] {
    return this.#run?.listeners ?? null;
  }
  set listeners(value: ItemRun['listeners']) {
    this.#set('listeners', value);
  }
  get outcome(): ItemRun['outcome'] {
    return this.#run?.outcome ?? null;
  }
  set outcome(value: ItemRun['outcome']) {
    this.#set('outcome', value);
  }
  get result(): ItemRun['result'] {
    return this.#run?.result ?? null;
  }
  set result(value: ItemRun['result']) {
    this.#set('result', value);
  }
  get error(): ItemRun['error'] {
    return this.#run?.error ?? null;
  }
  set error(value: ItemRun['error']) {
    this.#set('error', value);
  }
  get intent(): ItemRun['intent'] {
    return this.#run?.intent ?? null;
  }
  set intent(value: ItemRun['intent']) {
    this.#set('intent', value);
  }
  get bytes(): ItemRun['bytes'] {
    return this.#run?.bytes ?? null;
  }
  set bytes(value: ItemRun['bytes']) {
    this.#set('bytes', value);
  }
  get kept(): ItemRun['kept'] {
    return this.#run?.kept ?? null;
  }
  set kept(value: ItemRun['kept']) {
    this.#set('kept', value);
  }

  get rate(): ItemRun['rate'] {
    return this.#run === null ? undefined : this.#run.rate;
  }
  set rate(value: ItemRun['rate']) {
    this.#set('rate', value);
  }
}

/** The values an item's run starts with. */
const EMPTY_RUN: Readonly<ItemRun> = new ItemRun();

/** An item of the order: itself, or the number of its row in the queue's `ColdItems`. */
type Ref = Item | number;

/** The result of an item done before this process, as it is stored: its file and size. */
const doneResult = (target: string, bytes: number): DownloadResult => ({
  target,
  bytes,
  sha256: null,
  checks: [],
  validators: noValidators,
});

interface Outcome {
  readonly promise: Promise<DownloadResult>;
  readonly resolve: (result: DownloadResult) => void;
  readonly reject: (error: unknown) => void;
}

const outcome = (): Outcome => {
  let resolve!: Outcome['resolve'];
  let reject!: Outcome['reject'];
  const promise = new Promise<DownloadResult>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => undefined);
  return { promise, resolve, reject };
};

/**
 * V8 keeps a string made by concatenation (a template, `path.join`) as a tree of its pieces until something reads it
 * whole. An item kept as an object keeps its target as long as the queue lives: reading it once now makes it one run
 * of characters, some 200 bytes less an item for a `path.join` result (an item in a row keeps a copy of its text).
 */
const compact = (text: unknown): void => {
  // Bad options fail their item when it starts (R30), not here.
  if (typeof text === 'string') text.charCodeAt(0);
};

/** Options `add` could not read, each kept as an empty object with why: its item fails when it starts (R30). */
const unreadable = new WeakMap<DownloadOptions, string>();

/**
 * The caller's options as the queue keeps them: a copy of their own fields (as the store copies them), with `url`,
 * `target` and `headUrl` read through a class's getters too, once the fields of `headers` and `retry` read. A getter
 * or a `Proxy` that throws fails its item, not `add`; so do options that are no object, with `ERR_INVALID_INPUT`
 * (`options`), as `createDownload` refuses them.
 */
const readOptions = (options: unknown): DownloadOptions => {
  let why: string;
  if (typeof options === 'object' && options !== null) {
    try {
      const own: Record<string, unknown> = { ...options };
      for (const nested of [own.headers, own.retry])
        if (typeof nested === 'object' && nested !== null) void { ...nested };
      // A snapshot, not the caller's object: one reused for the next add (its url and target changed) must not
      // change this item. What it names is read through a class's getters too.
      const given = options as DownloadOptions;
      return {
        ...own,
        url: given.url,
        target: given.target,
        ...(given.headUrl === undefined ? {} : { headUrl: given.headUrl }),
      } as DownloadOptions;
    } catch (error) {
      why = unreadableReason(error);
    }
  } else {
    why = notAnObject(options);
  }
  const empty = {} as DownloadOptions;
  unreadable.set(empty, why);
  return empty;
};

/** Why `add` refuses an item once `close()` is asked. */
const CLOSED = 'closed: add() after close() adds nothing';

/** What the result of an item left queued or paused by `close()` rejects with: its bytes are kept (R24). */
const closedError = (): DownloadError => new DownloadError({ _tag: 'Aborted' });

/** Items that left the queue kept for handles first used after: a handle made of a row holds only its id. */
const GONE_KEPT = 1024;

/** Items a store call carries at most: 100 000 records never sit in memory as one call's text. */
const FLUSH_BATCH = 4096;

/**
 * Where an http(s) URL's authority ends: WHATWG's parser ends it at the first `/`, `\\`, `?` or `#` after `//`. The
 * text before holds all the origin depends on, so URLs with the same such prefix have the same origin.
 */
const AUTHORITY_PREFIX = /^https?:\/\/[^/\\?#]*/;

/** No more prefixes than this are remembered (each names one origin; a list of a few hosts needs a few). */
const MAX_PREFIXES = 1024;

/** Whether `url`'s authority ends at `index`: its end, or one of `/`, `\\`, `?`, `#`. */
const endsAuthority = (url: string, index: number): boolean => {
  if (index === url.length) return true;
  const code = url.charCodeAt(index);
  return code === 0x2f || code === 0x5c || code === 0x3f || code === 0x23;
};

/**
 * The origins downloads' connections go to (scheme, host, port), interned: items of one origin share its string.
 * The origin of each authority prefix met is remembered, so that a list of 100 000 URLs on a few hosts parses a
 * few URLs, not 100 000; one of the same prefix as the last is known without even a match.
 */
class Origins {
  readonly #interned = new Map<string, string>();
  readonly #byPrefix = new Map<string, string>();
  #last: { readonly prefix: string; readonly origin: string } | null = null;

  of(url: string): string {
    // Bad options fail their item when it starts (R30): a URL that is no text has no origin.
    if (typeof url !== 'string') return this.#intern('');
    const last = this.#last;
    if (last !== null && url.startsWith(last.prefix) && endsAuthority(url, last.prefix.length))
      return last.origin;
    const prefix = AUTHORITY_PREFIX.exec(url)?.[0];
    const seen = prefix === undefined ? undefined : this.#byPrefix.get(prefix);
    const origin = seen ?? this.#intern(parseUrl(url)?.origin ?? '');
    if (prefix !== undefined) {
      if (seen === undefined && this.#byPrefix.size < MAX_PREFIXES) this.#byPrefix.set(prefix, origin);
      this.#last = { prefix, origin };
    }
    return origin;
  }

  #intern(origin: string): string {
    const known = this.#interned.get(origin);
    if (known !== undefined) return known;
    this.#interned.set(origin, origin);
    return origin;
  }
}

/** Whether storing `options` leaves them as they are (`savedOptions`): no secret in a URL, no header to sift. */
const storedAsGiven = (options: DownloadOptions): boolean =>
  options.headers === undefined &&
  typeof options.url === 'string' &&
  storedUrl(options.url) === options.url &&
  (options.headUrl === undefined ||
    (typeof options.headUrl === 'string' && storedUrl(options.headUrl) === options.headUrl));

const positiveCount = (field: string, value: unknown, fallback: number): number => {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new DownloadError({ _tag: 'InvalidInput', field, message: 'must be a whole number, at least 1' });
  }
  return value;
};

const invalid = (field: string, message: string): DownloadError =>
  new DownloadError({ _tag: 'InvalidInput', field, message });

/**
 * The queue's options, read once (a getter that throws is bad input, as for an item's options) and checked in kind
 * where a plain read would take a wrong value for another (`paused: 'yes'` for false). The numbers are checked as
 * they are used.
 */
const readQueueOptions = (options: unknown): QueueOptions => {
  if (typeof options !== 'object' || options === null) throw invalid('options', notAnObject(options));
  let read: QueueOptions;
  try {
    const given = options as QueueOptions;
    read = {
      concurrency: given.concurrency,
      maxConnectionsPerOrigin: given.maxConnectionsPerOrigin,
      maxBytesPerSecond: given.maxBytesPerSecond,
      restore: given.restore,
      paused: given.paused,
    } as QueueOptions;
  } catch (error) {
    throw invalid('options', unreadableReason(error));
  }
  if (read.paused !== undefined && typeof read.paused !== 'boolean')
    throw invalid('paused', 'must be true or false');
  if (read.restore !== undefined && typeof read.restore !== 'function')
    throw invalid('restore', 'must be a function');
  return read;
};

/**
 * A queue of downloads (R45): they run `concurrency` at a time in the order of their positions, the connections of
 * each origin shared between those running on it (`rules/queueSchedule`), under one rate limit over all (R44). The
 * queue is kept in `ports.store` as it changes: a new queue over the same store after a kill goes on with the same
 * items, the unfinished ones from their checkpoints, the finished ones not fetched again.
 *
 * Bad queue options throw a `DownloadError` (`ERR_INVALID_INPUT`); a bad item's options fail that item only.
 */
export const createQueue = (options: QueueOptions, ports: QueuePorts): Queue => new QueueImpl(options, ports);

class QueueImpl implements Queue {
  readonly ready: Promise<void>;
  readonly #ports: QueuePorts;
  readonly #store: QueueStore;
  readonly #concurrency: number;
  readonly #perOrigin: number;
  readonly #restore: NonNullable<QueueOptions['restore']>;
  readonly #limit: RateLimit;
  readonly #listeners = new Listeners<QueueEvent>();
  /**
   * Every item in order: an `Item`, or the number of its row in `#cold` (one only queued, `ColdItems`). The items
   * by id (those in rows are found by `#cold`).
   */
  #items: Ref[] = [];
  readonly #byId = new Map<string, Item>();
  readonly #cold = new ColdItems();
  /** No item before this index is queued: the scan for the next to start begins here. */
  #scanFrom = 0;
  readonly #running = new Set<Item>();
  readonly #runningPerOrigin = new Map<string, number>();
  readonly #counts: Record<QueueItemState, number> = {
    queued: 0,
    running: 0,
    paused: 0,
    done: 0,
    failed: 0,
    cancelled: 0,
  };
  readonly #origins = new Origins();
  readonly #gone = new Map<string, Item>();
  #nextId = 1;
  /** The next id as the store holds it (`NEXT_ID_KEY`): while `#nextId` is past it, the next write stores it first. */
  #storedNextId = 0;
  #loaded = false;
  #pausedAll: boolean;
  /** Items changed since the last write (`null`: removed; rows keep their own marks), and the write running now. */
  #dirty = new Map<string, Item | null>();
  #flushing: Promise<void> | null = null;
  /**
   * The store could not be read when the queue loaded: what it holds is unknown, so nothing is written to it (a
   * fresh id would replace a stored item of the same id); the queue goes on in memory.
   */
  #detached = false;
  /** The store's writes that failed so far: a record whose flush saw none is durable (`#durably`). */
  #storeFailures = 0;
  /** `close()` under way or done: nothing starts or resumes. */
  #closing: Promise<void> | null = null;
  /** Told when the last running item has stopped, while `close()` waits for it. */
  #allStopped: (() => void) | null = null;
  /** Cancels and removals under way (their downloads deleting the sidecars): `flushed` waits for their records. */
  readonly #cancelling = new Set<Promise<unknown>>();
  #idleWaiters: ((summary: QueueSummary) => void)[] = [];

  constructor(given: QueueOptions, ports: QueuePorts) {
    const options = readQueueOptions(given);
    this.#ports = ports;
    this.#store = ports.store ?? new MemoryQueueStore();
    this.#concurrency = positiveCount('concurrency', options.concurrency, DEFAULT_CONCURRENCY);
    this.#perOrigin = positiveCount(
      'maxConnectionsPerOrigin',
      options.maxConnectionsPerOrigin,
      DEFAULT_CONNECTIONS_PER_ORIGIN,
    );
    if (this.#perOrigin > MAX_CONNECTIONS_PER_ORIGIN) {
      throw new DownloadError({
        _tag: 'InvalidInput',
        field: 'maxConnectionsPerOrigin',
        message: `must be at most ${MAX_CONNECTIONS_PER_ORIGIN}`,
      });
    }
    const limit = rateLimit(options.maxBytesPerSecond ?? null, 0);
    if (E.isLeft(limit)) throw new DownloadError(limit.left);
    this.#limit = new RateLimit(ports.clock, limit.right);
    this.#restore = options.restore ?? ((saved) => saved);
    this.#pausedAll = options.paused === true;
    this.ready = this.#load();
  }

  add(given: DownloadOptions): QueuedDownload {
    if (this.#closing !== null) {
      // Nothing would ever run it, nor store it (the store is closed): refused, as bad options are, never thrown.
      const download = refusedDownload({ _tag: 'InvalidInput', field: 'queue', message: CLOSED });
      return Object.assign(download, { id: '' });
    }
    const options = readOptions(given);
    const last = this.#items[this.#items.length - 1];
    const order = last === undefined ? 0 : this.#orderOf(last) + 1;
    const number = this.#freshNumber();
    const origin = this.#origins.of(options.url);
    // Once loaded (a load renumbers what was added before it), plain options go to a row: nothing stays on the heap.
    const row =
      this.#loaded && !unreadable.has(options) && ColdItems.admits(options)
        ? this.#cold.add(number, order, 'queued', options, origin, storedAsGiven(options))
        : null;
    let item: Item | null = null;
    if (row === null) {
      compact(options.target);
      item = new Item(String(number), order, 'queued', options, origin);
      this.#insert(item);
    } else {
      this.#items.push(row);
    }
    const id = item?.id ?? String(number);
    this.#counts.queued += 1;
    // Recorded before it is told: a listener that forgets the item at once leaves its removal, not the item, stored.
    if (item === null) this.#changedRow(row!);
    else this.#changed(item);
    if (this.#listeners.size > 0) {
      this.#publish({ type: 'added', id, url: savedOptions(options).url, target: options.target });
    }
    this.#schedule();
    return new ItemHandle(this, id, item);
  }

  get(id: string): QueuedDownload | undefined {
    const item = this.#byId.get(id);
    if (item !== undefined) return new ItemHandle(this, id, item);
    return this.#rowOf(id) === undefined ? undefined : new ItemHandle(this, id, null);
  }

  move(id: string, position: number): void {
    const ref = this.#refOf(id);
    if (ref === undefined || !Number.isFinite(position)) return;
    const from = this.#indexOf(ref);
    const to = Math.max(0, Math.min(this.#items.length - 1, Math.trunc(position)));
    // Already there: nothing moves, nothing is written.
    if (from < 0 || from === to) return;
    this.#items.splice(from, 1);
    this.#items.splice(to, 0, ref);
    const neighbour = (index: number): number | undefined => {
      const ref = this.#items[index];
      return ref === undefined ? undefined : this.#orderOf(ref);
    };
    const before = neighbour(to - 1);
    const after = neighbour(to + 1);
    const order =
      before === undefined
        ? after === undefined
          ? 0
          : after - 1
        : after === undefined
          ? before + 1
          : (before + after) / 2;
    if (order === before || order === after) {
      // No room left between two neighbours: every item gets its index as its order.
      this.#items.forEach((each, index) => {
        this.#setOrder(each, index);
      });
    } else {
      this.#setOrder(ref, order);
    }
    this.#scanFrom = 0;
    this.#schedule();
  }

  reorder(ids: readonly string[]): void {
    const placed = new Set<Ref>();
    const order: Ref[] = [];
    for (const id of ids) {
      const ref = this.#refOf(id);
      if (ref === undefined || placed.has(ref)) continue;
      placed.add(ref);
      order.push(ref);
    }
    if (placed.size === 0) return;
    for (const ref of this.#items) if (!placed.has(ref)) order.push(ref);
    this.#items = order;
    // The orders must rise along the items: each keeps its own when it is past the one before it, else it gets one
    // past that one (and is written), so that a list read back in the order it has changes nothing.
    let last = Number.NEGATIVE_INFINITY;
    for (const ref of order) {
      const own = this.#orderOf(ref);
      if (own > last) last = own;
      else this.#setOrder(ref, ++last);
    }
    this.#scanFrom = 0;
    this.#schedule();
  }

  pause(id: string): void {
    const row = this.#rowOf(id);
    if (row !== undefined) {
      // A row stays one: what `#pause` does to a queued item.
      if (this.#cold.state(row) !== 'queued') return;
      this.#setRowState(row, 'paused');
      this.#settleIdle();
      return;
    }
    const item = this.#byId.get(id);
    if (item !== undefined) this.#pause(item);
  }

  resume(id: string): void {
    if (this.#closing !== null) return;
    const row = this.#rowOf(id);
    if (row !== undefined) {
      // A row stays one: what `#requeue` does to a paused or cancelled item.
      const state = this.#cold.state(row);
      if (state !== 'paused' && state !== 'cancelled') return;
      this.#setRowState(row, 'queued');
      const index = this.#indexOf(row);
      if (index < this.#scanFrom) this.#scanFrom = index;
      this.#schedule();
      return;
    }
    const item = this.#byId.get(id);
    if (item === undefined) return;
    if (item.state === 'running' && item.intent === 'pause') {
      // The download keeps a resume that comes while it pauses, and goes on once it has saved everything.
      item.intent = 'resume';
      item.live?.resume();
      return;
    }
    if (item.state !== 'paused' && item.state !== 'failed' && item.state !== 'cancelled') return;
    item.failure = null;
    item.error = null;
    this.#requeue(item);
    this.#schedule();
  }

  cancel(id: string): void {
    const item = this.#find(id);
    if (item !== undefined) this.#cancel(item, 'cancel');
  }

  remove(id: string): void {
    const item = this.#find(id);
    if (item === undefined) return;
    if (item.state === 'done' || item.state === 'cancelled') this.#forget(item);
    else this.#cancel(item, 'remove');
  }

  forget(ids: string | readonly string[]): void {
    if (typeof ids !== 'string') {
      this.#forgetMany(ids);
      return;
    }
    const item = this.#find(ids);
    if (item === undefined || item.state === 'running') return;
    this.#detach(item);
    this.#forget(item);
  }

  /**
   * Forgets the items of `ids` that are not running, the order rebuilt in one pass: a splice an item moved the rest of
   * the order for each, and 80 000 items forgotten one by one (a list run again in a folder whose journal holds
   * another list) took seconds.
   */
  #forgetMany(ids: readonly string[]): void {
    const gone = new Set<Ref>();
    for (const id of ids) {
      const ref = this.#refOf(id);
      if (ref !== undefined && (typeof ref === 'number' || ref.state !== 'running')) gone.add(ref);
    }
    if (gone.size === 0) return;
    const kept: Ref[] = [];
    const leaving: Item[] = [];
    let beforeScan = 0;
    this.#items.forEach((ref, index) => {
      if (!gone.has(ref)) {
        kept.push(ref);
        return;
      }
      if (index < this.#scanFrom) beforeScan += 1;
      leaving.push(this.#thaw(index));
    });
    this.#items = kept;
    this.#scanFrom = Math.max(0, this.#scanFrom - beforeScan);
    for (const item of leaving) {
      this.#detach(item);
      this.#left(item);
    }
  }

  /** An item about to be forgotten no longer listens to its download, which is told to stop (it is not running). */
  #detach(item: Item): void {
    item.live?.pause();
    item.unsubscribe?.();
    item.live = null;
  }

  pauseAll(): void {
    this.#pausedAll = true;
    for (const item of this.#items) {
      if (typeof item !== 'number') {
        this.#pause(item);
      } else if (this.#cold.state(item) === 'queued') {
        // As `#pause` does for an item: the same events in the same order, whichever way an item is kept.
        this.#setRowState(item, 'paused');
        this.#settleIdle();
      }
    }
  }

  resumeAll(): void {
    if (this.#closing !== null) return;
    this.#pausedAll = false;
    this.#items.forEach((item, index) => {
      if (typeof item === 'number') {
        if (this.#cold.state(item) !== 'paused') return;
        this.#setRowState(item, 'queued');
        if (index < this.#scanFrom) this.#scanFrom = index;
      } else if (item.state === 'paused') {
        this.#requeue(item);
      } else if (item.state === 'running' && item.intent === 'pause') {
        this.resume(item.id);
      }
    });
    this.#schedule();
  }

  setRateLimit(bytesPerSecond: number | null): void {
    const checked = rateLimit(bytesPerSecond, 0);
    if (E.isLeft(checked)) throw new DownloadError(checked.left);
    this.#limit.set(checked.right);
  }

  items(): readonly QueueItem[] {
    return this.#items.map((item) => (typeof item === 'number' ? this.#rowView(item) : this.itemView(item)));
  }

  summary(): QueueSummary {
    return { total: this.#items.length, ...this.#counts };
  }

  idle(): Promise<QueueSummary> {
    if (this.#isIdle()) return Promise.resolve(this.summary());
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    await this.ready.catch(() => undefined);
    const stopped = new Promise<void>((resolve) => {
      this.#allStopped = resolve;
    });
    for (const item of this.#running) {
      // A pause, cancel or removal already asked goes on to its end (and is stored as such).
      if (item.intent === null || item.intent === 'resume') {
        item.intent = 'close';
        item.live?.pause();
      }
    }
    this.#checkStopped();
    await stopped;
    // What is left not running never starts in this queue: its result settles, its bytes and record kept.
    for (const ref of this.#items) {
      if (typeof ref !== 'number' && (ref.state === 'queued' || ref.state === 'paused'))
        ref.outcome?.reject(closedError());
    }
    await this.flushed();
    // A store that fails to let go has nothing left to lose: every change is in it.
    await this.#store.close?.().catch(() => undefined);
    this.#settleIdle();
  }

  #checkStopped(): void {
    if (this.#allStopped === null || this.#running.size > 0) return;
    const wake = this.#allStopped;
    this.#allStopped = null;
    wake();
  }

  async flushed(): Promise<void> {
    // A cancel or removal is stored once its download has ended (its sidecars deleted): waited for first.
    while (this.#cancelling.size > 0) await Promise.all(this.#cancelling);
    await this.#flushing;
  }

  subscribe(listener: (event: QueueEvent) => void): () => void {
    return this.#listeners.add(listener);
  }

  on<T extends QueueEvent['type']>(type: T, listener: (event: Extract<QueueEvent, { type: T }>) => void) {
    return this.#listeners.add((event) => {
      if (event.type === type) listener(event as Extract<QueueEvent, { type: T }>);
    });
  }

  // The surface of one item's `Download` (`ItemHandle`).

  /**
   * The item of a handle: made from its row if it has one; once it has left the queue, as it left (done or
   * cancelled), or, `GONE_KEPT` removals later, one cancelled and detached.
   */
  itemFor(id: string): Item {
    return this.#find(id) ?? this.#gone.get(id) ?? new Item(id, 0, 'cancelled', { url: '', target: '' }, '');
  }

  itemView(item: Item): QueueItem {
    return {
      id: item.id,
      url: savedOptions(item.options).url,
      target: item.options.target,
      state: item.state,
      progress: item.progress,
      failure: item.failure,
      bytes: item.state === 'done' ? (item.result?.bytes ?? item.bytes) : null,
    };
  }

  snapshotOf(item: Item): { readonly state: DownloadState; readonly progress: Progress } {
    if (item.live !== null) return item.live.getSnapshot();
    const state: DownloadState =
      item.state === 'queued' || item.state === 'running' ? 'idle' : (item.state as DownloadState);
    return { state, progress: item.progress ?? noProgress };
  }

  resultOf(item: Item): Promise<DownloadResult> {
    if (item.outcome === null) {
      item.outcome = outcome();
      if (item.state === 'done') item.outcome.resolve(item.result ?? this.#storedResult(item));
      else if (item.state === 'cancelled') item.outcome.reject(new DownloadError({ _tag: 'Cancelled' }));
      else if (item.state === 'failed' && item.error !== null) item.outcome.reject(item.error);
      else if (this.#closing !== null && item.state !== 'running') item.outcome.reject(closedError());
    }
    return item.outcome.promise;
  }

  listenersOf(item: Item): Listeners {
    item.listeners ??= new Listeners();
    return item.listeners;
  }

  setItemRate(item: Item, bytesPerSecond: number | null): void {
    const checked = rateLimit(bytesPerSecond, item.options.lowSpeedLimit ?? 0);
    if (E.isLeft(checked)) throw new DownloadError(checked.left);
    item.rate = checked.right;
    item.live?.setRateLimit(checked.right);
  }

  // Scheduling.

  #schedule(): void {
    if (!this.#loaded || this.#pausedAll || this.#closing !== null) {
      this.#settleIdle();
      return;
    }
    const running = [...this.#running].map((item) => item.origin);
    const indexOfRow = new Map<string, number>();
    const starts = toStart({
      concurrency: this.#concurrency,
      maxConnectionsPerOrigin: this.#perOrigin,
      running,
      waiting: this.#waiting(indexOfRow),
    });
    for (const id of starts) {
      // A listener of an earlier start may have moved or removed items: a row is taken at its index only if there.
      const index = indexOfRow.get(id);
      const at = index === undefined ? undefined : this.#items[index];
      const item = typeof at === 'number' && this.#cold.id(at) === id ? this.#thaw(index!) : this.#find(id);
      if (item?.state === 'queued') this.#start(item);
    }
    this.#settleIdle();
  }

  /**
   * Queued items in order, from the first that may be queued; the scan start moves past those that are not. Notes
   * in `indexOfRow` where each yielded row is, so that the one started is made an item without a search.
   */
  *#waiting(indexOfRow: Map<string, number>): Generator<Candidate> {
    let leading = true;
    for (let index = this.#scanFrom; index < this.#items.length; index++) {
      const item = this.#items[index]!;
      if (this.#stateOf(item) !== 'queued') {
        if (leading) this.#scanFrom = index + 1;
        continue;
      }
      leading = false;
      if (typeof item !== 'number') {
        yield item;
        continue;
      }
      const id = this.#cold.id(item);
      indexOfRow.set(id, index);
      yield { id, origin: this.#cold.origin(item) };
    }
  }

  #start(item: Item): void {
    this.#setState(item, 'running');
    this.#running.add(item);
    this.#runningPerOrigin.set(item.origin, (this.#runningPerOrigin.get(item.origin) ?? 0) + 1);
    if (item.live !== null) {
      // A paused download goes on where it stopped, with its listeners.
      item.live.resume();
    } else {
      const download = this.#downloadOf(item);
      item.live = download;
      item.unsubscribe = download.subscribe((event) => this.#heard(item, download, event));
      if (item.rate !== undefined) download.setRateLimit(item.rate);
      download.start().then(
        (result) => this.#ended(item, download, result, null),
        (error: unknown) => this.#ended(item, download, null, error),
      );
    }
    // Told once its download runs: a pause, cancel or removal from a listener reaches that download (told before,
    // a pause found none to stop, and a resumed one went on past it, for good).
    this.#publish({ type: 'started', id: item.id });
  }

  #downloadOf(item: Item): Download {
    const bindings = {
      rateLimit: this.#limit,
      connectionShare: () => connectionShare(this.#perOrigin, this.#runningPerOrigin.get(item.origin) ?? 1),
      finished: (bytes: number, checkpointStored: boolean) => this.#finished(item, bytes, checkpointStored),
      committing: (checkpoint: string) => this.#committing(item, checkpoint),
      ...(item.kept === null ? {} : { kept: item.kept }),
    };
    const why = unreadable.get(item.options);
    if (why !== undefined)
      return refused(new DownloadError({ _tag: 'InvalidInput', field: 'options', message: why }));
    try {
      return this.#ports.createDownload(item.options, bindings);
    } catch (error) {
      // An adapter's factory answers bad input with a refused download; one that throws is refused here.
      const message = (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
      return refused(new DownloadError({ _tag: 'InvalidInput', field: 'options', message }));
    }
  }

  #heard(item: Item, download: Download, event: DownloadEvent): void {
    if (item.live !== download) return;
    item.listeners?.publish(event);
    if (event.type === 'progress') {
      item.progress = event.progress;
      this.#publish({ type: 'progress', id: item.id, progress: event.progress });
    } else if (event.type === 'retry') {
      this.#publish({ type: 'retrying', id: item.id, attempt: event.attempt, delayMs: event.delayMs });
    } else if (event.type === 'state' && event.state === 'paused' && item.state === 'running') {
      if (item.intent === 'close' || (item.intent === 'resume' && this.#closing !== null)) {
        // Stopped by `close()`: where it stands, as after a kill (a running item is stored as queued).
        item.intent = null;
        this.#stopped(item);
        this.#setState(item, 'queued');
        this.#changed(item);
        return;
      }
      if (item.intent === 'resume') {
        // Paused by the queue and resumed by the caller before it had paused: it goes on, in its slot.
        item.intent = null;
        download.resume();
        return;
      }
      // Paused by the queue, or by the caller through the download itself: its slot goes to the next.
      if (item.intent === 'pause') item.intent = null;
      this.#stopped(item);
      this.#setState(item, 'paused');
      this.#changed(item);
      this.#publish({ type: 'paused', id: item.id });
      this.#schedule();
    }
  }

  /**
   * The file is whole under its name: the store says so before the checkpoint goes (R45, `MachineBindings`), unless
   * its record keeps a checkpoint that counts it already (`#committing`): a kill before the store has it leaves a
   * file the next start adopts from that, and the record is written with the queue's next change. A record that
   * cannot be stored is told as it is: the checkpoint beside the file stays (`checkpointStored`), or, none having
   * been saved either (a full folder), the next run fetches the file again.
   */
  async #finished(item: Item, bytes: number, checkpointStored: boolean): Promise<boolean> {
    const kept = item.kept !== null;
    item.finished = true;
    item.bytes = bytes;
    item.kept = null;
    if (kept) {
      this.#changed(item);
      return true;
    }
    if (await this.#durably(item)) return true;
    this.#publish(
      checkpointStored
        ? {
            type: 'notice',
            code: 'QUEUE_CHECKPOINT_KEPT',
            message: `${item.options.target}: its checkpoint stays beside it, since the queue could not record it finished; the next run adopts the file with no request and removes it`,
          }
        : {
            type: 'notice',
            code: 'QUEUE_CHECKPOINT_LOST',
            message: `${item.options.target}: the queue could not record it finished, nor could its checkpoint be saved beside it; the next run fetches it again`,
          },
    );
    return false;
  }

  /**
   * The file takes its name with no checkpoint on storage: its record keeps this one first (R45). Not kept when the
   * store fails: then the checkpoint goes beside the file (`CommitDeps.committing`).
   */
  async #committing(item: Item, checkpoint: string): Promise<boolean> {
    item.kept = checkpoint;
    if (await this.#durably(item)) return true;
    item.kept = null;
    return false;
  }

  /** Stores `item`'s change; whether every write of the store since did not fail (this record's among them). */
  async #durably(item: Item): Promise<boolean> {
    const failures = this.#storeFailures;
    this.#changed(item);
    await this.flushed();
    return this.#storeFailures === failures;
  }

  #ended(item: Item, download: Download, result: DownloadResult | null, error: unknown): void {
    if (item.live !== download) return;
    item.unsubscribe?.();
    item.unsubscribe = null;
    item.live = null;
    if (item.state === 'running') this.#stopped(item);
    const intent = item.intent;
    item.intent = null;
    let storedDone = false;
    if (result !== null) {
      // Stored as done already (`#finished`), but for a download that never committed (a stream, say).
      storedDone = item.finished;
      item.finished = true;
      item.result = result;
      this.#setState(item, 'done');
      item.outcome?.resolve(result);
      this.#publish({ type: 'done', id: item.id, result });
    } else {
      const failure = isDownloadError(error)
        ? error
        : new DownloadError({ _tag: 'InvalidInput', field: 'options', message: String(error) });
      item.finished = false;
      // The run is over and its file did not take its name (a rename that failed, say): a checkpoint kept for a kill
      // in between counts nothing now; kept, it would adopt whatever file sits at the target later (R34, R45).
      item.kept = null;
      if (failure.code === 'ERR_CANCELLED' && intent === 'remove') {
        item.outcome?.reject(failure);
        this.#forget(item);
        this.#schedule();
        return;
      }
      if (failure.code === 'ERR_CANCELLED') {
        this.#setState(item, 'cancelled');
        item.outcome?.reject(failure);
        this.#publish({ type: 'cancelled', id: item.id });
      } else {
        item.error = failure;
        item.failure = { code: failureCode(failure.failure), message: failure.message };
        this.#setState(item, 'failed');
        item.outcome?.reject(failure);
        this.#publish({ type: 'failed', id: item.id, error: failure });
      }
    }
    // A result asked for after this settles at once (`resultOf`); one asked before has just been settled.
    if (item.state !== 'done') item.outcome = null;
    if (item.state !== 'done' || !storedDone) this.#changed(item);
    this.#schedule();
  }

  #stopped(item: Item): void {
    this.#running.delete(item);
    const left = (this.#runningPerOrigin.get(item.origin) ?? 1) - 1;
    if (left === 0) this.#runningPerOrigin.delete(item.origin);
    else this.#runningPerOrigin.set(item.origin, left);
    this.#checkStopped();
  }

  #pause(item: Item): void {
    if (item.state === 'queued') {
      this.#setState(item, 'paused');
      this.#changed(item);
      this.#publish({ type: 'paused', id: item.id });
      this.#settleIdle();
    } else if (
      item.state === 'running' &&
      (item.intent === null || item.intent === 'resume' || item.intent === 'close')
    ) {
      item.intent = 'pause';
      item.live?.pause();
    }
  }

  #cancel(item: Item, intent: 'cancel' | 'remove'): void {
    if (item.state === 'done' || (item.state === 'cancelled' && intent === 'cancel')) return;
    if (item.state === 'cancelled') {
      this.#forget(item);
      return;
    }
    item.intent = intent;
    if (item.live !== null) {
      this.#awaitCancel(item.live);
      item.live.cancel();
      return;
    }
    // Not running in this process: its part file and checkpoint may still be on storage (R24). A download that is
    // cancelled before it starts deletes them, then ends cancelled. One counted running already (its download not
    // made yet) is counted once: its end takes it off once, and its origin's share must come back whole (R43).
    if (!this.#running.has(item)) {
      this.#setState(item, 'running');
      this.#running.add(item);
      this.#runningPerOrigin.set(item.origin, (this.#runningPerOrigin.get(item.origin) ?? 0) + 1);
    }
    const download = this.#downloadOf(item);
    item.live = download;
    download.result.then(
      (result) => this.#ended(item, download, result, null),
      (error: unknown) => this.#ended(item, download, null, error),
    );
    this.#awaitCancel(download);
    download.cancel();
  }

  /** Counts `download`'s end among the cancels `flushed` waits for (after the queue's own handler of its end). */
  #awaitCancel(download: Download): void {
    const ended = download.result.then(
      () => undefined,
      () => undefined,
    );
    this.#cancelling.add(ended);
    void ended.then(() => this.#cancelling.delete(ended));
  }

  #requeue(item: Item): void {
    this.#setState(item, 'queued');
    const index = this.#indexOf(item);
    if (index < this.#scanFrom) this.#scanFrom = index;
    this.#changed(item);
  }

  #forget(item: Item): void {
    const index = this.#indexOf(item);
    if (index >= 0) this.#items.splice(index, 1);
    if (index < this.#scanFrom) this.#scanFrom = Math.max(0, this.#scanFrom - 1);
    this.#left(item);
  }

  /** What an item out of the order leaves behind: its id, its count, its record (written as gone), its events. */
  #left(item: Item): void {
    this.#byId.delete(item.id);
    this.#counts[item.state] -= 1;
    // Out of the queue, an item that had not finished is cancelled (a handle's result settles so, never hangs).
    if (item.state !== 'done') {
      item.state = 'cancelled';
      item.outcome?.reject(new DownloadError({ _tag: 'Cancelled' }));
    }
    this.#remember(item);
    this.#dirty.set(item.id, null);
    this.#kickFlush();
    this.#publish({ type: 'removed', id: item.id });
    this.#settleIdle();
  }

  /** Keeps the last items to leave the queue, for handles first used after (`itemFor`). */
  #remember(item: Item): void {
    this.#gone.delete(item.id);
    this.#gone.set(item.id, item);
    if (this.#gone.size > GONE_KEPT) this.#gone.delete(this.#gone.keys().next().value!);
  }

  #setState(item: Item, state: QueueItemState): void {
    this.#counts[item.state] -= 1;
    this.#counts[state] += 1;
    item.state = state;
  }

  #isIdle(): boolean {
    return (
      this.#loaded &&
      this.#running.size === 0 &&
      (this.#counts.queued === 0 || this.#pausedAll || this.#closing !== null)
    );
  }

  #settleIdle(): void {
    if (!this.#isIdle() || this.#idleWaiters.length === 0) return;
    const summary = this.summary();
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    this.#publish({ type: 'idle', summary });
    for (const wake of waiters) wake(summary);
  }

  #publish(event: QueueEvent): void {
    if (this.#listeners.size > 0) this.#listeners.publish(event);
  }

  // Storage (R45).

  #insert(item: Item): void {
    this.#items.push(item);
    this.#byId.set(item.id, item);
  }

  #freshId(): string {
    return String(this.#freshNumber());
  }

  #freshNumber(): number {
    while (this.#byId.has(String(this.#nextId)) || this.#cold.rowOf(this.#nextId) !== undefined)
      this.#nextId += 1;
    const id = this.#nextId;
    this.#nextId += 1;
    return id;
  }

  #changed(item: Item): void {
    this.#dirty.set(item.id, item);
    this.#kickFlush();
  }

  #changedRow(row: number): void {
    this.#cold.markDirty(row);
    this.#kickFlush();
  }

  // Items in rows (`ColdItems`).

  #orderOf(ref: Ref): number {
    return typeof ref === 'number' ? this.#cold.order(ref) : ref.order;
  }

  #stateOf(ref: Ref): QueueItemState {
    return typeof ref === 'number' ? this.#cold.state(ref) : ref.state;
  }

  #rowOf(id: string): number | undefined {
    const number = numericId(id);
    return number === null ? undefined : this.#cold.rowOf(number);
  }

  #setRowState(row: number, state: ColdState): void {
    this.#counts[this.#cold.state(row)] -= 1;
    this.#counts[state] += 1;
    this.#cold.setState(row, state);
    this.#changedRow(row);
    if (state === 'paused') this.#publish({ type: 'paused', id: this.#cold.id(row) });
  }

  /** The item of `id`, made from its row if it has one. */
  #find(id: string): Item | undefined {
    const item = this.#byId.get(id);
    if (item !== undefined) return item;
    const row = this.#rowOf(id);
    return row === undefined ? undefined : this.#thaw(this.#indexOf(row));
  }

  /** The item of `id` as the order holds it: itself, or its row. */
  #refOf(id: string): Ref | undefined {
    return this.#byId.get(id) ?? this.#rowOf(id);
  }

  /**
   * Where `ref` is in the order, `-1` if it is not there. The items rise by their orders (`add` gives one past the
   * last, `move` one between its neighbours, `reorder` and the load keep them rising), so a binary search finds it;
   * a search through the whole order for each item made a list of 100 000 take minutes to put in place.
   */
  #indexOf(ref: Ref): number {
    const order = this.#orderOf(ref);
    let low = 0;
    let high = this.#items.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.#orderOf(this.#items[middle]!) < order) low = middle + 1;
      else high = middle;
    }
    // Stored orders may repeat (a store is untrusted input): those of the same order are looked through.
    for (let index = low; index < this.#items.length; index++) {
      const at = this.#items[index]!;
      if (at === ref) return index;
      if (this.#orderOf(at) !== order) break;
    }
    // Not where its order says: the orders do not rise there after all, and the whole order is looked through
    // rather than an item lost (forgotten from the ids but left in the order, never run).
    return this.#items.indexOf(ref);
  }

  #setOrder(ref: Ref, order: number): void {
    if (typeof ref === 'number') {
      this.#cold.setOrder(ref, order);
      this.#changedRow(ref);
    } else {
      ref.order = order;
      this.#changed(ref);
    }
  }

  /** Makes the row at `index` of the order an item, in its place; what was to be written of it goes with it. */
  #thaw(index: number): Item {
    const row = this.#items[index]!;
    if (typeof row !== 'number') return row;
    const options = this.#cold.options(row);
    const state = this.#cold.state(row);
    const item = new Item(this.#cold.id(row), this.#cold.order(row), state, options, this.#cold.origin(row));
    if (state === 'done') {
      item.finished = true;
      item.result = doneResult(options.target, this.#cold.bytes(row));
    }
    const dirty = this.#cold.clearDirty(row);
    this.#cold.release(row);
    this.#items[index] = item;
    this.#byId.set(item.id, item);
    if (dirty) this.#dirty.set(item.id, item);
    return item;
  }

  /** What `items()` says of a row. */
  #rowView(row: number): QueueItem {
    const options = this.#cold.options(row);
    const state = this.#cold.state(row);
    return {
      id: this.#cold.id(row),
      url: savedOptions(options).url,
      target: options.target,
      state,
      progress: null,
      failure: null,
      bytes: state === 'done' ? this.#cold.bytes(row) : null,
    };
  }

  /** The stored text of a row (`encodeRecord`): its options' text as it is, when that is what is stored. */
  #rowText(row: number): string {
    const state = this.#cold.state(row);
    const record = {
      id: this.#cold.id(row),
      order: this.#cold.order(row),
      state,
      failure: null,
      ...(state === 'done' ? { bytes: this.#cold.bytes(row) } : {}),
    };
    if (this.#cold.asStored(row)) return encodeRecordText(record, this.#cold.text(row));
    return encodeRecord({ ...record, options: savedOptions(this.#cold.options(row)) });
  }

  /**
   * The texts of `rows` (unmarked already, as `#dirty` entries are taken before their write: a store that fails
   * loses them as it loses those, never asked again without end), made as the store takes them, one at a time: a
   * batch's texts are never all held. A row made an item meanwhile is written as that item; one of an item gone
   * is passed over (its removal is in `#dirty`); one reused since by a new item is written with what it holds now.
   */
  *#rowTexts(rows: readonly (readonly [number, string])[]): Generator<StoredItem> {
    for (const [row, id] of rows) {
      if (this.#cold.rowOf(Number(id)) === row) {
        yield { id, text: this.#rowText(row) };
        continue;
      }
      const item = this.#byId.get(id);
      if (item !== undefined) yield { id, text: encodeRecord(this.#recordOf(item)) };
    }
  }

  /**
   * Keeps a restored item in a row when it can be (a numeric id, plain options, nothing run or watched): its place
   * in the order, or the item itself.
   */
  #frozen(item: Item): Ref {
    const number = numericId(item.id);
    if (number === null || item.state === 'running' || item.state === 'failed' || item.kept !== null)
      return item;
    if (!ColdItems.admits(item.options)) return item;
    const bytes = item.state === 'done' ? (item.result?.bytes ?? 0) : 0;
    const row = this.#cold.add(
      number,
      item.order,
      item.state,
      item.options,
      item.origin,
      storedAsGiven(item.options),
      bytes,
    );
    return row ?? item;
  }

  #kickFlush(): void {
    if (this.#flushing === null && this.#loaded) this.#flushing = this.#flush();
  }

  /**
   * Writes what changed, in batches of at most `FLUSH_BATCH` items, one call at a time, until nothing is left (the
   * store's contract: a call may be cut between items anyway, so smaller calls lose nothing).
   */
  async #flush(): Promise<void> {
    // Changes made in the same turn are written together (100 000 adds make 25 puts), never all encoded at once.
    await Promise.resolve();
    if (this.#detached) {
      this.#dirty.clear();
      for (
        let rows = this.#cold.dirtyRows(FLUSH_BATCH);
        rows.length > 0;
        rows = this.#cold.dirtyRows(FLUSH_BATCH)
      )
        for (const row of rows) this.#cold.clearDirty(row);
    }
    while (this.#dirty.size > 0 || this.#cold.dirtyCount > 0) {
      if (this.#dirty.size === 0) {
        const rows = this.#cold.dirtyRows(FLUSH_BATCH).map((row) => [row, this.#cold.id(row)] as const);
        if (rows.length === 0) break;
        for (const [row] of rows) this.#cold.clearDirty(row);
        this.#storeFailed(await this.#store.put(this.#withNextId(this.#rowTexts(rows)))());
        continue;
      }
      const batch: [string, Item | null][] = [];
      for (const entry of this.#dirty) {
        batch.push(entry);
        if (batch.length >= FLUSH_BATCH) break;
      }
      for (const [id] of batch) this.#dirty.delete(id);
      const removes = batch.filter(([, item]) => item === null).map(([id]) => id);
      const puts = batch.filter((entry): entry is [string, Item] => entry[1] !== null);
      // Each record is encoded as the store takes it: a batch's texts are never all held at once. The puts go first,
      // with the next id ahead of them (alone, when there are only removals): no id is removed from the store before
      // the store holds an id past it.
      if (puts.length > 0 || this.#nextId > this.#storedNextId)
        this.#storeFailed(await this.#store.put(this.#withNextId(this.#encoded(puts)))());
      if (removes.length > 0) this.#storeFailed(await this.#store.remove(removes)());
    }
    this.#flushing = null;
  }

  #storeFailed(written: E.Either<{ readonly _tag: string }, void>): void {
    if (E.isRight(written)) return;
    this.#storeFailures += 1;
    // What the store holds of the next id is unknown now: the next write stores it again.
    this.#storedNextId = 0;
    const left = written.left as { _tag: string; message?: string; reason?: string };
    this.#publish({
      type: 'notice',
      code: 'QUEUE_NOT_SAVED',
      message: `the queue could not be saved (${left.message ?? left.reason ?? left._tag}); it goes on in memory`,
    });
  }

  /**
   * `items`, led by the next id when the store does not hold it yet (R45): ids are never handed out twice for one
   * store. First, so that a call cut between its items (the store's contract) never keeps an item without it.
   */
  *#withNextId(items: Iterable<StoredItem>): Generator<StoredItem> {
    if (this.#nextId > this.#storedNextId) {
      this.#storedNextId = this.#nextId;
      yield { id: NEXT_ID_KEY, text: encodeNextId(this.#nextId) };
    }
    yield* items;
  }

  *#encoded(puts: readonly [string, Item][]): Generator<StoredItem> {
    for (const [id, item] of puts) yield { id, text: encodeRecord(this.#recordOf(item)) };
  }

  #recordOf(item: Item): QueueRecord {
    const state: QueueRecord['state'] = item.finished
      ? 'done'
      : item.state === 'running'
        ? 'queued'
        : item.state;
    return {
      id: item.id,
      order: item.order,
      state,
      options: savedOptions(item.options),
      failure: state === 'failed' ? item.failure : null,
      ...(state === 'done' ? { bytes: item.result?.bytes ?? item.bytes ?? 0 } : {}),
      ...(item.kept === null || state === 'done' || state === 'cancelled' ? {} : { checkpoint: item.kept }),
    };
  }

  #storedResult(item: Item): DownloadResult {
    return doneResult(item.options.target, item.progress?.total ?? 0);
  }

  /** Reads the stored items back (R45): each decoded, untrusted; those that do not decode are reported, dropped. */
  async #load(): Promise<void> {
    const loaded = await this.#store.load()();
    // Items added while loading come after the restored ones, with ids of their own (and never in rows: `add`).
    const added = new Set(this.#items.filter((ref): ref is Item => typeof ref !== 'number'));
    // Each restored item becomes a row as it is read, unless it must stay an object: a queue of 100 000 never
    // holds them all as objects at once (it did, sorted, before the rows were made: some 100 MiB more at the peak).
    const refs: Ref[] = [];
    // Items added before the load whose ids stored ones have: they get new ones, the stored keep theirs (R45).
    const clashes: Item[] = [];
    // Nothing was written before the load: what `#dirty` holds is of the items added, marked again below. A removal of
    // one of them must not remove a stored item of the same id.
    this.#dirty.clear();
    let lastOrder = -1;
    if (E.isLeft(loaded)) {
      this.#detached = true;
      const left = loaded.left as { _tag: string; message?: string; reason?: string };
      this.#publish({
        type: 'notice',
        code: 'QUEUE_NOT_LOADED',
        message: `the stored queue could not be read (${left.message ?? left.reason ?? left._tag}); this queue goes on in memory and leaves it as it is`,
      });
    } else {
      const dropped: string[] = [];
      // In the order of their ids (a store may give them in another: IndexedDB sorts its keys as strings), so that
      // the rows' table of ids grows as they come (`ColdItems`), as it does for items added one after the other.
      const stored = loaded.right
        .map((item) => ({ n: numericId(item.id) ?? Number.MAX_SAFE_INTEGER, item }))
        .sort((a, b) => a.n - b.n);
      for (const {
        item: { id, text },
      } of stored) {
        if (id === NEXT_ID_KEY) {
          // Fresh ids are past every id this store was given, removed ones too (a store written before it had no
          // such item: its ids then start past every stored one). One that does not decode is written again.
          const next = decodeNextId(text);
          if (next !== null) {
            this.#storedNextId = next;
            if (next > this.#nextId) this.#nextId = next;
          }
          continue;
        }
        const record = decodeRecord(id, text);
        if (record === null) {
          dropped.push(id);
          continue;
        }
        const item = this.#restored(record);
        // Fresh ids from here on are past every stored one.
        const n = numericId(item.id);
        if (n !== null && n >= this.#nextId) this.#nextId = n + 1;
        lastOrder = Math.max(lastOrder, item.order);
        const clash = this.#byId.get(item.id);
        if (clash !== undefined && added.has(clash)) clashes.push(clash);
        refs.push(this.#frozen(item));
      }
      if (dropped.length > 0) {
        this.#publish({
          type: 'notice',
          code: 'QUEUE_ITEM_INVALID',
          message: `${dropped.length} stored queue item(s) could not be read and were dropped`,
        });
        for (const id of dropped) this.#dirty.set(id, null);
      }
    }
    // An item added before the load under an id the store had given (one since removed) is a clash too.
    const clashing = new Set(clashes);
    for (const item of added) {
      const n = numericId(item.id);
      if (!clashing.has(item) && n !== null && n < this.#storedNextId) clashes.push(item);
    }
    for (const item of clashes) {
      // An id handed out before the load that a stored item already has: the added one gets one past every stored
      // id (its handles read it), so the stored keep theirs.
      this.#byId.delete(item.id);
      item.id = this.#freshId();
    }
    const orderOf = (ref: Ref): number => (typeof ref === 'number' ? this.#cold.order(ref) : ref.order);
    refs.sort((a, b) => orderOf(a) - orderOf(b));
    this.#items = refs;
    for (const ref of refs) if (typeof ref !== 'number') this.#byId.set(ref.id, ref);
    for (const item of added) this.#byId.set(item.id, item);
    for (const item of this.#items) this.#counts[this.#stateOf(item)] += 1;
    let order = lastOrder + 1;
    for (const item of added) {
      item.order = order++;
      this.#items.push(item);
      this.#dirty.set(item.id, item);
    }
    this.#loaded = true;
    this.#kickFlush();
    this.#schedule();
  }

  #restored(record: QueueRecord): Item {
    // A failed item is unfinished: it is tried again, from its checkpoint (what a re-run of a command does).
    const state = record.state === 'failed' ? 'queued' : record.state;
    let options: DownloadOptions = record.options;
    try {
      options = this.#restore(record.options, record.id);
    } catch {
      // The caller's hook threw: the item runs with what was stored, and says what is missing when it starts.
    }
    const item = new Item(record.id, record.order, state, options, this.#origins.of(options.url));
    if (state === 'done') {
      item.finished = true;
      item.result = doneResult(options.target, record.bytes ?? 0);
    } else if (state !== 'cancelled' && record.checkpoint !== undefined) item.kept = record.checkpoint;
    return item;
  }
}

/** A download that never runs and ends with `error` (a factory that threw). */
const refused = (error: DownloadError): Download => {
  const result = Promise.reject(error);
  result.catch(() => undefined);
  const listeners = new Listeners();
  return {
    start: () => result,
    pause: () => undefined,
    resume: () => undefined,
    cancel: () => undefined,
    setRateLimit: () => undefined,
    online: () => undefined,
    offline: () => undefined,
    subscribe: (listener) => listeners.add(listener),
    on: () => () => undefined,
    getSnapshot: () => ({ state: 'failed', progress: noProgress }),
    result,
  };
};

/**
 * The `Download` of one item, through its queue: cheap to make, so the queue keeps none. One made for an item kept
 * in a row finds its item when first used (`QueueImpl.itemFor`).
 */
class ItemHandle implements QueuedDownload {
  readonly #queue: QueueImpl;
  readonly #id: string;
  #found: Item | null;

  constructor(queue: QueueImpl, id: string, item: Item | null) {
    this.#queue = queue;
    this.#id = id;
    this.#found = item;
  }

  /** The item's id: of one added before the load, the one it has once loaded (`#load`). */
  get id(): string {
    return this.#found?.id ?? this.#id;
  }

  get #item(): Item {
    this.#found ??= this.#queue.itemFor(this.#id);
    return this.#found;
  }

  /** Starts nothing out of turn: a paused item is queued again; the result is the item's. */
  start(): Promise<DownloadResult> {
    if (this.#item.state === 'paused') this.#queue.resume(this.id);
    return this.#queue.resultOf(this.#item);
  }

  pause(): void {
    this.#queue.pause(this.id);
  }

  resume(): void {
    this.#queue.resume(this.id);
  }

  cancel(): void {
    this.#queue.cancel(this.id);
  }

  setRateLimit(bytesPerSecond: number | null): void {
    this.#queue.setItemRate(this.#item, bytesPerSecond);
  }

  online(): void {
    this.#item.live?.online();
  }

  offline(): void {
    this.#item.live?.offline();
  }

  subscribe(listener: (event: DownloadEvent) => void): () => void {
    return this.#queue.listenersOf(this.#item).add(listener);
  }

  on<T extends DownloadEvent['type']>(
    type: T,
    listener: (event: Extract<DownloadEvent, { type: T }>) => void,
  ): () => void {
    return this.subscribe((event) => {
      if (event.type === type) listener(event as Extract<DownloadEvent, { type: T }>);
    });
  }

  getSnapshot(): { readonly state: DownloadState; readonly progress: Progress } {
    return this.#queue.snapshotOf(this.#item);
  }

  get result(): Promise<DownloadResult> {
    return this.#queue.resultOf(this.#item);
  }
}
