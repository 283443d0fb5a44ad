/** One satisfiable byte range, both ends inclusive and inside the representation. */
export interface SatisfiableRange {
  readonly first: number;
  readonly last: number;
}

/**
 * What a server should do with a request's `Range` header (RFC 9110 §14.1.2, §14.2).
 * - `None`: no header, another unit, or invalid syntax: the header is ignored and the whole body is sent (200).
 * - `Single`/`Multiple`: the satisfiable ranges, clipped to the representation, in the order asked.
 * - `Unsatisfiable`: no range is satisfiable: answer 416 with `Content-Range: bytes *\/length`.
 */
export type RangeSpec =
  | { readonly _tag: 'None' }
  | ({ readonly _tag: 'Single' } & SatisfiableRange)
  | { readonly _tag: 'Multiple'; readonly ranges: readonly SatisfiableRange[] }
  | { readonly _tag: 'Unsatisfiable' };

const none: RangeSpec = { _tag: 'None' };

/** A range-spec as written, before it meets the representation's length. */
type RangeSpecSyntax =
  | { readonly kind: 'int'; readonly first: number; readonly last: number | null }
  | { readonly kind: 'suffix'; readonly length: number };

const digits = /^[0-9]+$/;

const parseSpec = (text: string): RangeSpecSyntax | null => {
  const dash = text.indexOf('-');
  if (dash < 0) return null;
  const left = text.slice(0, dash);
  const right = text.slice(dash + 1);
  if (left === '') return digits.test(right) ? { kind: 'suffix', length: Number(right) } : null;
  if (!digits.test(left)) return null;
  if (right === '') return { kind: 'int', first: Number(left), last: null };
  if (!digits.test(right)) return null;
  const first = Number(left);
  const last = Number(right);
  // RFC 9110 §14.1.1: an int-range whose last-pos is below its first-pos is invalid, which makes the header invalid.
  return last < first ? null : { kind: 'int', first, last };
};

const satisfy = (spec: RangeSpecSyntax, length: number): SatisfiableRange | null => {
  if (spec.kind === 'int') {
    if (spec.first >= length) return null;
    return { first: spec.first, last: spec.last === null ? length - 1 : Math.min(spec.last, length - 1) };
  }
  // A suffix of an empty representation selects nothing a 206 could describe; callers see it as unsatisfiable.
  if (spec.length === 0 || length === 0) return null;
  return { first: Math.max(0, length - spec.length), last: length - 1 };
};

/**
 * Parses a request's `Range` header against a representation of `totalLength` bytes, as a server does
 * (RFC 9110 §14.1.2): `bytes=N-`, `bytes=N-M`, `bytes=-N` and comma-separated lists of them, the unit
 * case-insensitive, optional whitespace around commas, empty list elements skipped. Invalid syntax or another unit
 * gives `None` (the header is ignored); a header with no satisfiable range gives `Unsatisfiable`. On a
 * zero-length representation every range is unsatisfiable (R14).
 */
export const parseRangeHeader = (value: string | undefined, totalLength: number): RangeSpec => {
  if (value === undefined) return none;
  const equals = value.indexOf('=');
  if (equals < 0) return none;
  if (value.slice(0, equals).trim().toLowerCase() !== 'bytes') return none;
  const elements = value
    .slice(equals + 1)
    .split(',')
    .map((element) => element.trim())
    .filter((element) => element !== '');
  if (elements.length === 0) return none;
  const specs: RangeSpecSyntax[] = [];
  for (const element of elements) {
    const spec = parseSpec(element);
    if (spec === null) return none;
    specs.push(spec);
  }
  const ranges = specs
    .map((spec) => satisfy(spec, totalLength))
    .filter((range): range is SatisfiableRange => range !== null);
  const [only, ...rest] = ranges;
  if (only === undefined) return { _tag: 'Unsatisfiable' };
  return rest.length === 0
    ? { _tag: 'Single', first: only.first, last: only.last }
    : { _tag: 'Multiple', ranges };
};
