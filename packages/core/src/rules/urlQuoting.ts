/**
 * What closes a URL a line of text quotes, before its authority ends (R37): each character that does, with the run of
 * `\` that makes it a character of the URL instead (`undefined`: none does). A URL begun right after a quote is closed
 * by that quote, and one escaped as that quote was, with one more `\`, is the URL's (`"https://ghp_ab\"cd@h"`); a URL
 * in a JSON string is closed by its `"`, and `\"` is the URL's; in a JSON string inside one, `\"` closes it and
 * `\\\"` is the URL's; a URL begun after `<` is closed by `>`.
 */
export type Closers = ReadonlyMap<string, number | undefined>;

/** A `"` string's reading of a text, one character at a time: whether one is open, and the next character escaped. */
interface StringReading {
  open: boolean;
  escaped: boolean;
}

/** Reads `char` into `reading`: whether it is a character of the string's content (decoded: `\"` gives `"`). */
const read = (reading: StringReading, char: string): boolean => {
  if (reading.escaped) {
    reading.escaped = false;
    return true;
  }
  if (char === '"') reading.open = !reading.open;
  else if (reading.open && char === '\\') reading.escaped = true;
  else return reading.open;
  return false;
};

/**
 * How deep in JSON strings each position asked about is, in increasing order: 0 outside any, 1 in a `"` string, 2 in
 * a string of the JSON text that string holds (a JSON line quoted in a message of another). One pass over the text,
 * however many positions are asked about: a lexer, the second reading what the first decodes.
 */
export const stringDepthAt = (text: string): ((position: number) => 0 | 1 | 2) => {
  let at = 0;
  const outer: StringReading = { open: false, escaped: false };
  const inner: StringReading = { open: false, escaped: false };
  return (position) => {
    for (; at < position; at += 1) {
      const char = text[at] ?? '';
      if (read(outer, char)) read(inner, char);
      else if (!outer.open) Object.assign(inner, { open: false, escaped: false });
    }
    return outer.open ? (inner.open ? 2 : 1) : 0;
  };
};

/**
 * What closes the URL starting at `start` (`Closers`), `depth` strings deep there (`stringDepthAt`): the `'`, `"` or
 * `<` just before it, and the `"` of the JSON string it is in (a sentence of a JSON text quoting the URL:
 * `{"note":"see https://h","to":"bob@x"}`).
 */
export const closersAt = (text: string, start: number, depth: 0 | 1 | 2): Closers => {
  const closers = new Map<string, number | undefined>(depth === 0 ? [] : [['"', depth === 1 ? 1 : 3]]);
  const before = text[start - 1] ?? '';
  if (before === '<') closers.set('>', undefined);
  else if (before === '"' || before === "'") {
    let escapes = 0;
    while (text[start - 2 - escapes] === '\\') escapes += 1;
    closers.set(before, 2 * escapes + 1);
  }
  return closers;
};
