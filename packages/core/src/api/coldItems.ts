import type { DownloadOptions } from '../model/options.js';
import type { QueueItemState } from '../rules/queueRecord.js';

/** The states an item may have while cold: it is not running and has no failure to remember. */
export type ColdState = Extract<QueueItemState, 'queued' | 'paused' | 'done' | 'cancelled'>;

const COLD_STATES: readonly ColdState[] = ['queued', 'paused', 'done', 'cancelled'];
const STATE_CODE: Readonly<Record<ColdState, number>> = { queued: 0, paused: 1, done: 2, cancelled: 3 };

/** Rows are kept in pages of this many (a power of two): a queue grows a page at a time, never copying rows. */
const PAGE_BITS = 14;
const PAGE_ROWS = 1 << PAGE_BITS;
const SLOT_MASK = PAGE_ROWS - 1;

/** Bits of a row's flags. */
const AS_STORED = 1;
const WIDE = 2;
const DIRTY = 4;
/** The row holds an item (not released). */
const LIVE = 8;

/** Bytes of one text chunk (1 MiB): texts are laid end to end in chunks, a chunk freed once none of it lives. */
const CHUNK_BYTES = 1024 * 1024;
/** Options whose text is longer than this stay an object (a row's text never spans two chunks). */
const MAX_TEXT_UNITS = 16 * 1024;
/** Code units `String.fromCharCode` is given at once. */
const DECODE_SLICE = 4096;
/**
 * Ids are found through a table from the smallest id kept, so ids must be dense: one further than this many
 * entries (or four times the rows kept) from the others stays an object.
 */
const MIN_ID_SPAN = 64 * 1024;

/** Whether `value` is data JSON gives back as it was: finite numbers, strings, booleans, null, plain objects, arrays. */
const isPlainData = (value: unknown, depth: number): boolean => {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (typeof value !== 'object' || depth > 4) return false;
  if (Array.isArray(value)) return value.every((each) => isPlainData(each, depth + 1));
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  for (const key in value) {
    const each = (value as Record<string, unknown>)[key];
    if (each !== undefined && !isPlainData(each, depth + 1)) return false;
  }
  return true;
};

/** One page of rows: a field a typed array. */
class Page {
  readonly ids = new Float64Array(PAGE_ROWS);
  readonly orders = new Float64Array(PAGE_ROWS);
  readonly bytes = new Float64Array(PAGE_ROWS);
  readonly states = new Uint8Array(PAGE_ROWS);
  readonly flags = new Uint8Array(PAGE_ROWS);
  readonly origins = new Uint32Array(PAGE_ROWS);
  readonly chunks = new Uint32Array(PAGE_ROWS);
  readonly starts = new Uint32Array(PAGE_ROWS);
  readonly lengths = new Uint32Array(PAGE_ROWS);
}

/**
 * Queued items kept out of the JavaScript heap. An item a queue only holds (not running, never watched) needs its
 * id, place, state, origin and options, and a queue may hold 100 000 of them. As objects they all outlive the young
 * generation, which V8 then grows to its largest, on top of the objects. Here a row is a slot in pages of typed
 * arrays, its options their JSON text (a byte a code unit when all are below 256, else two), ids found through a
 * dense table, the rows to write in a list: nothing on the heap an item (`pnpm bench`, queue).
 *
 * Only options that are plain data (`admits`) and dense numeric ids are kept here; the queue makes an item of a row
 * (`options`, then `release`) the moment it needs more than these fields. A row's number is reused once released.
 */
export class ColdItems {
  readonly #pages: Page[] = [];
  /** Rows handed out (released ones included), and the released ones, to be reused. */
  #rows = 0;
  readonly #free: number[] = [];
  #size = 0;
  /** Row + 1 of each id from `#base` on; 0: none. */
  #rowOfId = new Int32Array(0);
  #base = 0;
  readonly #origins: string[] = [];
  readonly #originIndex = new Map<string, number>();
  readonly #chunks: (Uint8Array | null)[] = [];
  /** Bytes still used in each chunk; the last chunk is the one texts are added to. */
  readonly #liveBytes: number[] = [];
  #tailUsed = CHUNK_BYTES;
  /** Rows marked to be written, in order (a row may be listed again once taken, or once released and reused). */
  #dirtyList = new Int32Array(1024);
  #dirtyHead = 0;
  #dirtyTail = 0;
  #dirtyCount = 0;

  /** Whether `options` can be kept as a row: plain data. */
  static admits(options: DownloadOptions): boolean {
    return isPlainData(options, 0);
  }

  get size(): number {
    return this.#size;
  }

  /** The row of item `id`, or `undefined`. */
  rowOf(id: number): number | undefined {
    const at = id - this.#base;
    const entry = at >= 0 && at < this.#rowOfId.length ? this.#rowOfId[at]! : 0;
    return entry === 0 ? undefined : entry - 1;
  }

