import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { barLine, columnsOf, type LinePart } from '../src/cli/render/barLine.js';

const part = fc.record(
  {
    text: fc.stringMatching(/^[a-z0-9 .%/|]{1,20}$/),
    drop: fc.integer({ min: 1, max: 4 }),
  },
  { requiredKeys: ['text'] },
);

const line = fc.record({
  width: fc.integer({ min: 1, max: 200 }),
  fraction: fc.double({ min: -0.5, max: 1.5, noNaN: true }),
  // Each text marked with its place, so that none is found inside another.
  parts: fc
    .array(part, { minLength: 1, maxLength: 6 })
    .map((parts) => parts.map((p, i) => ({ ...p, text: `<${i}>${p.text}` }))),
  // Names of narrow, wide (CJK, emoji) and combining characters: a file's name is anyone's.
  named: fc.option(
    fc
      .array(fc.constantFrom('a', 'Z', ' ', '.', '漢', '字', 'ア', '한', '🎉', '\u0301', 'é'), {
        maxLength: 40,
      })
      .map((chars) => chars.join('')),
    { nil: null },
  ),
  bar: fc
    .tuple(fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: 30 }))
    .map(([a, b]) => ({ min: Math.min(a, b), max: Math.max(a, b) })),
});

const cells = (text: string): number => [...text].filter((c) => c === '█' || c === '░').length;

describe('barLine (property)', () => {
  it('R43: a bar line fits the terminal, last column free, whenever what is always shown does; the parts that stay keep their order', () => {
    fc.assert(
      fc.property(line, ({ width, fraction, parts, named, bar }) => {
        const name = named === null ? undefined : { text: named, min: 4, max: 24 };
        const shown = barLine({ width, fraction, parts, bar, ...(name === undefined ? {} : { name }) });
        const kept = parts.filter((p) => p.drop === undefined);
        // The shortest line there is: the name at its least, the shortest bar, the parts that always stay.
        const least =
          (name === undefined ? 0 : name.min + 1) +
          (bar.max === 0 ? 0 : bar.min + 1) +
          kept.map((p) => p.text).join(' | ').length;
        const columns = [...shown].reduce((sum, char) => sum + columnsOf(char), 0);
        expect(columns).toBeLessThanOrEqual(Math.max(width - 1, least));
        // Every part that may not go is there, and those shown come in their order.
        const tail = parts.filter((p) => shown.includes(p.text));
        for (const p of kept) expect(tail).toContain(p);
        let at = 0;
        for (const p of tail) {
          const found = shown.indexOf(p.text, at);
          expect(found).toBeGreaterThanOrEqual(at);
          at = found + p.text.length;
        }
      }),
    );
  });

  it('R28: the bar has between min and max cells, filled in proportion to what is done and never past full', () => {
    fc.assert(
      fc.property(line, ({ width, fraction, parts, bar }) => {
        const shown = barLine({ width, fraction, parts, bar });
        const n = cells(shown);
        expect(n).toBeGreaterThanOrEqual(bar.min);
        expect(n).toBeLessThanOrEqual(bar.max);
        const full = [...shown].filter((c) => c === '█').length;
        expect(full).toBe(Math.round(Math.min(1, Math.max(0, fraction)) * n));
      }),
    );
  });

  it('R43: on 80 columns a download over several connections keeps its count, and drops the ETA before the sizes', () => {
    const parts: LinePart[] = [
      { text: ' 47.9 %' },
      { text: '  736.0 KiB / 1.5 MiB', drop: 2 },
      { text: '   1.2 MiB/s', drop: 3 },
      { text: '16 connections' },
      { text: 'ETA 1s    ', drop: 1 },
    ];
    const shown = barLine({ width: 80, fraction: 0.479, parts, bar: { min: 10, max: 30 } });
    expect(shown).toMatch(
      /^█+░+ {2}47\.9 % \| {3}736\.0 KiB \/ 1\.5 MiB \| {4}1\.2 MiB\/s \| 16 connections$/,
    );
    expect([...shown].length).toBeLessThanOrEqual(79);
    const wide = barLine({ width: 120, fraction: 0.479, parts, bar: { min: 10, max: 30 } });
    expect(cells(wide)).toBe(30);
    expect(wide).toContain('| ETA 1s');
  });

  it('R38: emoji shown in emoji presentation take two columns, from every block East Asian Width makes wide', () => {
    // 🚀 U+1F680, 🛒 U+1F6D2, 🫠 U+1FAE0, ✅ U+2705, ⚡ U+26A1, ⌚ U+231A, 🈚 U+1F21A; then some narrow ones beside them.
    expect(['🚀', '🛒', '🫠', '✅', '⚡', '⌚', '🈚', '\u3000', '＄'].map(columnsOf)).toEqual([
      2, 2, 2, 2, 2, 2, 2, 2, 2,
    ]);
    expect(['✓', '☺', '→', '½', '\u3099'].map(columnsOf)).toEqual([1, 1, 1, 1, 0]);
    const shown = barLine({
      width: 60,
      fraction: 0.5,
      name: { text: '🚀🛒🫠✅⚡⌚🈚🚀🛒🫠✅⚡⌚🈚', min: 12, max: 24 },
      parts: [{ text: ' 50.0 %' }],
      bar: { min: 10, max: 20 },
    });
    // Twelve emoji fill the 24 columns of the name; the line stays within the 59 columns left free.
    expect(shown.startsWith('🚀🛒🫠✅⚡⌚🈚🚀🛒🫠✅⚡ █')).toBe(true);
    expect([...shown].reduce((sum, char) => sum + columnsOf(char), 0)).toBeLessThanOrEqual(59);
  });

  it('R38: a name of wide characters takes two columns each; a combining mark none', () => {
    expect(['a', 'é', '漢', 'ア', '한', '🎉', '\u0301'].map(columnsOf)).toEqual([1, 1, 2, 2, 2, 2, 0]);
    const shown = barLine({
      width: 60,
      fraction: 0.5,
      name: { text: '漢字漢字漢字漢字漢字漢字漢字漢字', min: 12, max: 24 },
      parts: [{ text: ' 50.0 %' }],
      bar: { min: 10, max: 20 },
    });
    // 24 columns of name: twelve of its characters, then the bar.
    expect(shown.startsWith(`${'漢字'.repeat(6)} █`)).toBe(true);
  });
});
