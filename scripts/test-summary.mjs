// Sums the vitest JSON reports of every package into one closing line, "N passed, N failed", so that a CI log
// says in one place how many tests ran. Each package's vitest config writes .test-results/<package>.json.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const dir = join(root, '.test-results');
// Every package with tests must have reported: a package whose runner never started is a failure, not a pass.
const expected = readdirSync(join(root, 'packages')).filter((name) =>
  existsSync(join(root, 'packages', name, 'vitest.config.ts')),
);
const missing = expected.filter((name) => !existsSync(join(dir, `${name}.json`)));
if (missing.length > 0) {
  console.error(`no test report from: ${missing.join(', ')}`);
  process.exitCode = 1;
}
let passed = 0;
let failed = 0;
let skipped = 0;
for (const name of readdirSync(dir).filter((file) => file.endsWith('.json'))) {
  const report = JSON.parse(readFileSync(join(dir, name), 'utf8'));
  passed += report.numPassedTests;
  failed += report.numFailedTests;
  skipped += report.numPendingTests + report.numTodoTests;
  console.log(
    `${name.replace(/\.json$/, '')}: ${report.numPassedTests} passed, ${report.numFailedTests} failed`,
  );
}
console.log(
  skipped > 0
    ? `${passed} passed, ${failed} failed, ${skipped} skipped`
    : `${passed} passed, ${failed} failed`,
);
if (failed > 0 || passed === 0) process.exitCode = 1;