  /**
   * Keeps an item; `null` when it cannot be (its options too long a text, its id too far from the others): it
   * stays an object. `asStored`: storing the options leaves nothing out (`savedOptions` gives the same data).
   */
  add(
    id: number,
    order: number,
    state: ColdState,
    options: DownloadOptions,
    origin: string,
    asStored: boolean,
    bytes = 0,
  ): number | null {
    const text = JSON.stringify(options);
    if (text.length > MAX_TEXT_UNITS || !this.#index(id)) return null;
    const row = this.#free.pop() ?? this.#grow();
    const page = this.#pages[row >>> PAGE_BITS]!;
    const slot = row & SLOT_MASK;
    page.ids[slot] = id;
    page.orders[slot] = order;
    page.bytes[slot] = bytes;
    page.states[slot] = STATE_CODE[state];
    page.flags[slot] = LIVE | (asStored ? AS_STORED : 0);
    page.origins[slot] = this.#originNumber(origin);
    this.#write(page, slot, text);
    this.#rowOfId[id - this.#base] = row + 1;
    this.#size += 1;
    return row;
  }

  id(row: number): string {
    return String(this.#page(row).ids[row & SLOT_MASK]);
  }

  order(row: number): number {
    return this.#page(row).orders[row & SLOT_MASK]!;
  }

  setOrder(row: number, order: number): void {
    this.#page(row).orders[row & SLOT_MASK] = order;
  }

  state(row: number): ColdState {
    return COLD_STATES[this.#page(row).states[row & SLOT_MASK]!]!;
  }

  setState(row: number, state: ColdState): void {
    this.#page(row).states[row & SLOT_MASK] = STATE_CODE[state];
  }

  /** The size of a done item's file. */
  bytes(row: number): number {
    return this.#page(row).bytes[row & SLOT_MASK]!;
  }

  origin(row: number): string {
    return this.#origins[this.#page(row).origins[row & SLOT_MASK]!]!;
  }

  /** The options, read back from the row's text (a fresh object each call). */
  options(row: number): DownloadOptions {
    return JSON.parse(this.text(row)) as DownloadOptions;
  }

  /** The options' JSON text. */
  text(row: number): string {
    const page = this.#page(row);
    const slot = row & SLOT_MASK;
    const chunk = this.#chunks[page.chunks[slot]!]!;
    const start = page.starts[slot]!;
    const length = page.lengths[slot]!;
    const units =
      (page.flags[slot]! & WIDE) !== 0
        ? new Uint16Array(chunk.buffer, chunk.byteOffset + start, length)
        : chunk.subarray(start, start + length);
    let text = '';
    for (let at = 0; at < length; at += DECODE_SLICE) {
      const slice = units.subarray(at, Math.min(length, at + DECODE_SLICE));
      text += String.fromCharCode.apply(null, slice as unknown as number[]);
    }
    return text;
  }

  /** Whether the options' text is what the store keeps of them (`add`). */
  asStored(row: number): boolean {
    return (this.#page(row).flags[row & SLOT_MASK]! & AS_STORED) !== 0;
  }

  /** Marks the row to be written (once, however often it changes before it is); a released row is not. */
  markDirty(row: number): void {
    const page = this.#page(row);
    const slot = row & SLOT_MASK;
    if ((page.flags[slot]! & (DIRTY | LIVE)) !== LIVE) return;
    page.flags[slot] = page.flags[slot]! | DIRTY;
    this.#dirtyCount += 1;
    if (this.#dirtyTail === this.#dirtyList.length) {
      // The entries before the head are taken: they are dropped, and the list grows only if it is still half full.
      const list = this.#dirtyList;
      const live = this.#dirtyTail - this.#dirtyHead;
      if (live * 2 > list.length) {
        this.#dirtyList = new Int32Array(list.length * 2);
        this.#dirtyList.set(list.subarray(this.#dirtyHead, this.#dirtyTail));
      } else {
        list.copyWithin(0, this.#dirtyHead, this.#dirtyTail);
      }
      this.#dirtyHead = 0;
      this.#dirtyTail = live;
    }
    this.#dirtyList[this.#dirtyTail] = row;
    this.#dirtyTail += 1;
  }

  /** Rows to be written. */
  get dirtyCount(): number {
    return this.#dirtyCount;
  }

  /** Up to `count` rows marked to be written, in the order marked; they stay marked until `clearDirty`. */
  dirtyRows(count: number): number[] {
    const rows: number[] = [];
    const seen = new Set<number>();
    for (let at = this.#dirtyHead; at < this.#dirtyTail && rows.length < count; at++) {
      const row = this.#dirtyList[at]!;
      if (this.#isDirty(row) && !seen.has(row)) {
        rows.push(row);
        seen.add(row);
      }
    }
    return rows;
  }

  /** Takes the mark off: whether it was marked. Taken marks at the head of the list are dropped from it. */
  clearDirty(row: number): boolean {
    if (!this.#isDirty(row)) return false;
    const page = this.#page(row);
    const slot = row & SLOT_MASK;
    page.flags[slot] = page.flags[slot]! & ~DIRTY;
    this.#dirtyCount -= 1;
    while (this.#dirtyHead < this.#dirtyTail && !this.#isDirty(this.#dirtyList[this.#dirtyHead]!)) {
      this.#dirtyHead += 1;
    }
    if (this.#dirtyCount === 0) {
      this.#dirtyHead = 0;
      this.#dirtyTail = 0;
    }
    return true;
  }

  /** The row's item is an object now, or gone: its slot and its text are free (and its mark taken off). */
  release(row: number): void {
    this.clearDirty(row);
    const page = this.#page(row);
    const slot = row & SLOT_MASK;
    this.#rowOfId[page.ids[slot]! - this.#base] = 0;
    const chunk = page.chunks[slot]!;
    const left = this.#liveBytes[chunk]! - page.lengths[slot]! * ((page.flags[slot]! & WIDE) !== 0 ? 2 : 1);
    this.#liveBytes[chunk] = left;
    if (left === 0 && chunk !== this.#chunks.length - 1) this.#chunks[chunk] = null;
    page.flags[slot] = 0;
    this.#free.push(row);
    this.#size -= 1;
  }

  #page(row: number): Page {
    return this.#pages[row >>> PAGE_BITS]!;
  }

  #isDirty(row: number): boolean {
    const page = this.#pages[row >>> PAGE_BITS];
    return page !== undefined && (page.flags[row & SLOT_MASK]! & DIRTY) !== 0;
  }

  #grow(): number {
    const row = this.#rows;
    if ((row & SLOT_MASK) === 0) this.#pages.push(new Page());
    this.#rows = row + 1;
    return row;
  }

  /** Makes room for `id` in the table of ids: `false` when it is too far from the others, or already there. */
  #index(id: number): boolean {
    if (this.#size === 0) {
      if (this.#rowOfId.length === 0) this.#rowOfId = new Int32Array(1024);
      this.#rowOfId.fill(0);
      this.#base = id;
    }
    if (id < this.#base || id >= this.#base + this.#rowOfId.length) {
      const low = Math.min(this.#base, id);
      const needed = Math.max(this.#base + this.#rowOfId.length - 1, id) - low + 1;
      if (needed > Math.max(MIN_ID_SPAN, 4 * this.#size)) return false;
      const length = Math.max(needed, this.#rowOfId.length * 2);
      const wider = new Int32Array(length);
      wider.set(this.#rowOfId, this.#base - low);
      this.#rowOfId = wider;
      this.#base = low;
    }
    return this.#rowOfId[id - this.#base] === 0;
  }

  #originNumber(origin: string): number {
    const known = this.#originIndex.get(origin);
    if (known !== undefined) return known;
    this.#origins.push(origin);
    this.#originIndex.set(origin, this.#origins.length - 1);
    return this.#origins.length - 1;
  }

  #write(page: Page, slot: number, text: string): void {
    let wide = false;
    for (let i = 0; i < text.length && !wide; i++) wide = text.charCodeAt(i) > 0xff;
    const bytes = wide ? text.length * 2 : text.length;
    // A wide text starts at an even byte, where a Uint16Array may view it.
    let start = wide ? (this.#tailUsed + 1) & ~1 : this.#tailUsed;
    if (start + bytes > CHUNK_BYTES) {
      const last = this.#chunks.length - 1;
      // The chunk being left may already be empty: nothing else will free it.
      if (last >= 0 && this.#liveBytes[last] === 0) this.#chunks[last] = null;
      this.#chunks.push(new Uint8Array(CHUNK_BYTES));
      this.#liveBytes.push(0);
      start = 0;
    }
    const chunk = this.#chunks.length - 1;
    const into = this.#chunks[chunk]!;
    if (wide) {
      const units = new Uint16Array(into.buffer, into.byteOffset + start, text.length);
      for (let i = 0; i < text.length; i++) units[i] = text.charCodeAt(i);
    } else {
      for (let i = 0; i < text.length; i++) into[start + i] = text.charCodeAt(i);
    }
    if (wide) page.flags[slot] = page.flags[slot]! | WIDE;
    page.chunks[slot] = chunk;
    page.starts[slot] = start;
    page.lengths[slot] = text.length;
    this.#liveBytes[chunk] = this.#liveBytes[chunk]! + bytes;
    this.#tailUsed = start + bytes;
  }
}
