import type { ByteRange } from '../model/checkpoint.js';

/**
 * Sets of half-open byte ranges `[start, end)`, kept sorted, disjoint and merged: the shape `Checkpoint.ranges`
 * has. Every function returns a new array and never mutates its input.
 */

/** Adds `range` to `ranges`, merging overlapping and adjacent ranges. An empty range (`end <= start`) is ignored. */
export const addRange = (ranges: readonly ByteRange[], range: ByteRange): ByteRange[] => {
  let [start, end] = range;
  if (end <= start) return ranges.map((r) => [r[0], r[1]] as const);
  const out: ByteRange[] = [];
  let placed = false;
  for (const r of ranges) {
    if (r[1] < start) {
      out.push([r[0], r[1]]);
    } else if (r[0] > end) {
      if (!placed) {
        out.push([start, end]);
        placed = true;
      }
      out.push([r[0], r[1]]);
    } else {
      start = Math.min(start, r[0]);
      end = Math.max(end, r[1]);
    }
  }
  if (!placed) out.push([start, end]);
  return out;
};

/** The length of the range that starts at byte 0, else 0: the bytes a single stream can resume after. */
export const prefixLength = (ranges: readonly ByteRange[]): number => {
  const first = ranges[0];
  return first !== undefined && first[0] === 0 ? first[1] : 0;
};

/** The part of `ranges` below `size`: what a part file of `size` bytes can really hold (R21). */
export const clipRanges = (ranges: readonly ByteRange[], size: number): ByteRange[] => {
  const out: ByteRange[] = [];
  for (const [start, end] of ranges) {
    if (start >= size) break;
    out.push([start, Math.min(end, size)]);
  }
  return out;
};

/** The number of bytes the ranges cover. */
export const coveredBytes = (ranges: readonly ByteRange[]): number =>
  ranges.reduce((sum, [start, end]) => sum + (end - start), 0);

/** The ranges of `[0, total)` not covered by `ranges`, in order. */
export const missingRanges = (ranges: readonly ByteRange[], total: number): ByteRange[] => {
  const out: ByteRange[] = [];
  let at = 0;
  for (const [start, end] of ranges) {
    if (start >= total) break;
    if (start > at) out.push([at, start]);
    at = Math.max(at, end);
  }
  if (at < total) out.push([at, total]);
  return out;
};

/**
 * Whether `ranges` is a set a checkpoint may hold: safe non-negative integers, each range non-empty, sorted and not
 * overlapping (adjacent ranges are allowed: `addRange` merges them), and none past `total` when it is known.
 */
export const isValidRangeSet = (ranges: readonly ByteRange[], total: number | null): boolean => {
  let previousEnd = 0;
  for (const range of ranges) {
    if (!Array.isArray(range) || range.length !== 2) return false;
    const [start, end] = range;
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end)) return false;
    if (start < previousEnd || end <= start) return false;
    if (total !== null && end > total) return false;
    previousEnd = end;
  }
  return true;
};
