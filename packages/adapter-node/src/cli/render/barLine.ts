/** A piece of text beside a bar; `drop` says which go first when the terminal is too narrow (lower first). */
export interface LinePart {
  readonly text: string;
  /** Absent: always shown (the percent, the connection count). */
  readonly drop?: number;
}

/** What goes on one bar line: an optional name column before the bar, the parts after it. */
export interface BarLine {
  /** The terminal's width in columns. */
  readonly width: number;
  /** Done, from 0 to 1. */
  readonly fraction: number;
  readonly name?: { readonly text: string; readonly min: number; readonly max: number };
  readonly parts: readonly LinePart[];
  readonly bar: { readonly min: number; readonly max: number };
}

const COMPLETE = '\u2588';
const INCOMPLETE = '\u2591';

/**
 * One bar line that fits the terminal: wrapping is off while bars are drawn, so a character past the last column is
 * written over it, and a line too long shows its end garbled (`ETA 0ss`) and loses what comes last (the connection
 * count, R43). The last column is left free; the bar takes what the text leaves, from `bar.min` to `bar.max` cells;
 * when even the shortest bar does not fit, the name column narrows to `name.min`, then the parts that may go are
 * dropped, lowest `drop` first. A terminal narrower than what is always shown gets the shortest line there is.
 * A bar of at most 0 cells is none (a size not known).
 */
export const barLine = (line: BarLine): string => {
  const columns = Math.max(1, line.width - 1);
  let parts = [...line.parts];
  let nameWidth = line.name?.max ?? 0;
  for (;;) {
    const text = parts.map((part) => part.text).join(' | ');
    const used = text.length + 1 + (line.name === undefined ? 0 : nameWidth + 1);
    const room = columns - used;
    const droppable = parts.filter((part) => part.drop !== undefined);
    if (room >= line.bar.min || (droppable.length === 0 && nameWidth <= (line.name?.min ?? 0))) {
      const cells = Math.max(line.bar.min, Math.min(line.bar.max, room));
      const done = Math.round(Math.min(1, Math.max(0, line.fraction)) * cells);
      const bar = COMPLETE.repeat(done) + INCOMPLETE.repeat(cells - done);
      const name = line.name === undefined ? '' : `${fitName(line.name.text, nameWidth)} `;
      return cells === 0 ? `${name}${text}` : `${name}${bar} ${text}`;
    }
    if (line.name !== undefined && nameWidth > line.name.min) {
      nameWidth = Math.max(line.name.min, nameWidth - (line.bar.min - room));
      continue;
    }
    const first = droppable.reduce((a, b) => ((b.drop ?? 0) < (a.drop ?? 0) ? b : a));
    parts = parts.filter((part) => part !== first);
  }
};

/** Combining marks, joiners and variation selectors: drawn over the character before them. */
const ZERO_WIDTH: readonly (readonly [number, number])[] = [
  [0x0300, 0x036f],
  [0x1ab0, 0x1aff],
  [0x1dc0, 0x1dff],
  [0x200b, 0x200d],
  [0x20d0, 0x20ff],
  [0xfe00, 0xfe0f],
  [0xfe20, 0xfe2f],
];

/** East Asian wide and fullwidth characters, and the emoji blocks: two columns each. */
const WIDE: readonly (readonly [number, number])[] = [
  [0x1100, 0x115f],
  [0x2e80, 0x303e],
  [0x3041, 0x33ff],
  [0x3400, 0x4dbf],
  [0x4e00, 0x9fff],
  [0xa000, 0xa4cf],
  [0xac00, 0xd7a3],
  [0xf900, 0xfaff],
  [0xfe30, 0xfe4f],
  [0xff00, 0xff60],
  [0xffe0, 0xffe6],
  [0x1f300, 0x1f64f],
  [0x1f900, 0x1f9ff],
  [0x20000, 0x3fffd],
];

const within = (ranges: readonly (readonly [number, number])[], code: number): boolean =>
  ranges.some(([first, last]) => code >= first && code <= last);

/** The columns a terminal gives one character (a code point): 0, 1 or 2. */
export const columnsOf = (char: string): number => {
  const code = char.codePointAt(0) ?? 0;
  if (within(ZERO_WIDTH, code)) return 0;
  return within(WIDE, code) ? 2 : 1;
};

/**
 * `text` in exactly `width` columns: cut before the first character that would pass them, or padded with spaces. A
 * file name of wide characters (CJK, emoji) takes two columns each, and counting them as one would push the line
 * past the terminal's edge.
 */
const fitName = (text: string, width: number): string => {
  let used = 0;
  let kept = '';
  for (const char of text) {
    const columns = columnsOf(char);
    if (used + columns > width) break;
    used += columns;
    kept += char;
  }
  return kept + ' '.repeat(width - used);
};
