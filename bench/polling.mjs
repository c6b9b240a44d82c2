// Benchmark 1: polling efficiency. The same seeded set of simulated jobs is watched by four
// strategies at once, each against its own mock server instance (same seed, same jobs, same
// times, in a child process): the seed's fixed 2-second `waitForBatch` loop, TanStack Query's
// `refetchInterval: 1000` (the real QueryObserver), and batchwatch's scheduler with and without
// the providers' request budgets. Time is compressed by `speed`; every interval, Retry-After and
// budget is scaled by the same factor, and results are reported in scripted (provider) time.

import { monitorEventLoopDelay } from 'node:perf_hooks';
import { checkBatch, createCheckClient } from '@batchwatch/check-client';
import { HttpError } from '@batchwatch/core';
import { createJobScheduler } from '@batchwatch/core/scheduler';
import { createRunflowClient, runflowBatch } from '@batchwatch/runflow-client';
import { createSupermetricsClient, supermetricsQueryStatus } from '@batchwatch/supermetrics-client';
import { environmentManager, QueryClient, QueryObserver } from '@tanstack/react-query';
import { cpuMs, emit, log, mean, parseArgs, percentile, ratio, round, sleep, startChild, sum } from './lib/common.mjs';
import { makePollingPlan, PROVIDER_BUDGETS, scriptFor } from './lib/plan.mjs';

const args = parseArgs();
const quick = args.quick;
// Slow enough that a request's round trip stays small against a 1 s interval on a busy 2-core machine.
const speed = Number(args.speed ?? (quick ? 5 : 2));
const jobCount = Number(args.jobs ?? (quick ? 50 : 200));
if (!Number.isInteger(1000 / speed)) throw new Error('--speed must divide 1000 (Retry-After must be whole ms)');
const planOptions = quick
  ? { seed: 8, jobs: jobCount, spanMs: 30_000, maxRunMs: 45_000, burstAtMs: 15_000, burstSeconds: 10 }
  : { seed: 8, jobs: jobCount, spanMs: 120_000, maxRunMs: 150_000, burstAtMs: 60_000, burstSeconds: 15 };
const plan = makePollingPlan(planOptions);

const STRATEGIES = [
  { key: 'loop2s', label: 'seed `waitForBatch` (fixed 2 s loop)', baseline: true },
  { key: 'tanstack', label: 'TanStack Query `refetchInterval: 1000`', baseline: true },
  { key: 'batchwatch', label: 'batchwatch scheduler, provider budgets', ours: true },
  { key: 'batchwatchNoBudget', label: 'batchwatch scheduler, no budgets', ours: true },
];

// TanStack only polls in a browser; this makes the real QueryObserver poll in Node.
environmentManager.setIsServer(() => false);

const scaled = (ms) => ms / speed;
const toScripted = (realMs) => realMs * speed;
const is429 = (error) => error instanceof HttpError && error.status === 429;

/** Counts every status request a strategy sends, per job and per provider-minute, and its 429s. */
function createCounter(t0) {
  const jobs = new Map();
  const minutes = {};
  const rtts = [];
  const job = (id) => {
    let j = jobs.get(id);
    if (!j) {
      j = { requests: 0, r429: 0, repeat429: 0 };
      jobs.set(id, j);
    }
    return j;
  };
  const wrap = (source) => ({
    provider: source.provider,
    kind: source.kind,
    validateId: source.validateId,
    async fetchSnapshot(id, context) {
      const j = job(id);
      j.requests++;
      const minute = Math.floor(toScripted(Date.now() - t0) / 60_000);
      minutes[source.provider] ??= {};
      const byMinute = minutes[source.provider];
      byMinute[minute] = (byMinute[minute] ?? 0) + 1;
      const sentAt = performance.now();
      try {
        const result = await source.fetchSnapshot(id, context);
        rtts.push(performance.now() - sentAt);
        return result;
      } catch (error) {
        rtts.push(performance.now() - sentAt);
        if (is429(error)) {
          if (j.r429 > 0) j.repeat429++;
          j.r429++;
        }
        throw error;
      }
    },
  });
  return { jobs, minutes, rtts, job, wrap };
}

