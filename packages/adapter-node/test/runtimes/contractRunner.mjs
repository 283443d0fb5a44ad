// Core's storage and checkpoint contract suites against FsStorage and FileCheckpointStore: the package's own
// contract test files, run outside vitest (`vitest` is vitestShim.mjs in the bundle runtimes.test.ts makes).
// One JSON line a case on stdout; `--list` prints the names only.
import '../fsStorage.contract.test.ts';
import '../fileCheckpointStore.contract.test.ts';
import { caseNames, runCases } from './vitestShim.mjs';

const say = (line) => process.stdout.write(`${JSON.stringify(line)}\n`);
if (process.argv.includes('--list')) for (const name of caseNames()) say({ name });
else await runCases(say);
