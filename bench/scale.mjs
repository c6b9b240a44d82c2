// Benchmark 3: scale. N jobs watched at once in one process, by one batchwatch scheduler with a
// provider budget, against one `setInterval` per job with the same average request rate (period
// N / budget). Each runs in a fresh `--expose-gc` child; the mock server runs in another child, so
// its memory and CPU are not counted. Then 100,000 `pollOnce` handles (the durable-scheduler path).
import { emit, log, parseArgs, ratio, round, startChild } from './lib/common.mjs';

const args = parseArgs();
const quick = args.quick;
const jobs = Number(args.jobs ?? (quick ? 1_000 : 10_000));
const budget = Number(args.budget ?? 200);
const handleCount = Number(args.handles ?? (quick ? 20_000 : 100_000));
// The naive poller fires every job once per period, all together: one burst of N requests.
const naivePeriodMs = Math.round((jobs / budget) * 1000);
const windowMs = Math.round(naivePeriodMs * 1.3);

// Check batches: the smallest status body of the three providers (about 600 bytes of JSON).
const RUNNING_FOREVER = { phases: [{ state: 'running', ms: 1e12, progress: 0.4 }], total: 100 };

async function inClient(type, payload) {
  const client = await startChild(new URL('./lib/scale-client.mjs', import.meta.url), {
    execArgv: ['--expose-gc', '--max-old-space-size=4096'],
  });
  try {
    return await client.request(type, payload);
  } finally {
    await client.stop();
  }
}

async function main() {
  const server = await startChild(new URL('./lib/server-child.mjs', import.meta.url));
  try {
    const { urls } = await server.request('start', { name: 'scale', options: { seed: 3, maxRequests: 100 } });
    const ids = await server.request('addMany', {
      name: 'scale',
      count: jobs,
      provider: 'check',
      kind: 'batch',
      script: RUNNING_FOREVER,
    });
    const modes = {};
    for (const mode of ['naive', 'batchwatch']) {
      log(`scale: ${mode}, ${jobs} jobs, ${Math.round(windowMs / 1000)} s window`);
      modes[mode] = await inClient('watchMany', { mode, urls, ids, budget, windowMs, naivePeriodMs });
    }
    log(`scale: ${handleCount} pollOnce handles`);
    const handles = await inClient('handles', {
      count: handleCount,
      urls,
      serverIds: ids.slice(0, 1000),
      serverSeconds: quick ? 2 : 8,
      concurrency: 16,
    });
    const ours = modes.batchwatch;
    const naive = modes.naive;
    emit(args, {
      benchmark: 'scale',
      quick,
      jobs,
      budgetPerSecond: budget,
      naivePeriodMs,
      windowMs,
      modes,
      handles,
      ratios: {
        heapPerJob: round(ratio(ours.heapPerJobBytes, naive.heapPerJobBytes), 2),
        timersAlive: round(ratio(ours.timersAlive, naive.timersAlive), 3),
        eventLoopDelayP99: round(ratio(ours.eventLoopDelayP99Ms, naive.eventLoopDelayP99Ms), 3),
        maxRequestsPerSecond: round(ratio(ours.requestsPerSecond.max, naive.requestsPerSecond.max), 3),
        handleBytes: round(ratio(handles.handleBytesAfterPoll, handles.baselineRecordBytes), 2),
        stubStepsPerSecond: round(ratio(handles.stub.oursStepsPerSecond, handles.stub.baselineStepsPerSecond), 3),
        httpStepsPerSecond: round(ratio(handles.http.oursStepsPerSecond, handles.http.rawStepsPerSecond), 3),
      },
      goals: {
        withinBudget: ours.requestsPerSecond.secondsOverBudget === 0,
        steadyRate: ours.requestsPerSecond.cv !== null && ours.requestsPerSecond.cv <= 0.25,
      },
    });
  } finally {
    await server.stop();
  }
}

await main();
