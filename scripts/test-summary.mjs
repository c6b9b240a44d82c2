#!/usr/bin/env node
// Prints the one closing line CI reads ("N passed, N failed, N skipped") from vitest's JSON report,
// and exits 1 when a test failed, a suite could not run, no test ran at all, or a program the tests
// need (chromium, redis-server: scripts/lib/services.mjs) is missing, which counts as a failure and
// is said loudly above the line.
import { existsSync, readFileSync } from 'node:fs';
import { mutationSummaryLines } from './lib/mutation.mjs';
import { missingServices } from './lib/services.mjs';

const file = process.argv[2] ?? 'test-results.json';
const missing = missingServices();
const loud = () => {
  for (const s of missing) {
    console.log(
      `MISSING SERVICE: ${s.name} is not installed, so ${s.usedBy} could not pass. ` +
        `Install Debian's ${s.debian} (apt-get install -y ${s.debian}; pnpm test does it when it can) or set ${s.env}.`,
    );
  }
};
if (!existsSync(file)) {
  console.log(`test-summary: ${file} not found (the test run crashed before reporting)`);
  loud();
  console.log(`0 passed, ${1 + missing.length} failed`);
  process.exit(1);
}
const report = JSON.parse(readFileSync(file, 'utf8'));
const passed = report.numPassedTests ?? 0;
const failedTests = report.numFailedTests ?? 0;
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
// A suite that fails to load (syntax error, missing import) has no failed *test*; count it as a failure.
const failedSuites = (report.testResults ?? []).filter(
  (s) => s.status === 'failed' && (s.assertionResults ?? []).length === 0,
).length;
const failed = failedTests + failedSuites + missing.length;
loud();
// Each rule file's mutation score, when `pnpm mutation` measured the files as they are (CI runs it first),
// from the folder it runs in (pnpm test runs it at the repository's root).
for (const line of mutationSummaryLines(`${process.cwd()}/`)) console.log(line);
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
