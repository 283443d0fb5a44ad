import type { ByteRange } from '../model/checkpoint.js';
import { addRange, missingRanges } from './byteRanges.js';

/**
 * One connection of a segmented download: it fetches `[start, end)` and has received `[start, next)` of it.
 * `bytesPerSecond` is its measured speed, `null` until it has one.
 */
export interface Lane {
  readonly id: number;
  readonly start: number;
  readonly next: number;
  readonly end: number;
  readonly bytesPerSecond: number | null;
}

/** What an idle connection does next. */
export type Assignment =
  /** Fetch `[start, end)`, which nobody holds or fetches. */
  | { readonly _tag: 'Gap'; readonly start: number; readonly end: number }
  /** `lane` gives up `[at, end)`: its end moves to `at`, and the idle connection fetches the rest. */
  | { readonly _tag: 'Split'; readonly lane: number; readonly at: number; readonly end: number }
  /** Nothing is left that is worth a connection. */
  | { readonly _tag: 'None' };

export interface PlanInput {
  readonly total: number;
  /** The bytes already on storage (the checkpoint's ranges, and what lanes that ended wrote). */
  readonly held: readonly ByteRange[];
  readonly lanes: readonly Lane[];
  /** A split leaves at least this much on each side, so that segments do not get tiny. */
  readonly minSplitBytes: number;
  /** The round trip of a request (its least time to first byte so far), `null` or absent until one is known. */
  readonly rttMs?: number | null;
}

const remaining = (lane: Lane): number => lane.end - lane.next;

const median = (values: readonly number[]): number | null => {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
};

/**
 * A range being fetched is split only if its owner would need `MIN_SPLIT_SECONDS`, and `SPLIT_RTTS` round trips,
 * or more for the rest at its speed: a new request costs a round trip and a slow start, and the bytes already on
 * their way past the cut (about a round trip of them, and the socket buffers) are lost, so a fast lane ends a short
 * rest sooner than a split would.
 */
export const MIN_SPLIT_SECONDS = 0.25;
export const SPLIT_RTTS = 8;

/** The least time the rest of a lane's range must take at its speed for a split of it to be worth its cost. */
export const splitWorthSeconds = (rttMs: number | null | undefined): number =>
  Math.max(MIN_SPLIT_SECONDS, (SPLIT_RTTS * (rttMs ?? 0)) / 1000);

/** A lane slower than this share of the median of the others gives up the rest of its range (the slow tail). */
export const SLOW_SHARE = 0.5;

/**
 * What an idle connection does next (R42), in order:
 *
 * - the largest range that nobody holds or fetches, whole (the next idle connection splits it in turn);
 * - else the second half of the largest range still being fetched, when each half keeps at least `minSplitBytes`
 *   and its owner would need `splitWorthSeconds` or more for it at its speed; a lane with no speed yet only when
 *   each half is a whole first piece (`PIECE_FLOOR × minSplitBytes`), far past what a server has already sent
 *   ahead of it (the owner's end moves; aria2 and ipull split only ranges nobody fetches yet);
 * - else, at the very end, the rest of a lane much slower than the others (under `SLOW_SHARE` of the median speed
 *   of the lanes that have one), so that no download waits on one slow connection while others sit idle;
 * - else nothing.
 *
 * A split is decided from what the lane had received when asked; the lane's end moves to `at` only if it has not
 * gone past it meanwhile (`applyAssignment`), so no byte is fetched twice and none is lost.
 */
