// The measured side of benchmark 3, in its own process (run with --expose-gc): either one
// batchwatch scheduler or one `setInterval` per job watching N jobs of the mock server (which runs
// in another process), or the 100,000-handle `pollOnce` run. Driven over IPC by scale.mjs.
import { setMaxListeners } from 'node:events';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { checkBatch, createCheckClient } from '@batchwatch/check-client';
import { createSnapshot } from '@batchwatch/core/client-kit';
import { createJobHandle, pollOnce } from '@batchwatch/core/handles';
import { createJobScheduler } from '@batchwatch/core/scheduler';
import { cpuMs, mean, percentile, round, serveParent, settledHeap, sleep, timersAlive } from './common.mjs';

/** Counts requests per wall-clock second (from the start of the measurement). */
function createRate() {
  const buckets = [];
  let start = performance.now();
  return {
    reset() {
      buckets.length = 0;
      start = performance.now();
    },
    hit() {
      const s = Math.floor((performance.now() - start) / 1000);
      buckets[s] = (buckets[s] ?? 0) + 1;
    },
    /** Requests in each whole second of `[0, seconds)`. */
    perSecond(seconds) {
      return Array.from({ length: seconds }, (_, i) => buckets[i] ?? 0);
    },
  };
}

function countedSource(source, rate) {
  return {
    provider: source.provider,
    kind: source.kind,
    validateId: source.validateId,
    fetchSnapshot(id, context) {
      rate.hit();
      return source.fetchSnapshot(id, context);
    },
  };
}

function rateStats(perSecond, budget) {
  const m = mean(perSecond);
  const sd = Math.sqrt(mean(perSecond.map((v) => (v - m) ** 2)));
  return {
    mean: round(m, 1),
    p50: percentile(perSecond, 50),
    max: Math.max(...perSecond),
    min: Math.min(...perSecond),
    cv: round(sd / m, 3),
    secondsOverBudget: perSecond.filter((v) => v > budget * 1.1).length,
    seconds: perSecond.length,
  };
}

/** Watches `ids` in `mode` for `windowMs` and reports memory, timers, event-loop delay and request rate. */
async function watchMany({ mode, urls, ids, budget, windowMs, naivePeriodMs }) {
  const rate = createRate();
  const source = countedSource(checkBatch(createCheckClient({ apiKey: 'vfy_bench', baseUrl: urls.check })), rate);
  // Warm-up, so neither side is charged for loading fetch or opening its first sockets.
  const warm = { signal: new AbortController().signal, now: Date.now };
  for (let round = 0; round < 3; round++) {
    await Promise.all(ids.slice(0, 64).map((id) => source.fetchSnapshot(id, warm)));
  }
  const heapBefore = await settledHeap();
  const timersBefore = timersAlive();
  const cpuBefore = process.cpuUsage();
  let scheduler;
  const intervals = [];
  const created = performance.now();
  if (mode === 'batchwatch') {
    scheduler = createJobScheduler({ maxConcurrent: 32, perProvider: { check: { requestsPerSecond: budget } } });
    for (const id of ids) scheduler.watch(source, id).done.catch(() => {});
  } else {
    const context = { signal: new AbortController().signal, now: Date.now };
    // Every request of the naive loop listens to this one signal.
    setMaxListeners(0, context.signal);
    for (const id of ids) {
      intervals.push(
        setInterval(() => {
          source.fetchSnapshot(id, context).catch(() => {});
        }, naivePeriodMs),
      );
    }
  }
  const setupMs = performance.now() - created;
  rate.reset();
  const delay = monitorEventLoopDelay({ resolution: 5 });
  delay.enable();
  let peakHeap = 0;
  const sampler = setInterval(() => {
    peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  }, 250);
  await sleep(windowMs);
  clearInterval(sampler);
  delay.disable();
  const timers = timersAlive() - timersBefore;
  const stats = scheduler?.stats();
  const heapAfter = await settledHeap();
  const cpu = cpuMs(cpuBefore);
  const perSecond = rate.perSecond(Math.floor(windowMs / 1000));
  if (scheduler) await scheduler.close();
  for (const i of intervals) clearInterval(i);
  return {
    mode,
    jobs: ids.length,
    setupMs: round(setupMs, 0),
    heapPerJobBytes: round((heapAfter - heapBefore) / ids.length, 0),
    peakHeapPerJobBytes: round((peakHeap - heapBefore) / ids.length, 0),
    timersAlive: timers,
    schedulerStats: stats ?? null,
    eventLoopDelayP50Ms: round(delay.percentile(50) / 1e6, 1),
    eventLoopDelayP99Ms: round(delay.percentile(99) / 1e6, 1),
    eventLoopDelayMaxMs: round(delay.max / 1e6, 1),
    requests: perSecond.reduce((s, v) => s + v, 0),
    requestsPerSecond: rateStats(perSecond, budget),
    requestsPerSecondSeries: perSecond,
    cpuMs: round(cpu, 0),
  };
}

