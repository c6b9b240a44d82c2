// StrykerJS over the files that hold batchwatch's rules: `pnpm mutation` (scripts/mutation.mjs)
// runs it and gates every file's score. See TESTING.md.
import { MUTATED } from '../lib/mutation.mjs';

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'pnpm',
  testRunner: 'vitest',
  plugins: ['@stryker-mutator/vitest-runner'],
  vitest: { configFile: 'scripts/mutation/vitest.config.mjs', related: true },
  coverageAnalysis: 'perTest',
  mutate: MUTATED,
  // Only what the tests need goes into the sandbox; node_modules are linked, not copied.
  ignorePatterns: [
    '/*',
    '!/package.json',
    '!/tsconfig.base.json',
    '!/scripts',
    '!/specs',
    '/packages/*',
    '!/packages/core',
    '!/packages/supermetrics-client',
    '!/packages/runflow-client',
    '!/packages/check-client',
    'dist',
    'coverage',
  ],
  incrementalFile: 'scripts/mutation/incremental.json',
  // progress-append-only in CI logs; the clear-text table and every survivor at the end.
  reporters: ['clear-text', process.stdout.isTTY ? 'progress' : 'progress-append-only', 'json'],
  clearTextReporter: { reportTests: false, allowEmojis: false },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  tempDirName: '.stryker-tmp',
  concurrency: 2,
  timeoutMS: 10_000,
};
