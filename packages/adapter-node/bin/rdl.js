#!/usr/bin/env node
// The `rdl` command: the compiled CLI in dist/ (run `pnpm build` first).
import { main } from '../dist/cli/main.js';

await main();
