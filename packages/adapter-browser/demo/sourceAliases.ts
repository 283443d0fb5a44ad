import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Alias } from 'vite';

const coreDir = new URL('../../core/', import.meta.url);
const coreExports = (
  JSON.parse(readFileSync(new URL('package.json', coreDir), 'utf8')) as {
    exports: Record<string, { readonly default: string }>;
  }
).exports;

/** Each entry of core's exports map (`.`, `./rules`, `./memory`…) → the TypeScript source its `dist` file is built from. */
const coreSources: Alias[] = Object.entries(coreExports).map(([subpath, target]) => ({
  find: new RegExp(`^@rdl/core${subpath.slice(1).replaceAll('/', '\\/')}$`),
  replacement: fileURLToPath(
    new URL(target.default.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts'), coreDir),
  ),
}));

/**
 * How the demo and the tests load code in the browser: `@rdl/core` and its subpaths from their TypeScript sources
 * (always current, no build needed), and fp-ts's CommonJS `lib/` modules, which core imports so that plain Node can
 * load it, swapped for fp-ts's own ES-module build `es6/`, so vite serves them as they are with no pre-bundling step
 * (which would reload the page under a running test).
 */
export const sourceAliases: Alias[] = [
  ...coreSources,
  { find: /^fp-ts\/lib\/(.*?)(\.js)?$/, replacement: 'fp-ts/es6/$1.js' },
];
