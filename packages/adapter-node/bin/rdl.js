#!/usr/bin/env node
// The `rdl` command: the CLI bundled into one file by `pnpm build` (scripts/bundleCli.mjs), so that it starts fast.
import { setFlagsFromString } from 'node:v8';

// The command owns its process (the library never sets its host's flags): V8's young generation stays at its
// first size instead of doubling while downloads run. With 16 downloads at once most of what they allocate lives
// for one chunk or one answer, and a young generation grown to 16 MiB a half only held that garbage longer: a list
// of 1000 small files peaked at 126–136 MiB RSS, with the growth held 105–110 MiB, in the same time (`pnpm bench`,
// lists). V8 reads this flag each time it would grow the space, so setting it now still counts.
setFlagsFromString('--semi-space-growth-factor=1');

const { main } = await import('../dist/cli/rdl.js');
await main();