function sourcesFor(urls, counter) {
  return {
    check: counter.wrap(checkBatch(createCheckClient({ apiKey: 'vfy_bench', baseUrl: urls.check }))),
    runflow: counter.wrap(runflowBatch(createRunflowClient({ apiKey: 'bench', baseUrl: urls.runflow }))),
    supermetrics: counter.wrap(
      supermetricsQueryStatus(createSupermetricsClient({ apiKey: 'bench', baseUrl: urls.supermetrics })),
    ),
  };
}

/** The seed's loop (shared/seeds/004), with a try/catch so a 429 does not end it: poll, sleep 2 s, repeat. */
function loopWatcher() {
  const controller = new AbortController();
  return {
    watch(source, id) {
      const context = { signal: controller.signal, now: Date.now };
      return (async () => {
        for (;;) {
          try {
            const { snapshot } = await source.fetchSnapshot(id, context);
            if (snapshot.isTerminal) return snapshot;
          } catch (error) {
            if (controller.signal.aborted) throw error;
          }
          await sleep(scaled(2000));
        }
      })();
    },
    close: () => controller.abort(),
  };
}

/**
 * TanStack Query as apps use it for job polling: one QueryObserver per job (what `useQuery` runs),
 * `refetchInterval: 1000` until the data is terminal, default retries (3, 1 s doubling) on errors.
 */
function tanstackWatcher() {
  const client = new QueryClient({
    defaultOptions: { queries: { retryDelay: (n) => scaled(Math.min(1000 * 2 ** n, 30_000)), gcTime: Infinity } },
  });
  const unsubscribes = new Map();
  return {
    watch(source, id) {
      return new Promise((resolve, reject) => {
        const observer = new QueryObserver(client, {
          queryKey: ['job', source.provider, source.kind, id],
          queryFn: async ({ signal }) => (await source.fetchSnapshot(id, { signal, now: Date.now })).snapshot,
          refetchInterval: (query) => (query.state.data?.isTerminal ? false : scaled(1000)),
          refetchIntervalInBackground: true,
        });
        const unsubscribe = observer.subscribe((result) => {
          if (result.data?.isTerminal) {
            unsubscribe();
            unsubscribes.delete(unsubscribe);
            resolve(result.data);
          }
        });
        unsubscribes.set(unsubscribe, reject);
      });
    },
    close() {
      for (const [unsubscribe, reject] of unsubscribes) {
        unsubscribe();
        reject(new Error('still polling at the horizon'));
      }
      unsubscribes.clear();
      client.clear();
    },
  };
}

/** batchwatch: one scheduler for all jobs; core's default schedule, scaled by `speed`. */
function batchwatchWatcher(withBudgets) {
  const perProvider = {};
  if (withBudgets) {
    for (const [provider, { perMinute }] of Object.entries(PROVIDER_BUDGETS)) {
      perProvider[provider] = { requestsPerSecond: (perMinute / 60) * speed };
    }
  }
  const scheduler = createJobScheduler({
    perProvider,
    minIntervalMs: scaled(1000),
    initialIntervalMs: scaled(1000),
    maxIntervalMs: scaled(30_000),
    requestTimeoutMs: 30_000,
    maxConsecutiveErrors: 10,
    resolveOnUnsuccessful: true,
  });
  return {
    watch: (source, id) => scheduler.watch(source, id).done,
    close: () => scheduler.close(),
  };
}

