// Bundles the compiled `rdl` command (dist/cli/main.js and everything it imports, @rdl/core and the npm packages
// included) into one file, dist/cli/rdl.js, which bin/rdl.js runs. Node 20 has no compile cache for ES modules:
// resolving and loading ~90 separate modules cost 70 ms of every start (`rdl --help`: 0.17 s against 0.10 s
// bundled), a tenth of a 1 GiB download on loopback.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');

await build({
  entryPoints: [join(packageDir, 'dist/cli/main.js')],
  outfile: join(packageDir, 'dist/cli/rdl.js'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
  // fp-ts's ES modules rather than its CommonJS `lib/`, which core imports so that plain Node ESM loads it: no
  // CommonJS wrappers to run at start, and what the command does not use is left out.
  plugins: [
    {
      name: 'fp-ts-es6',
      setup(build) {
        build.onResolve({ filter: /^fp-ts\/lib\// }, (args) =>
          build.resolve(args.path.replace(/^fp-ts\/lib\//, 'fp-ts/es6/'), {
            kind: args.kind,
            resolveDir: args.resolveDir,
          }),
        );
      },
    },
  ],
  // CommonJS packages inside an ES module bundle call `require` for Node's built-ins.
  banner: {
    js: "import { createRequire as rdlCreateRequire } from 'node:module';\nconst require = rdlCreateRequire(import.meta.url);",
  },
});
