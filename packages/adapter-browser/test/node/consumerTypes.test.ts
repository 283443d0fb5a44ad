import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * Compiles small consumer projects (test/consumer/) against the built `.d.ts` files of every package, as an
 * application does: `skipLibCheck: false`, `strict`, NodeNext resolution through the packages' exports maps. With
 * the DOM's lib and with @types/node a declaration of ours must clash with neither (a global `URL` in core's
 * declarations was TS2300 against both).
 */
const typescript = createRequire(import.meta.url)('typescript') as typeof ts;
const consumer = (name: string): string => fileURLToPath(new URL(`../consumer/${name}`, import.meta.url));
const typeRoots = [fileURLToPath(new URL('../../node_modules/@types', import.meta.url))];

const diagnosticsOf = (files: readonly string[], options: ts.CompilerOptions): string[] => {
  const program = typescript.createProgram(files.map(consumer), {
    strict: true,
    skipLibCheck: false,
    noEmit: true,
    target: typescript.ScriptTarget.ES2022,
    module: typescript.ModuleKind.NodeNext,
    moduleResolution: typescript.ModuleResolutionKind.NodeNext,
    typeRoots,
    ...options,
  });
  return typescript.getPreEmitDiagnostics(program).map((diagnostic) => {
    const where = diagnostic.file?.fileName.replace(/^.*node_modules\//, '') ?? '';
    return `${where}: ${typescript.flattenDiagnosticMessageText(diagnostic.messageText, ' ')}`;
  });
};

describe('the published declarations, in a consumer project (skipLibCheck: false)', () => {
  it('compile with lib DOM and no Node types: core, its entries, and the browser adapter', () => {
    const lib = ['lib.es2022.d.ts', 'lib.dom.d.ts', 'lib.dom.iterable.d.ts'];
    expect(diagnosticsOf(['core.ts', 'browser.ts'], { lib, types: [] })).toEqual([]);
  });

  it('compile with @types/node and no DOM: core, its entries, and the Node adapter', () => {
    expect(diagnosticsOf(['core.ts', 'node.ts'], { lib: ['lib.es2022.d.ts'], types: ['node'] })).toEqual([]);
  });
});
