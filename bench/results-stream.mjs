// Benchmark: streaming a large result with constant memory. One mock Supermetrics query with
// `--rows` rows (default 1,000,000; `--quick` 100,000) is served by the local mock provider server
// (rows are generated per page, never held). Each strategy runs in its own fresh child process, so
// its RSS is its own:
//   stream  `jobResults(supermetricsQueryStatus(client), id)` counting rows (one page buffered ahead)
//   naive   a loop that fetches every `GET /query/status` page into one array, then counts it
// Reported per strategy: rows per second and peak RSS growth over the process's RSS just before
// the first page (sampled every 50 ms, and the kernel's max RSS), and the heap still held after a
// full GC once done. Goal: stream < 64 MB RSS growth, while the naive loop grows with the rows.
//
//   node bench/results-stream.mjs [--rows N] [--quick] [--page-size N] [--out file.json]
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { emit, log, parseArgs, round } from './lib/common.mjs';

const SELF = fileURLToPath(import.meta.url);
const GOAL_MB = 64;
const MB = 1024 * 1024;

const args = parseArgs();
if (args.child) await child(args);
else await main(args);

async function main(args) {
  const rows = Number(args.rows ?? (args.quick ? 100_000 : 1_000_000));
  const pageSize = Number(args.pageSize ?? 10_000);
  const prefetch = Number(args.prefetch ?? 1);
  if (!Number.isInteger(rows) || rows < 1 || rows > 1_000_000) throw new Error('--rows must be 1..1000000');
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 10_000) throw new Error('--page-size must be 1..10000');
  const { startMockProviderServer } = await import('@batchwatch/msw/server');
  const server = await startMockProviderServer({ seed: 1 });
  try {
    const id = server.mock.addJob('supermetrics', 'query', { phases: [], rows });
    const results = {};
    for (const mode of ['stream', 'naive']) {
      log(`results-stream: ${mode}, ${rows.toLocaleString('en-US')} rows...`);
      results[mode] = await runChild(mode, { url: server.urls.supermetrics, id, rows, pageSize, prefetch });
      if (results[mode].rows !== rows) throw new Error(`${mode} read ${results[mode].rows} rows, expected ${rows}`);
      log(
        `  ${round(results[mode].rowsPerSec, 0)} rows/s, peak RSS growth ${results[mode].peakRssGrowthMB} MB (baseline ${results[mode].baselineRssMB} MB)`,
      );
    }
    const { stream, naive } = results;
    emit(args, {
      benchmark: 'results-stream',
      node: process.version,
      rows,
      pageSize,
      prefetch,
      pages: Math.ceil(rows / pageSize),
      stream,
      naive,
      ratios: {
        naiveOverStreamRssGrowth: round(naive.peakRssGrowthMB / Math.max(1, stream.peakRssGrowthMB), 1),
        streamOverNaiveThroughput: round(stream.rowsPerSec / naive.rowsPerSec, 2),
      },
      goal: { streamPeakRssGrowthUnderMB: GOAL_MB, met: stream.peakRssGrowthMB < GOAL_MB },
    });
  } finally {
    await server.close();
  }
}

/** Runs one strategy in a fresh Node process and returns what it measured. */
async function runChild(mode, options) {
  const argv = ['--child', mode, '--url', options.url, '--id', options.id, '--page-size', String(options.pageSize)];
  argv.push('--prefetch', String(options.prefetch));
  const proc = fork(SELF, argv, { execArgv: ['--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let result;
  proc.on('message', (message) => {
    result = message;
  });
  const [code] = await once(proc, 'exit');
  if (code !== 0 || !result) throw new Error(`${mode} child exited with ${code}`);
  return result;
}

async function child(args) {
  const { jobResults } = await import('@batchwatch/core/results');
  const { createSupermetricsClient, supermetricsQueryStatus } = await import('@batchwatch/supermetrics-client');
  const mode = args.child;
  const pageSize = Number(args.pageSize);
  const client = createSupermetricsClient({ apiKey: 'bench', baseUrl: args.url });
  const id = args.id;

  // Warm up the connection and the code paths on one full page (the working set any page-based
  // reader needs, the same for both strategies), then settle the heap: growth is what the rest costs.
  const warm = jobResults(supermetricsQueryStatus(client), id, { pageSize }).pages();
  await warm.next();
  await warm.return();
  await client.GET('/query/status', {
    params: { query: { json: { schedule_id: id, offset_start: 0, offset_end: pageSize - 1 } } },
  });
  await settle();
  const baseline = process.memoryUsage().rss;
  const baselineHeap = process.memoryUsage().heapUsed;
  let peak = baseline;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 50);

  const started = performance.now();
  let count = 0;
  let pages = 0;
  // The naive loop's one array; declared out here so it is still held when the heap is measured.
  const all = [];
  if (mode === 'stream') {
    const source = supermetricsQueryStatus(client);
    for await (const row of jobResults(source, id, { pageSize, prefetch: Number(args.prefetch) })) {
      if (row.index === count) count++;
    }
    pages = Math.ceil(count / pageSize);
  } else {
    // The loop most code writes: every page into one array, processed at the end.
    let start = 0;
    for (;;) {
      const { data, error } = await client.GET('/query/status', {
        params: { query: { json: { schedule_id: id, offset_start: start, offset_end: start + pageSize - 1 } } },
      });
      if (error) throw new Error(`page at ${start} failed`);
      const page = data.data ?? [];
      pages++;
      for (const row of page) all.push(row);
      start += page.length;
      if (page.length === 0 || !data.meta?.paginate?.next) break;
    }
    count = all.length;
  }
  const ms = performance.now() - started;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss, process.resourceUsage().maxRSS * 1024);
  // What the strategy still holds once done (the naive array is still referenced here).
  await settle();
  const retainedHeap = process.memoryUsage().heapUsed - baselineHeap;
  all.length = 0;
  process.send({
    mode,
    rows: count,
    pages,
    ms: round(ms, 0),
    rowsPerSec: round((count / ms) * 1000, 0),
    baselineRssMB: round(baseline / MB, 1),
    peakRssMB: round(peak / MB, 1),
    peakRssGrowthMB: round((peak - baseline) / MB, 1),
    retainedHeapMB: round(retainedHeap / MB, 1),
  });
  process.disconnect();
}

/** Three full GCs with a turn of the event loop in between (the child runs with --expose-gc). */
async function settle() {
  for (let i = 0; i < 3; i++) {
    globalThis.gc?.();
    await new Promise((resolve) => setImmediate(resolve));
  }
}
