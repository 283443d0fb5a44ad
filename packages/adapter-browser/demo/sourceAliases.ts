import { fileURLToPath } from 'node:url';
import type { Alias } from 'vite';

const coreSrc = fileURLToPath(new URL('../../core/src/', import.meta.url));

/**
 * How the demo and the tests load code in the browser: `@rdl/core` from its TypeScript source (always current, no
 * build needed), and fp-ts's CommonJS `lib/` modules, which core imports so that plain Node can load it, swapped
 * for fp-ts's own ES-module build `es6/`, so vite serves them as they are with no pre-bundling step (which would
 * reload the page under a running test).
 */
export const sourceAliases: Alias[] = [
  // `@rdl/core/<entry>` is `src/<entry>/index.ts`, as core's exports map says for its dist.
  { find: /^@rdl\/core\/(\w+)$/, replacement: `${coreSrc}$1/index.ts` },
  { find: /^@rdl\/core$/, replacement: `${coreSrc}index.ts` },
  { find: /^fp-ts\/lib\/(.*?)(\.js)?$/, replacement: 'fp-ts/es6/$1.js' },
];
