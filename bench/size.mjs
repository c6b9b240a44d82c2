// Benchmark 5: bundle size. Runs size-limit (esbuild, minified, brotli) on the budgets that CI
// enforces (/.size-limit.json: each package's entry, peers excluded) and on bench/size-report.json
// (what an app really ships: a client together with core, or one import). The budgets are gated by
// `pnpm size`; here they are only measured and reported.
import { readFileSync } from 'node:fs';
import { root, runSizeLimit as sizeLimit } from '../scripts/lib/size-limit.mjs';
import { emit, parseArgs } from './lib/common.mjs';

const args = parseArgs();

const budgets = JSON.parse(readFileSync(`${root}.size-limit.json`, 'utf8'));
const gated = sizeLimit().map((entry, i) => ({
  name: entry.name,
  path: budgets[i]?.path,
  ignore: budgets[i]?.ignore ?? [],
  size: entry.size,
  limit: entry.sizeLimit,
  passed: entry.passed,
  ratio: entry.sizeLimit ? Number((entry.size / entry.sizeLimit).toFixed(3)) : null,
}));
const report = sizeLimit('bench/size-report.json').map((entry) => ({ name: entry.name, size: entry.size }));
emit(args, {
  benchmark: 'size',
  quick: args.quick,
  gated,
  report,
  goals: Object.fromEntries(gated.map((g) => [g.name.split(' ')[0], g.passed])),
});
