import type { DownloadOptions } from '../model/options.js';
import { storedUrl } from './checkpointUrl.js';
import { CROSS_ORIGIN_HEADERS } from './redirect.js';

/** Where a queue item is. `running` is never stored: a running item is `queued` on storage (R45). */
export type QueueItemState = 'queued' | 'running' | 'paused' | 'done' | 'failed' | 'cancelled';

/** The options of an item as stored: data only, and no secret (R37). */
export type SavedOptions = Omit<DownloadOptions, 'signal' | 'refreshUrl'>;

/** One item of a queue as it is stored (R45). */
export interface QueueRecord {
  readonly id: string;
  /** Its place: items run in increasing order. */
  readonly order: number;
  readonly state: Exclude<QueueItemState, 'running'>;
  readonly options: SavedOptions;
  /** Why it failed (`failed` only). */
  readonly failure: { readonly code: string; readonly message: string } | null;
  /** The file's size (`done` only). */
  readonly bytes?: number;
  /**
   * The checkpoint (`encodeCheckpoint`) of a file that was taking its name with none on storage (a small one), kept
   * until the item is recorded done: a start after a kill adopts the file from it (R19, R45). Not `done` nor
   * `cancelled`.
   */
  readonly checkpoint?: string;
}

export const QUEUE_RECORD_VERSION = 1;

/**
 * The largest number of an id the queue makes: 2^52, so that the ids after it still count up one by one (at 2^53 a
 * double's `+ 1` gives itself, and a queue read back from a journal naming such an id looked for a fresh one for
 * ever, R22, R33).
 */
export const MAX_QUEUE_ID = 2 ** 52;

/**
 * The number of an id the queue made (`"17"`; never `"017"`, `"1e3"`, `"-1"` or one past `MAX_QUEUE_ID`), else
 * `null`: kept as a number, such an id costs no string (a queue's rows, a store's set of ids).
 */
export const numericId = (id: string): number | null => {
  const n = Number(id);
  return Number.isSafeInteger(n) && n >= 0 && n <= MAX_QUEUE_ID && String(n) === id ? n : null;
};

/**
 * The stored item under which a queue keeps the next id it hands out (R45): its ids are never given twice for one
 * store, one removed (the largest, say) included, whatever a restart finds stored. No id the queue makes
 * (`numericId`) is this one.
 */
export const NEXT_ID_KEY = 'next-id';

/** The text of the `NEXT_ID_KEY` item: the queue's next id is `next`. */
export const encodeNextId = (next: number): string =>
  JSON.stringify({ version: QUEUE_RECORD_VERSION, nextId: next });

/** The next id a `NEXT_ID_KEY` text read back names (untrusted, R22), else `null` (it is then ignored). */
export const decodeNextId = (text: string): number | null => {
  if (text.length > 100) return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isObject(value) || value.version !== QUEUE_RECORD_VERSION) return null;
  const { nextId } = value;
  return typeof nextId === 'number' &&
    Number.isSafeInteger(nextId) &&
    nextId >= 1 &&
    nextId <= MAX_QUEUE_ID + 1
    ? nextId
    : null;
};

/**
 * No stored record is read past this many characters (a tampered one could be any size). Any download's options
 * fit well within it: its URLs and headers are bounded (`MAX_URL_CHARS`, `MAX_HEADERS_CHARS`, R30).
 */
export const MAX_RECORD_CHARS = 1024 * 1024;

const STORED_STATES: ReadonlySet<string> = new Set(['queued', 'paused', 'done', 'failed', 'cancelled']);

/**
 * The options as they may be written to storage (R37): no hooks (`signal`, `refreshUrl`), no password in the URLs
 * and no signature (their secret query parameters redacted, as in a checkpoint),
 * and only the headers that carry no secret (those that may cross origins). A queue given back its items after a
 * restart has the caller add the rest again (`restore`).
 */
export const savedOptions = (options: DownloadOptions): SavedOptions => {
  const { signal: _signal, refreshUrl: _refreshUrl, headers, ...data } = options;
  const kept =
    headers === undefined
      ? undefined
      : Object.fromEntries(
          Object.entries(headers).filter(([name]) => CROSS_ORIGIN_HEADERS.has(name.toLowerCase())),
        );
  return {
    ...data,
    url: storedText(options.url),
    ...(options.headUrl === undefined ? {} : { headUrl: storedText(options.headUrl) }),
    ...(kept === undefined || Object.keys(kept).length === 0 ? {} : { headers: kept }),
  };
};

/** A URL as stored (`storedUrl`); a value that is no text is kept as it is, to fail its item when it starts (R30). */
const storedText = <T>(url: T): T => (typeof url === 'string' ? (storedUrl(url) as T) : url);

/** Whether storing `options` leaves something out that the caller must give back after a restart (`restore`). */
export const hasSecrets = (options: DownloadOptions): boolean => {
  const saved = savedOptions(options);
  return (
    saved.url !== options.url ||
    saved.headUrl !== options.headUrl ||
    Object.keys(saved.headers ?? {}).length !== Object.keys(options.headers ?? {}).length ||
    options.refreshUrl !== undefined
  );
};

export const encodeRecord = (record: QueueRecord): string =>
  JSON.stringify({ version: QUEUE_RECORD_VERSION, ...record });

/**
 * `encodeRecord` of a record whose stored options are JSON text already (`optionsText`, a JSON object): the same
 * record once decoded, without parsing the text and writing it again.
 */
export const encodeRecordText = (record: Omit<QueueRecord, 'options'>, optionsText: string): string => {
  const { failure, bytes, ...head } = record;
  const first = JSON.stringify({ version: QUEUE_RECORD_VERSION, ...head });
  const last = JSON.stringify(bytes === undefined ? { failure } : { failure, bytes });
  return `${first.slice(0, -1)},"options":${optionsText},${last.slice(1)}`;
};

/**
 * A stored record read back, untrusted (R45, as a checkpoint, R22): `null` unless it is one of this version for
 * `id` with every field of its type. The options' values are checked where every download's are, when the item
 * starts (R30): a bad one fails that item with `ERR_INVALID_INPUT`, never the queue.
 */
export const decodeRecord = (id: string, text: string): QueueRecord | null => {
  if (text.length > MAX_RECORD_CHARS) return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isObject(value) || value.version !== QUEUE_RECORD_VERSION || value.id !== id) return null;
  const { order, state, options, failure, bytes, checkpoint } = value;
  if (checkpoint !== undefined && typeof checkpoint !== 'string') return null;
  if (bytes !== undefined && (typeof bytes !== 'number' || !Number.isSafeInteger(bytes) || bytes < 0))
    return null;
  if (typeof order !== 'number' || !Number.isFinite(order)) return null;
  if (typeof state !== 'string' || !STORED_STATES.has(state)) return null;
  if (!isObject(options) || typeof options.url !== 'string' || typeof options.target !== 'string')
    return null;
  if (options.headers !== undefined && !isStringRecord(options.headers)) return null;
  if (
    failure !== null &&
    !(isObject(failure) && typeof failure.code === 'string' && typeof failure.message === 'string')
  ) {
    return null;
  }
  return {
    id,
    order,
    state: state as QueueRecord['state'],
    options: options as unknown as SavedOptions,
    failure: failure === null ? null : { code: failure.code as string, message: failure.message as string },
    ...(bytes === undefined ? {} : { bytes: bytes as number }),
    ...(checkpoint === undefined ? {} : { checkpoint }),
  };
};

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isStringRecord = (value: unknown): boolean =>
  isObject(value) && Object.values(value).every((v) => typeof v === 'string');
