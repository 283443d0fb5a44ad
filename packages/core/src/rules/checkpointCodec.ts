import * as E from 'fp-ts/lib/Either.js';
import { type ByteRange, CHECKPOINT_VERSION, type Checkpoint } from '../model/checkpoint.js';
import { addRange, isValidRangeSet, prefixLength } from './byteRanges.js';

/** The checkpoint as JSON text, fields in a fixed order. `decodeCheckpoint` reads it back. */
export const encodeCheckpoint = (c: Checkpoint): string =>
  JSON.stringify({
    version: c.version,
    url: c.url,
    ...(c.source === undefined ? {} : { source: c.source }),
    validators: { etag: c.validators.etag, lastModified: c.validators.lastModified, date: c.validators.date },
    totalLength: c.totalLength,
    ranges: c.ranges.map(([start, end]) => [start, end]),
  });

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const stringOrNull = (value: unknown): value is string | null => value === null || typeof value === 'string';

/**
 * Reads a checkpoint back from untrusted text (R22): torn or non-JSON text, another version, a missing or mistyped
 * field, a total that is not a safe non-negative integer, ranges unsorted, overlapping, empty or past the total are
 * `Left` with a reason. Adjacent ranges are merged. Never throws.
 */
export const decodeCheckpoint = (text: string): E.Either<string, Checkpoint> => {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return E.left('checkpoint is not valid JSON (torn write?)');
  }
  if (!isRecord(raw)) return E.left('checkpoint is not an object');
  if (raw.version !== CHECKPOINT_VERSION)
    return E.left(`unsupported checkpoint version ${String(raw.version)}`);
  if (typeof raw.url !== 'string' || raw.url === '') return E.left('checkpoint url is missing');
  // Absent from the checkpoints written before it was kept: not known then.
  const source = raw.source;
  if (source !== undefined && (typeof source !== 'string' || source === ''))
    return E.left('checkpoint source is malformed');
  const v = raw.validators;
  if (!isRecord(v) || !stringOrNull(v.etag) || !stringOrNull(v.lastModified) || !stringOrNull(v.date)) {
    return E.left('checkpoint validators are malformed');
  }
  const total = raw.totalLength;
  if (total !== null && !(Number.isSafeInteger(total) && (total as number) >= 0)) {
    return E.left(`checkpoint totalLength is not a non-negative integer: ${String(total)}`);
  }
  if (!Array.isArray(raw.ranges)) return E.left('checkpoint ranges are missing');
  const ranges = raw.ranges as ByteRange[];
  if (!isValidRangeSet(ranges, total as number | null)) {
    return E.left('checkpoint ranges are not sorted, disjoint, non-empty integers within the total');
  }
  return E.right({
    version: CHECKPOINT_VERSION,
    url: raw.url,
    ...(source === undefined ? {} : { source }),
    validators: { etag: v.etag, lastModified: v.lastModified, date: v.date },
    totalLength: total as number | null,
    ranges: ranges.reduce<ByteRange[]>((merged, r) => addRange(merged, [r[0], r[1]]), []),
  });
};

/** The bytes a single stream may resume after: the length of the range that starts at 0, else 0. */
export const committedPrefix = (c: Checkpoint): number => prefixLength(c.ranges);

/**
 * The checkpoint with `range` added and merged. A range past a known total is clipped to it, so a checkpoint built
 * this way always decodes.
 */
export const withBytes = (c: Checkpoint, range: ByteRange): Checkpoint => {
  const end = c.totalLength === null ? range[1] : Math.min(range[1], c.totalLength);
  return { ...c, ranges: addRange(c.ranges, [range[0], end]) };
};