// A source that answers at once with a fixed running snapshot: the library's own cost, no I/O.
function stubSource() {
  const raw = { id: '', status: 'running', items_total: 100, items_succeeded: 40, items_failed: 0 };
  return {
    provider: 'runflow',
    kind: 'batch',
    async fetchSnapshot(id, context) {
      const snapshot = createSnapshot({
        provider: 'runflow',
        kind: 'batch',
        id,
        status: 'running',
        rawStatus: 'running',
        progress: { completed: 40, failed: 0, total: 100 },
        observedAt: context.now(),
        raw,
      });
      return { snapshot, hints: { httpStatus: 200 } };
    },
  };
}

/** 100,000 `pollOnce` handles: their JSON size, and steps per second through stored JSON. */
async function handles({ count, urls, serverIds, serverSeconds, concurrency }) {
  const stub = stubSource();
  const ids = Array.from({ length: count }, () => crypto.randomUUID());
  // What a durable store keeps per job: the handle as JSON text.
  let stored = ids.map((id) => JSON.stringify(createJobHandle(stub, id)));
  const freshBytes = mean(stored.map((s) => Buffer.byteLength(s)));
  // A hand-rolled record with only what a loop needs: the baseline.
  let records = ids.map((id) => JSON.stringify({ id, nextPollAt: Date.now() }));
  const recordBytes = mean(records.map((s) => Buffer.byteLength(s)));

  const ours = async () => {
    const before = process.cpuUsage();
    const t = performance.now();
    for (let i = 0; i < stored.length; i++) {
      const step = await pollOnce(stub, stored[i]);
      stored[i] = JSON.stringify(step.handle);
    }
    return { wallMs: performance.now() - t, cpuMs: cpuMs(before) };
  };
  const context = { signal: new AbortController().signal, now: Date.now };
  const baseline = async () => {
    const before = process.cpuUsage();
    const t = performance.now();
    for (let i = 0; i < records.length; i++) {
      const record = JSON.parse(records[i]);
      const { snapshot } = await stub.fetchSnapshot(record.id, context);
      if (!snapshot.isTerminal) record.nextPollAt = Date.now() + 1000;
      records[i] = JSON.stringify(record);
    }
    return { wallMs: performance.now() - t, cpuMs: cpuMs(before) };
  };
  // Two rounds each, interleaved; the second (warm) round of each is reported.
  await ours();
  await baseline();
  const oursRun = await ours();
  const baseRun = await baseline();
  const steppedBytes = mean(stored.map((s) => Buffer.byteLength(s)));

  // Against the mock server over HTTP: a time-boxed run, `concurrency` steps in flight.
  const source = checkBatch(createCheckClient({ apiKey: 'vfy_bench', baseUrl: urls.check }));
  const overHttp = async (step) => {
    let steps = 0;
    const before = process.cpuUsage();
    const t = performance.now();
    const end = t + serverSeconds * 1000;
    await Promise.all(
      Array.from({ length: concurrency }, async (_, w) => {
        for (let i = w; performance.now() < end; i += concurrency) {
          await step(i % serverIds.length);
          steps++;
        }
      }),
    );
    const wallMs = performance.now() - t;
    return { steps, stepsPerSecond: (steps / wallMs) * 1000, clientCpuShare: cpuMs(before) / wallMs };
  };
  const httpHandles = serverIds.map((id) => JSON.stringify(createJobHandle(source, id)));
  const httpUrl = (i) => `${urls.check}/v1/batch/${serverIds[i]}`;
  const httpOurs = () =>
    overHttp(async (i) => {
      const step = await pollOnce(source, httpHandles[i]);
      httpHandles[i] = JSON.stringify(step.handle);
    });
  const httpRaw = () =>
    overHttp(async (i) => {
      const response = await fetch(httpUrl(i), { headers: { Authorization: 'Bearer vfy_bench' } });
      JSON.parse(await response.text());
    });
  await httpRaw();
  const http = { ours: await httpOurs(), raw: await httpRaw() };
  stored = null;
  records = null;
  return {
    count,
    handleBytesFresh: round(freshBytes, 1),
    handleBytesAfterPoll: round(steppedBytes, 1),
    baselineRecordBytes: round(recordBytes, 1),
    stub: {
      oursStepsPerSecond: round((count / oursRun.wallMs) * 1000, 0),
      baselineStepsPerSecond: round((count / baseRun.wallMs) * 1000, 0),
      oursCpuPerStepUs: round((oursRun.cpuMs / count) * 1000, 2),
      baselineCpuPerStepUs: round((baseRun.cpuMs / count) * 1000, 2),
    },
    http: {
      concurrency,
      seconds: serverSeconds,
      oursStepsPerSecond: round(http.ours.stepsPerSecond, 0),
      rawStepsPerSecond: round(http.raw.stepsPerSecond, 0),
      oursClientCpuShare: round(http.ours.clientCpuShare, 2),
      rawClientCpuShare: round(http.raw.clientCpuShare, 2),
    },
  };
}

serveParent({ watchMany, handles, stop: () => {} });
