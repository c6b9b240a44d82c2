#!/usr/bin/env node
// `pnpm mutation`: StrykerJS over the files that hold batchwatch's rules (scripts/mutation/stryker.config.mjs),
// in incremental mode against the committed results (scripts/mutation/incremental.json), then a gate:
// every file's mutation score at least its threshold (90%). Prints one line per file and writes
// reports/mutation/scores.json, which the test summary repeats. See TESTING.md.
//
//   pnpm mutation                          incremental: only mutants whose code or tests changed run
//   pnpm mutation --full                   every mutant runs again (rewrites the incremental file)
//   pnpm mutation --mutate <file>[:lines]  only that file (repeatable); the others keep their results
//   pnpm mutation --gate                   no Stryker: gate on the committed results, after checking
//                                          they were made from the files as they are now
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fileScores, MUTATED, scoresTable, sourceHashes, THRESHOLD, withScoresTable } from './lib/mutation.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const config = 'scripts/mutation/stryker.config.mjs';
const incremental = 'scripts/mutation/incremental.json';
const report = 'reports/mutation/mutation.json';
const scoresFile = 'reports/mutation/scores.json';

const args = process.argv.slice(2);
const full = args.includes('--full');
const gateOnly = args.includes('--gate');
const mutate = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--mutate' && args[i + 1]) mutate.push(args[++i]);
  else if (!['--full', '--gate'].includes(args[i])) {
    console.error(`mutation: unknown argument ${args[i]} (use --full, --gate or --mutate <file>)`);
    process.exit(2);
  }
}

const run = (command, argv) =>
  spawnSync(command, argv, { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' }).status;

let source = report;
if (gateOnly) {
  source = incremental;
  const changed = staleFiles(JSON.parse(readFileSync(`${root}${incremental}`, 'utf8')));
  if (changed.length > 0) {
    console.log(`mutation: ${incremental} was made from other versions of: ${changed.join(', ')}`);
    console.log('mutation: run `pnpm mutation` and commit the updated file');
    process.exit(1);
  }
} else {
  // The clients' webhook tests import @batchwatch/core from its dist.
  if (run('pnpm', ['exec', 'turbo', 'run', 'build', '--filter=@batchwatch/core', '--output-logs=errors-only']) !== 0) {
    process.exit(1);
  }
  const stryker = ['exec', 'stryker', 'run', config, '--incremental', '--incrementalFile', incremental];
  if (full) stryker.push('--force');
  // Stryker takes one comma-separated --mutate list.
  if (mutate.length > 0) stryker.push('--mutate', mutate.join(','));
  if (run('pnpm', stryker) !== 0) process.exit(1);
}

const result = JSON.parse(readFileSync(`${root}${source}`, 'utf8'));
const scores = fileScores(result);
mkdirSync(`${root}reports/mutation`, { recursive: true });
writeFileSync(
  `${root}${scoresFile}`,
  `${JSON.stringify({ threshold: THRESHOLD, scores, sources: sourceHashes(root) }, null, 2)}\n`,
);

// TESTING.md's table follows the last run that has every listed file.
if (!gateOnly && MUTATED.every((f) => scores[f]) && existsSync(`${root}TESTING.md`)) {
  const text = readFileSync(`${root}TESTING.md`, 'utf8');
  const updated = withScoresTable(text, scoresTable(scores));
  if (updated !== text) writeFileSync(`${root}TESTING.md`, updated);
}

let failed = 0;
console.log(`\nmutation score per file (threshold ${THRESHOLD}%; from ${source}):`);
for (const file of MUTATED) {
  const s = scores[file];
  if (!s) {
    failed++;
    console.log(`  MISSING  ${file}: no mutants in the report`);
    continue;
  }
  const ok = s.score >= THRESHOLD;
  if (!ok) failed++;
  console.log(
    `  ${ok ? 'ok  ' : 'FAIL'} ${s.score.toFixed(2).padStart(6)}%  ${file}  (${s.killed} killed, ${s.timeout} timeout, ` +
      `${s.survived} survived, ${s.noCoverage} no coverage, ${s.ignored} ignored)`,
  );
}
if (failed > 0) {
  console.log(`mutation: ${failed} file(s) below ${THRESHOLD}%`);
  process.exit(1);
}

/** Files whose source differs from the one the results were made from. */
function staleFiles(results) {
  const stale = [];
  for (const file of MUTATED) {
    const recorded = results.files?.[file]?.source;
    if (!existsSync(`${root}${file}`) || recorded !== readFileSync(`${root}${file}`, 'utf8')) stale.push(file);
  }
  for (const [file, info] of Object.entries(results.testFiles ?? {})) {
    if (!existsSync(`${root}${file}`) || info.source !== readFileSync(`${root}${file}`, 'utf8')) stale.push(file);
  }
  return stale;
}