export const nextAssignment = (input: PlanInput): Assignment => {
  const { total, held, lanes, minSplitBytes } = input;
  let claimed: ByteRange[] = [...held];
  for (const lane of lanes) claimed = addRange(claimed, [lane.start, lane.end]);
  const free = missingRanges(claimed, total);
  let widest: ByteRange | null = null;
  for (const range of free)
    if (widest === null || range[1] - range[0] > widest[1] - widest[0]) widest = range;
  if (widest !== null) return { _tag: 'Gap', start: widest[0], end: widest[1] };

  let largest: Lane | null = null;
  for (const lane of lanes) if (largest === null || remaining(lane) > remaining(largest)) largest = lane;
  if (
    largest !== null &&
    remaining(largest) >= 2 * Math.max(1, minSplitBytes) &&
    (largest.bytesPerSecond === null
      ? remaining(largest) >= 2 * PIECE_FLOOR * Math.max(1, minSplitBytes)
      : remaining(largest) >= splitWorthSeconds(input.rttMs) * largest.bytesPerSecond)
  ) {
    return {
      _tag: 'Split',
      lane: largest.id,
      at: largest.next + Math.ceil(remaining(largest) / 2),
      end: largest.end,
    };
  }

  const speeds = lanes.flatMap((lane) => (lane.bytesPerSecond === null ? [] : [lane.bytesPerSecond]));
  const typical = median(speeds);
  if (typical === null || speeds.length < 2) return { _tag: 'None' };
  let slowest: Lane | null = null;
  for (const lane of lanes) {
    if (lane.bytesPerSecond === null || remaining(lane) <= 0) continue;
    if (lane.bytesPerSecond >= SLOW_SHARE * typical) continue;
    if (slowest === null || (lane.bytesPerSecond ?? 0) < (slowest.bytesPerSecond ?? 0)) slowest = lane;
  }
  if (slowest === null) return { _tag: 'None' };
  return { _tag: 'Split', lane: slowest.id, at: slowest.next, end: slowest.end };
};

/**
 * The lanes after `assignment`, the idle connection's own lane given `id`: a split moves the owner's end to `at`,
 * or to what it has received if that is past `at` (the bytes after it then go to the new lane). `null` when there
 * is nothing left to fetch (`None`, or a split whose owner has meanwhile received everything).
 */
export const applyAssignment = (
  lanes: readonly Lane[],
  assignment: Assignment,
  id: number,
): { readonly lanes: Lane[]; readonly lane: Lane } | null => {
  if (assignment._tag === 'None') return null;
  if (assignment._tag === 'Gap') {
    const lane: Lane = {
      id,
      start: assignment.start,
      next: assignment.start,
      end: assignment.end,
      bytesPerSecond: null,
    };
    return { lanes: [...lanes, lane], lane };
  }
  const owner = lanes.find((lane) => lane.id === assignment.lane);
  if (owner === undefined) return null;
  const at = Math.min(Math.max(assignment.at, owner.next), owner.end);
  if (at >= owner.end) return null;
  const lane: Lane = { id, start: at, next: at, end: owner.end, bytesPerSecond: null };
  return {
    lanes: [...lanes.map((other) => (other.id === owner.id ? { ...other, end: at } : other)), lane],
    lane,
  };
};

/** A request of a lane asks for about this many seconds of its transfer (at least `PIECE_FLOOR` segments' worth). */
export const PIECE_SECONDS = 4;
/** The least a request asks for, in `minSplitBytes`. */
export const PIECE_FLOOR = 4;

/**
 * The end (exclusive) of the next request of a lane that has received up to `next` of its range `[.., end)`: about
 * `PIECE_SECONDS` of its measured speed, at least `PIECE_FLOOR × minSplitBytes`, never past `end`. A lane asks for
 * its range in such pieces on one kept-alive connection, so that a split of its range (R42) rarely lands inside
 * a request in flight: a request cut short wastes what the network already carried past the cut.
 */
export const pieceEnd = (
  next: number,
  end: number,
  bytesPerSecond: number | null,
  minSplitBytes: number,
): number => {
  const piece = Math.max(
    PIECE_FLOOR * Math.max(1, minSplitBytes),
    Math.ceil((bytesPerSecond ?? 0) * PIECE_SECONDS),
  );
  return Math.min(end, next + piece);
};
