import { realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
/** vitest's own folder, where its `@vitest/expect` (and that package's `chai`) resolve. */
const vitestDir = realpathSync(dirname(createRequire(import.meta.url).resolve('vitest/package.json')));

/** `vitest` is the shim; the shim's `@vitest/expect` and `chai` are the ones vitest itself runs on. */
const vitestShim: Plugin = {
  name: 'vitest-shim',
  setup(on) {
    on.onResolve({ filter: /^vitest$/ }, () => ({ path: join(here, 'vitestShim.mjs') }));
    on.onResolve({ filter: /^(@vitest\/expect|chai)$/ }, async (args) => {
      // esbuild's own resolution, asked again from here, comes back through this hook: let it through then.
      if (args.pluginData === vitestShim) return undefined;
      const expectDir = realpathSync(join(vitestDir, '..', '@vitest', 'expect'));
      const resolveDir = args.path === 'chai' ? expectDir : vitestDir;
      const found = await on.resolve(args.path, { kind: args.kind, resolveDir, pluginData: vitestShim });
      return found.errors.length > 0 ? { errors: found.errors } : { path: found.path };
    });
  },
};

/**
 * Bundles contractRunner.mjs (the package's storage and checkpoint contract test files, and what they import) into
 * one ES module at `outfile` that any runtime with Node's built-ins runs as it is.
 */
export const bundleContracts = async (outfile: string): Promise<void> => {
  await build({
    entryPoints: [join(here, 'contractRunner.mjs')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'warning',
    plugins: [vitestShim],
    // CommonJS packages inside an ES module bundle call `require` for Node's built-ins.
    banner: {
      js: "import { createRequire as rdlCreateRequire } from 'node:module';\nconst require = rdlCreateRequire(import.meta.url);",
    },
  });
};
