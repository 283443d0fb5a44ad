#!/usr/bin/env -S node --min-semi-space-size=4
// The `rdl` command: the CLI bundled into one file by `pnpm build` (scripts/bundleCli.mjs), so that it starts fast.
import { setFlagsFromString } from 'node:v8';

// The command owns its process (the library never sets its host's flags): V8's young generation stays at its
// first size instead of doubling while downloads run. With 16 downloads at once most of what they allocate lives
// for one chunk or one answer, and a young generation grown to 16 MiB a half only held that garbage longer: a list
// of 1000 small files peaked at 126–136 MiB RSS, with the growth held 105–110 MiB, in the same time (`pnpm bench`,
// lists). V8 reads this flag each time it would grow the space, so setting it now still counts. The first size is
// the shebang's 4 MiB (V8's own is 1 MiB, and it can only be given as node starts: the launcher npm or pnpm writes
// for the command passes the shebang's flags on). At 1 MiB the young generation was collected some 440 times over
// that list, 250 ms in all, copying the same live downloads each time; at 4 MiB some 100 times, 100 ms, and the
// peak RSS no higher. `node bin/rdl.js` without the flag runs the same, collecting more often.
setFlagsFromString('--semi-space-growth-factor=1');

const { main } = await import('../dist/cli/rdl.js');
await main();
