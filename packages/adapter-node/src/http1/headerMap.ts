import * as E from 'fp-ts/lib/Either.js';

/**
 * Fields of one value, never a list (RFC 9110 §5.3: only a list may be sent as several field lines), among those
 * rdl reads: joined, two `Location: /f` became the URL `/f,%20/f`, two equal ETags a value matching neither.
 */
const SINGLE_VALUE_FIELDS: ReadonlySet<string> = new Set([
  'content-disposition',
  'content-length',
  'content-md5',
  'content-range',
  'content-type',
  'date',
  'etag',
  'last-modified',
  'location',
  'retry-after',
  'x-oss-hash-crc64ecma',
]);

/**
 * A response head's fields as both transports pass them on, from each name (lower-cased) with the values of its
 * field lines in order: a list field's values joined with `, ` (RFC 9110 §5.3); a field of one value sent again
 * with the same value counts once, with another it is `Left` with why (R36: which of them the server meant cannot
 * be told, as Chrome refuses two different `Location`s). Made with `fromEntries`, so that a field named `__proto__`
 * is an own property and cannot reach the prototype.
 */
export const headerMapOf = (
  fields: Iterable<readonly [string, readonly string[]]>,
): E.Either<string, Record<string, string>> => {
  const entries: [string, string][] = [];
  for (const [name, values] of fields) {
    if (!SINGLE_VALUE_FIELDS.has(name)) {
      entries.push([name, values.join(', ')]);
      continue;
    }
    const first = values[0] ?? '';
    const other = values.find((value) => value !== first);
    if (other !== undefined)
      return E.left(`two different ${name} fields: ${shown(first)} and ${shown(other)}`);
    entries.push([name, first]);
  }
  return E.right(Object.fromEntries(entries));
};

const shown = (value: string): string => JSON.stringify(value.slice(0, 80));
