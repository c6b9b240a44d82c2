// `pnpm bench [--quick] [--only a,b]`: runs every benchmark in its own process, then writes
// BENCHMARKS.md (tables and what they mean) and bench/results.json (the raw numbers). A quick run
// writes to .bench-tmp/ instead, so it never overwrites the committed full results; `--only`
// replaces just the benchmarks it ran and the report says when they were re-run.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { log, parseArgs } from './lib/common.mjs';
import { renderReport, summaryLines } from './lib/report.mjs';

const args = parseArgs();
const quick = args.quick;
const here = fileURLToPath(new URL('.', import.meta.url));
const root = fileURLToPath(new URL('..', import.meta.url));
const tmp = `${root}.bench-tmp/`;
mkdirSync(tmp, { recursive: true });

const BENCHMARKS = [
  { key: 'polling', script: 'polling.mjs', minutes: quick ? 3.5 : 15 },
  { key: 'overhead', script: 'overhead.mjs', minutes: quick ? 1 : 4 },
  { key: 'scale', script: 'scale.mjs', minutes: quick ? 1.5 : 8 },
  { key: 'react', script: 'react.mjs', minutes: quick ? 1 : 4 },
  { key: 'size', script: 'size.mjs', minutes: 1 },
  // Written by the results-streaming work; run when it is there. It gets the same flags and
  // writes its JSON to --out (see bench/README.md).
  { key: 'resultsStream', script: 'results-stream.mjs', minutes: quick ? 1 : 5, optional: true },
  // @batchwatch/bullmq: needs redis-server (Debian package); 100,000 jobs in the full run.
  { key: 'fleet', script: 'fleet.mjs', minutes: quick ? 2 : 15 },
];

const only = args.only ? new Set(String(args.only).split(',')) : undefined;

// `--render`: rewrite BENCHMARKS.md from bench/results.json without running anything.
if (args.render) {
  const raw = JSON.parse(readFileSync(`${here}results.json`, 'utf8'));
  writeFileSync(`${root}BENCHMARKS.md`, renderReport(raw));
  console.log(summaryLines(raw).join('\n'));
  process.exit(0);
}

function runOne({ key, script, minutes }) {
  const out = `${tmp}${key}${quick ? '.quick' : ''}.json`;
  const argv = [`${here}${script}`, ...(quick ? ['--quick'] : []), '--out', out];
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, argv, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
    const timer = setTimeout(() => {
      log(`bench: ${key} took longer than ${minutes} min, stopping it`);
      child.kill('SIGKILL');
    }, minutes * 60_000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const seconds = Math.round((Date.now() - started) / 100) / 10;
      if (code === 0 && existsSync(out)) {
        try {
          resolve({ ...JSON.parse(readFileSync(out, 'utf8')), seconds });
          return;
        } catch (error) {
          resolve({ benchmark: key, error: `unreadable result: ${error.message}`, seconds });
          return;
        }
      }
      resolve({ benchmark: key, error: `exited with ${signal ?? code}`, seconds });
    });
  });
}

const machine = {
  cpu: os.cpus()[0]?.model ?? 'unknown',
  cores: os.cpus().length,
  memoryGiB: Math.round(os.totalmem() / 2 ** 30),
  os: `${os.type()} ${os.release()} ${os.arch()}`,
  node: process.version,
  date: new Date().toISOString(),
  loadAverageAtStart: os.loadavg().map((v) => Number(v.toFixed(2))),
};

/**
 * A full `--only` run keeps the other benchmarks' results of the committed run (the whole report is
 * rewritten from bench/results.json) and records when each benchmark it ran was re-run alone.
 */
function mergeRun(run) {
  if (quick || !only || !existsSync(`${here}results.json`)) return run;
  const previous = JSON.parse(readFileSync(`${here}results.json`, 'utf8'));
  const { date, loadAverageAtStart, loadAverageAtEnd } = run.machine;
  const reruns = Object.fromEntries(
    Object.keys(run.results).map((key) => [key, { date, loadAverageAtStart, loadAverageAtEnd }]),
  );
  return {
    ...previous,
    results: { ...previous.results, ...run.results },
    reruns: { ...previous.reruns, ...reruns },
  };
}

const results = {};
const startedAt = Date.now();
for (const bench of BENCHMARKS) {
  if (only && !only.has(bench.key)) continue;
  if (bench.optional && !existsSync(`${here}${bench.script}`)) continue;
  log(`\nbench: ${bench.key}${quick ? ' (quick)' : ''}`);
  results[bench.key] = await runOne(bench);
  log(
    `bench: ${bench.key} done in ${results[bench.key].seconds} s${results[bench.key].error ? ` (${results[bench.key].error})` : ''}`,
  );
}
machine.loadAverageAtEnd = os.loadavg().map((v) => Number(v.toFixed(2)));
machine.totalSeconds = Math.round((Date.now() - startedAt) / 1000);

const raw = mergeRun({ quick, machine, results });
const markdown = renderReport(raw);
const [mdPath, jsonPath] = quick
  ? [`${tmp}BENCHMARKS.quick.md`, `${tmp}results.quick.json`]
  : [`${root}BENCHMARKS.md`, `${here}results.json`];
writeFileSync(mdPath, markdown);
writeFileSync(jsonPath, `${JSON.stringify(raw, null, 2)}\n`);
// The committed JSON is linted with the repo: let biome lay it out as it wants it.
const biome = `${root}node_modules/@biomejs/biome/bin/biome`;
if (!quick && existsSync(biome)) spawnSync(process.execPath, [biome, 'format', '--write', jsonPath], { cwd: root });

console.log(`\n${summaryLines(raw).join('\n')}`);
console.log(
  `\nbench: wrote ${mdPath.replace(root, '')} and ${jsonPath.replace(root, '')} in ${machine.totalSeconds} s`,
);
const failed = Object.values(results).filter((r) => r.error);
if (failed.length > 0) {
  console.error(`bench: ${failed.length} benchmark(s) did not finish: ${failed.map((r) => r.benchmark).join(', ')}`);
  process.exitCode = 1;
}
