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
  [0x302a, 0x302d],
  [0x3099, 0x309a],
  [0xfe00, 0xfe0f],
  [0xfe20, 0xfe2f],
];

/**
 * Two columns each: the characters Unicode's East Asian Width gives W (wide, emoji presentation included: 🚀, ✅,
 * ⚡, ⌚, 🈚) or F (fullwidth), as of Unicode 14, but combining marks; and whole blocks whose characters to come are
 * wide too (CJK ideographs, planes 2 and 3, the emoji blocks).
 */
const WIDE: readonly (readonly [number, number])[] = [
  [0x1100, 0x115f],
  [0x231a, 0x231b],
  [0x2329, 0x232a],
  [0x23e9, 0x23ec],
  [0x23f0, 0x23f0],
  [0x23f3, 0x23f3],
  [0x25fd, 0x25fe],
  [0x2614, 0x2615],
  [0x2648, 0x2653],
  [0x267f, 0x267f],
  [0x2693, 0x2693],
  [0x26a1, 0x26a1],
  [0x26aa, 0x26ab],
  [0x26bd, 0x26be],
  [0x26c4, 0x26c5],
  [0x26ce, 0x26ce],
  [0x26d4, 0x26d4],
  [0x26ea, 0x26ea],
  [0x26f2, 0x26f3],
  [0x26f5, 0x26f5],
  [0x26fa, 0x26fa],
  [0x26fd, 0x26fd],
  [0x2705, 0x2705],
  [0x270a, 0x270b],
  [0x2728, 0x2728],
  [0x274c, 0x274c],
  [0x274e, 0x274e],
  [0x2753, 0x2755],
  [0x2757, 0x2757],
  [0x2795, 0x2797],
  [0x27b0, 0x27b0],
  [0x27bf, 0x27bf],
  [0x2b1b, 0x2b1c],
  [0x2b50, 0x2b50],
  [0x2b55, 0x2b55],
  [0x2e80, 0x2e99],
  [0x2e9b, 0x2ef3],
  [0x2f00, 0x2fd5],
  [0x2ff0, 0x2ffb],
  [0x3000, 0x3029],
  [0x302e, 0x303e],
  [0x3041, 0x3096],
  [0x309b, 0x30ff],
  [0x3105, 0x312f],
  [0x3131, 0x318e],
  [0x3190, 0x31e3],
  [0x31f0, 0x321e],
  [0x3220, 0x3247],
  [0x3250, 0x4dbf],
  [0x4e00, 0xa48c],
  [0xa490, 0xa4c6],
  [0xa960, 0xa97c],
  [0xac00, 0xd7a3],
  [0xf900, 0xfaff],
  [0xfe10, 0xfe19],
  [0xfe30, 0xfe52],
  [0xfe54, 0xfe66],
  [0xfe68, 0xfe6b],
  [0xff01, 0xff60],
  [0xffe0, 0xffe6],
  [0x16fe0, 0x16fe3],
  [0x16ff0, 0x16ff1],
  [0x17000, 0x187f7],
  [0x18800, 0x18cd5],
  [0x18d00, 0x18d08],
  [0x1aff0, 0x1aff3],
  [0x1aff5, 0x1affb],
  [0x1affd, 0x1affe],
  [0x1b000, 0x1b122],
  [0x1b150, 0x1b152],
  [0x1b164, 0x1b167],
  [0x1b170, 0x1b2fb],
  [0x1f004, 0x1f004],
  [0x1f0cf, 0x1f0cf],
  [0x1f18e, 0x1f18e],
  [0x1f191, 0x1f19a],
  [0x1f200, 0x1f202],
  [0x1f210, 0x1f23b],
  [0x1f240, 0x1f248],
  [0x1f250, 0x1f251],
  [0x1f260, 0x1f265],
  [0x1f300, 0x1f64f],
  [0x1f680, 0x1f6c5],
  [0x1f6cc, 0x1f6cc],
  [0x1f6d0, 0x1f6d2],
  [0x1f6d5, 0x1f6d7],
  [0x1f6dd, 0x1f6df],
  [0x1f6eb, 0x1f6ec],
  [0x1f6f4, 0x1f6fc],
  [0x1f7e0, 0x1f7eb],
  [0x1f7f0, 0x1f7f0],
  [0x1f900, 0x1f9ff],
  [0x1fa70, 0x1faff],
  [0x20000, 0x2fffd],
  [0x30000, 0x3fffd],
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