function summarize(strategy, counter, outcomes, horizonMs) {
  const jobs = [...counter.jobs.values()];
  const latencies = outcomes.filter((o) => o.latencyMs !== null).map((o) => o.latencyMs);
  const plainLatencies = outcomes.filter((o) => o.latencyMs !== null && o.plain).map((o) => o.latencyMs);
  const requests = sum(jobs.map((j) => j.requests));
  const peakPerMinute = {};
  for (const [provider, byMinute] of Object.entries(counter.minutes)) {
    peakPerMinute[provider] = Math.max(...Object.values(byMinute));
  }
  return {
    key: strategy.key,
    label: strategy.label,
    jobs: outcomes.length,
    detected: latencies.length,
    undetected: outcomes.filter((o) => o.latencyMs === null).map((o) => o.error ?? 'not detected in time'),
    requests,
    requestsPerJob: requests / outcomes.length,
    latencyP50Ms: percentile(latencies, 50),
    latencyP95Ms: percentile(latencies, 95),
    latencyMaxMs: latencies.length ? Math.max(...latencies) : null,
    latencyMeanMs: mean(latencies),
    plainLatencyP50Ms: percentile(plainLatencies, 50),
    plainLatencyP95Ms: percentile(plainLatencies, 95),
    // Round trip of one status request, in scripted ms: how much of the latency is the machine.
    rttP50Ms: toScripted(percentile(counter.rtts, 50)),
    rttP95Ms: toScripted(percentile(counter.rtts, 95)),
    r429: sum(jobs.map((j) => j.r429)),
    repeat429: sum(jobs.map((j) => j.repeat429)),
    jobsWith429: jobs.filter((j) => j.r429 > 0).length,
    peakPerMinute,
    horizonMs,
  };
}

