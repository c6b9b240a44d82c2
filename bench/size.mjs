// Benchmark 5: bundle size. Runs size-limit (esbuild, minified, brotli) on the budgets that CI
// enforces (/.size-limit.json: each package's entry, peers excluded) and on bench/size-report.json
// (what an app really ships: a client together with core, or one import). The budgets are gated by
// `pnpm size`; here they are only measured and reported.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { emit, parseArgs } from './lib/common.mjs';

const args = parseArgs();
const root = fileURLToPath(new URL('..', import.meta.url));
// size-limit (a root devDependency) exports no bin path, so its file is used as installed.
const bin = `${root}node_modules/size-limit/bin.js`;

function sizeLimit(config) {
  // size-limit finds its esbuild preset through the root package.json, so it runs from the root.
  const run = spawnSync(process.execPath, [bin, '--json', ...(config ? ['--config', config] : [])], {
    cwd: root,
    encoding: 'utf8',
  });
  const start = run.stdout.indexOf('[');
  if (start < 0) throw new Error(`size-limit printed no JSON:\n${run.stdout}\n${run.stderr}`);
  return JSON.parse(run.stdout.slice(start));
}

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
