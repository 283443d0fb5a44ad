#!/usr/bin/env node
// The `rdl` command: the CLI bundled into one file by `pnpm build` (scripts/bundleCli.mjs), so that it starts fast.
import { main } from '../dist/cli/rdl.js';

await main();