async function main() {
  const names = STRATEGIES.map((s) => s.key);
  const server = await startChild(new URL('./lib/server-child.mjs', import.meta.url));
  try {
    const urls = {};
    for (const name of names) {
      ({ urls: urls[name] } = await server.request('start', {
        name,
        options: { seed: 2026, speed, maxRequests: 1_000_000 },
      }));
    }
    const t0 = Date.now() + 200;
    const counters = Object.fromEntries(names.map((n) => [n, createCounter(t0)]));
    const sources = Object.fromEntries(names.map((n) => [n, sourcesFor(urls[n], counters[n])]));
    const watchers = {
      loop2s: loopWatcher(),
      tanstack: tanstackWatcher(),
      batchwatch: batchwatchWatcher(true),
      batchwatchNoBudget: batchwatchWatcher(false),
    };
    const outcomes = Object.fromEntries(names.map((n) => [n, []]));
    const lastEndMs = Math.max(...plan.map((j) => j.startMs + j.endMs));
    // Jobs still undetected this long after the last planned end are reported as undetected.
    const horizonMs = lastEndMs + 90_000;
    log(
      `polling: ${plan.length} jobs, speed ${speed}x, ~${Math.round(scaled(horizonMs) / 1000)} s wall at most, strategies side by side`,
    );
    await sleep(t0 - Date.now());
    // How busy both processes were: a saturated client or server shows up as round-trip time.
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    const clientCpuBefore = process.cpuUsage();
    const serverCpuBefore = await server.request('cpu');
    const wallBefore = performance.now();
    const all = [];
    for (const job of plan) {
      const wait = t0 + scaled(job.startMs) - Date.now();
      if (wait > 0) await sleep(wait);
      const created = await server.request('addJob', {
        names,
        provider: job.provider,
        kind: job.kind,
        script: scriptFor(job, speed, t0),
        retryAfter200: job.hint ? String(job.hint.retryAfterSeconds / speed) : undefined,
      });
      names.forEach((name, i) => {
        const { id, createdAt } = created[i];
        const endAt = createdAt + scaled(job.endMs);
        const outcome = {
          index: job.index,
          provider: job.provider,
          id,
          plain: !job.hint && !job.burst,
          latencyMs: null,
        };
        outcomes[name].push(outcome);
        counters[name].job(id);
        all.push(
          watchers[name].watch(sources[name][job.provider], id).then(
            (snapshot) => {
              outcome.latencyMs = toScripted(snapshot.observedAt - endAt);
              outcome.status = snapshot.status;
            },
            (error) => {
              outcome.error = `${error?.name}: ${error?.message}`;
            },
          ),
        );
      });
    }
    const deadline = t0 + scaled(horizonMs);
    let horizonTimer;
    await Promise.race([
      Promise.allSettled(all),
      new Promise((resolve) => {
        horizonTimer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
      }),
    ]);
    clearTimeout(horizonTimer);
    const wallMs = performance.now() - wallBefore;
    delay.disable();
    const load = {
      wallSeconds: round(wallMs / 1000, 1),
      clientCpuShare: round(cpuMs(clientCpuBefore) / wallMs, 2),
      serverCpuShare: round(((await server.request('cpu')) - serverCpuBefore) / wallMs, 2),
      clientEventLoopDelayP99Ms: round(delay.percentile(99) / 1e6, 1),
    };
    for (const w of Object.values(watchers)) await w.close();
    await Promise.allSettled(all);

    const results = STRATEGIES.map((s) => summarize(s, counters[s.key], outcomes[s.key], horizonMs));
    const serverSaw = {};
    for (const name of names) serverSaw[name] = await server.request('requests', { name });
    const byKey = Object.fromEntries(results.map((r) => [r.key, r]));
    const ours = byKey.batchwatch;
    const comparisons = {};
    for (const base of ['loop2s', 'tanstack']) {
      const b = byKey[base];
      comparisons[base] = {
        requestsRatio: ratio(ours.requests, b.requests),
        p50Ratio: ratio(ours.latencyP50Ms, b.latencyP50Ms),
        p95Ratio: ratio(ours.latencyP95Ms, b.latencyP95Ms),
        noBudgetRequestsRatio: ratio(byKey.batchwatchNoBudget.requests, b.requests),
        noBudgetP95Ratio: ratio(byKey.batchwatchNoBudget.latencyP95Ms, b.latencyP95Ms),
      };
    }
    const goals = {
      fewerRequestsThanBoth: ours.requests < byKey.loop2s.requests && ours.requests < byKey.tanstack.requests,
      p95AtMostBoth:
        ours.latencyP95Ms !== null &&
        ours.latencyP95Ms <= byKey.loop2s.latencyP95Ms &&
        ours.latencyP95Ms <= byKey.tanstack.latencyP95Ms,
      zeroRepeat429: ours.repeat429 === 0,
      allDetected: ours.undetected.length === 0,
    };
    const planStats = {
      jobs: plan.length,
      providers: Object.fromEntries(
        ['check', 'runflow', 'supermetrics'].map((p) => [p, plan.filter((j) => j.provider === p).length]),
      ),
      withRetryAfterOn200: plan.filter((j) => j.hint).length,
      plain: plan.filter((j) => !j.hint && !j.burst).length,
      inBurst: plan.filter((j) => j.burst).length,
      durationMinMs: Math.min(...plan.map((j) => j.endMs)),
      durationMedianMs: percentile(
        plan.map((j) => j.endMs),
        50,
      ),
      durationMaxMs: Math.max(...plan.map((j) => j.endMs)),
      ...planOptions,
    };
    emit(args, {
      benchmark: 'polling',
      quick,
      speed,
      plan: planStats,
      budgets: PROVIDER_BUDGETS,
      load,
      strategies: results.map((r) => ({
        ...r,
        latencyP50Ms: round(r.latencyP50Ms, 0),
        latencyP95Ms: round(r.latencyP95Ms, 0),
        latencyMaxMs: round(r.latencyMaxMs, 0),
        latencyMeanMs: round(r.latencyMeanMs, 0),
        plainLatencyP50Ms: round(r.plainLatencyP50Ms, 0),
        plainLatencyP95Ms: round(r.plainLatencyP95Ms, 0),
        rttP50Ms: round(r.rttP50Ms, 0),
        rttP95Ms: round(r.rttP95Ms, 0),
        requestsPerJob: round(r.requestsPerJob, 2),
        serverSaw: serverSaw[r.key],
      })),
      comparisons: Object.fromEntries(
        Object.entries(comparisons).map(([k, v]) => [
          k,
          Object.fromEntries(Object.entries(v).map(([m, x]) => [m, round(x, 3)])),
        ]),
      ),
      goals,
    });
  } finally {
    await server.stop();
  }
}

await main();
