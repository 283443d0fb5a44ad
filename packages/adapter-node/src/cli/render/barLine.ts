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

/** `text` in exactly `width` columns: cut, or padded with spaces. */
const fitName = (text: string, width: number): string => {
  const chars = [...text];
  return chars.length > width ? chars.slice(0, width).join('') : text + ' '.repeat(width - chars.length);
};
