import { describe, expect, it } from 'vitest';

// Core must run the same in Node, a page, a worker and a test with a hand-driven clock: time, randomness, HTTP and
// storage come in through ports. The compiler proves the absence of Node and DOM types (tsconfig: lib ES2022,
// types []) and Biome forbids the platform globals in src/; this test catches what both let through.

// Vite (under vitest) reads the sources as text; core's tsconfig has no platform types, so the API is named here.
declare global {
  interface ImportMeta {
    glob(pattern: string, options: { query: '?raw'; import: 'default'; eager: true }): Record<string, string>;
  }
}
const sources = import.meta.glob('../src/**/*.ts', { query: '?raw', import: 'default', eager: true });

/** The code of a file without its comments, so that a doc comment may name what the code must not do. */
const codeOf = (text: string): string =>
  text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');

const forbidden: ReadonlyArray<readonly [string, RegExp]> = [
  ['Date.now()', /\bDate\.now\s*\(/],
  ['new Date() without an argument', /\bnew Date\s*\(\s*\)/],
  ['Math.random()', /\bMath\.random\s*\(/],
  ['performance', /\bperformance\./],
  ['a node: import', /from\s+['"]node:/],
  ['require()', /\brequire\s*\(/],
  ['fetch()', /(?<![.\w])fetch\s*\(/],
  // A call, not the declaration of a Clock method (whose parameters carry types).
  ['a platform timer', /(?<![.\w])(setTimeout|setInterval|setImmediate|queueMicrotask)\s*\((?![^)]*:)/],
  ['globalThis', /\bglobalThis\b/],
];

describe('core is pure', () => {
  // The contract suites in src/testing run under vitest, in Node or a browser: they are test code.
  const files = Object.entries(sources).filter(([path]) => !path.includes('/src/testing/'));

  it('has source files to check', () => {
    expect(files.length).toBeGreaterThan(20);
  });

  it.each(forbidden)('no file of src/ uses %s: it comes through a port', (_name, pattern) => {
    const offenders = files.filter(([, text]) => pattern.test(codeOf(text))).map(([path]) => path);
    expect(offenders).toEqual([]);
  });

  it('the patterns catch what they name (a planted use is found)', () => {
    const planted =
      'const t = Date.now(); const r = Math.random(); setTimeout(f, 1); import x from "node:fs";';
    const caught = forbidden.filter(([, pattern]) => pattern.test(planted)).map(([name]) => name);
    expect(caught).toEqual(['Date.now()', 'Math.random()', 'a node: import', 'a platform timer']);
  });
});
