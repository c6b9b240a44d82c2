// Benchmark 1: polling efficiency. For each job population (lib/plan.mjs `makePopulation`), the
// same seeded jobs are watched by several strategies at once, each against its own mock server
// instance (same seed, same jobs, same times, in a child process): fixed 1 s (TanStack Query's
// `refetchInterval: 1000`, the real QueryObserver in the mix), the seed's fixed 2 s loop, the old
// default schedule (exponential backoff), the new default (ETA-aware), and an oracle that knows
// each job's end (the floor of what is possible). The mix also runs with the providers' budgets:
// batchwatch's scheduler and a fixed 2 s loop held to the same budget. Time is compressed by
// `speed`; every interval, Retry-After and budget is scaled by the same factor, and results are
// reported in scripted (provider) time.

import { setMaxListeners } from 'node:events';
import { writeFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { checkBatch, createCheckClient } from '@batchwatch/check-client';
import { HttpError } from '@batchwatch/core';
import { createJobScheduler } from '@batchwatch/core/scheduler';
import { createRunflowClient, runflowBatch } from '@batchwatch/runflow-client';
import { createSupermetricsClient, supermetricsQueryStatus } from '@batchwatch/supermetrics-client';
import { environmentManager, QueryClient, QueryObserver } from '@tanstack/react-query';
import { cpuMs, emit, log, parseArgs, percentile, ratio, round, sleep, startChild, sum } from './lib/common.mjs';
import { makePopulation, PROVIDER_BUDGETS, scriptFor } from './lib/plan.mjs';
import { pollingSvg } from './lib/svg.mjs';

const args = parseArgs();
const quick = args.quick;

const STRATEGIES = {
  tanstack: { label: 'TanStack Query `refetchInterval: 1000`', short: 'TanStack 1 s' },
  loop1s: { label: 'fixed 1 s loop (as TanStack `refetchInterval: 1000`)', short: 'fixed 1 s' },
  loop2s: { label: 'seed `waitForBatch` (fixed 2 s loop)', short: 'fixed 2 s' },
  loop2sBudget: { label: 'fixed 2 s loop held to the provider budgets', short: 'fixed 2 s, budgets' },
  oldDefault: { label: 'batchwatch, old default (exponential backoff)', short: 'old default' },
  oldBudget: { label: 'batchwatch, old default, provider budgets', short: 'old default, budgets' },
  eta: { label: 'batchwatch, new default (ETA-aware)', short: 'new default', ours: true },
  etaBudget: { label: 'batchwatch, new default, provider budgets', short: 'new default, budgets', ours: true },
  oracle: { label: 'oracle (knows each end: polls at creation and at the end)', short: 'oracle' },
};

// Slow enough that a request's round trip stays small against a 1 s interval on a busy 2-core machine.
const POPULATIONS = [
  {
    key: 'mix',
    label: 'current mix: hints, a 429 burst, provider budgets',
    speed: quick ? 5 : 2,
    plan: quick
      ? { jobs: 50, spanMs: 30_000, maxRunMs: 45_000, burstAtMs: 15_000, burstSeconds: 10 }
      : { jobs: 200, spanMs: 120_000, maxRunMs: 150_000, burstAtMs: 60_000, burstSeconds: 15 },
    strategies: ['tanstack', 'loop2s', 'loop2sBudget', 'oldBudget', 'etaBudget', 'eta', 'oracle'],
  },
  ...['steady', 'bursty', 'noProgress'].map((key) => ({
    key,
    label: {
      steady: 'steady progress, no hints, no budget binding',
      bursty: 'bursty or stalling progress, one in eight failing early',
      noProgress: 'no progress: counts that never move',
    }[key],
    speed: quick ? 5 : 4,
    plan: quick ? { jobs: 40, spanMs: 30_000, maxRunMs: 45_000 } : { jobs: 200, spanMs: 120_000, maxRunMs: 150_000 },
    strategies: ['loop1s', 'loop2s', 'oldDefault', 'eta', 'oracle'],
  })),
  {
    key: 'long',
    label: 'long jobs: 10 to 60 minutes, steady progress',
    speed: quick ? 100 : 40,
    plan: { jobs: quick ? 6 : 16 },
    strategies: ['loop1s', 'loop2s', 'oldDefault', 'eta', 'oracle'],
  },
];

// TanStack only polls in a browser; this makes the real QueryObserver poll in Node.
environmentManager.setIsServer(() => false);

const is429 = (error) => error instanceof HttpError && error.status === 429;

/** Counts every status request a strategy sends, per job and per provider-minute, and its 429s. */
function createCounter(t0, speed) {
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
      const minute = Math.floor(((Date.now() - t0) * speed) / 60_000);
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

/** Per provider, the next free request slot of its budget (requests evenly spaced), shared by every job. */
function budgetGate(speed) {
  const next = {};
  return async (provider) => {
    const spacing = 60_000 / PROVIDER_BUDGETS[provider].perMinute / speed;
    const now = Date.now();
    const at = Math.max(now, next[provider] ?? 0);
    next[provider] = at + spacing;
    if (at > now) await sleep(at - now);
  };
}

/** A fixed loop (the seed's, with a try/catch so a 429 does not end it): poll, sleep `everyMs`, repeat. */
function loopWatcher(everyMs, speed, gate) {
  const controller = new AbortController();
  // One signal for every job of the strategy: each request in flight listens to it.
  setMaxListeners(0, controller.signal);
  return {
    watch(source, id) {
      const context = { signal: controller.signal, now: Date.now };
      return (async () => {
        for (;;) {
          if (gate) await gate(source.provider);
          try {
            const { snapshot } = await source.fetchSnapshot(id, context);
            if (snapshot.isTerminal) return snapshot;
          } catch (error) {
            if (controller.signal.aborted) throw error;
          }
          await sleep(everyMs / speed);
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
function tanstackWatcher(speed) {
  const client = new QueryClient({
    defaultOptions: { queries: { retryDelay: (n) => Math.min(1000 * 2 ** n, 30_000) / speed, gcTime: Infinity } },
  });
  const unsubscribes = new Map();
  return {
    watch(source, id) {
      return new Promise((resolve, reject) => {
        const observer = new QueryObserver(client, {
          queryKey: ['job', source.provider, source.kind, id],
          queryFn: async ({ signal }) => (await source.fetchSnapshot(id, { signal, now: Date.now })).snapshot,
          refetchInterval: (query) => (query.state.data?.isTerminal ? false : 1000 / speed),
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

/** batchwatch: one scheduler for all jobs, with every interval scaled by `speed`. */
function batchwatchWatcher({ strategy, budgets, speed }) {
  const perProvider = {};
  if (budgets) {
    for (const [provider, { perMinute }] of Object.entries(PROVIDER_BUDGETS)) {
      perProvider[provider] = { requestsPerSecond: (perMinute / 60) * speed };
    }
  }
  const scheduler = createJobScheduler({
    perProvider,
    strategy,
    minIntervalMs: 1000 / speed,
    initialIntervalMs: 1000 / speed,
    maxIntervalMs: 30_000 / speed,
    requestTimeoutMs: 30_000,
    maxConsecutiveErrors: 10,
    resolveOnUnsuccessful: true,
  });
  return {
    watch: (source, id) => scheduler.watch(source, id).done,
    close: () => scheduler.close(),
  };
}

/** Knows when each job ends: one poll at creation, one at the end (a few ms later when the clock was early). */
function oracleWatcher() {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  return {
    watch(source, id, endAt) {
      const context = { signal: controller.signal, now: Date.now };
      return (async () => {
        for (let first = true; ; first = false) {
          let wait = first ? Math.max(0, endAt - Date.now()) : 2;
          try {
            const { snapshot } = await source.fetchSnapshot(id, context);
            if (snapshot.isTerminal) return snapshot;
          } catch (error) {
            // A 429 during the burst: the oracle knows the end, not the provider's limits; it waits as told.
            if (controller.signal.aborted) throw error;
            wait = Math.max(wait, error?.retryAfterMs ?? 0);
          }
          await sleep(wait);
        }
      })();
    },
    close: () => controller.abort(),
  };
}

function watcherFor(key, speed) {
  switch (key) {
    case 'tanstack':
      return tanstackWatcher(speed);
    case 'loop1s':
      return loopWatcher(1000, speed);
    case 'loop2s':
      return loopWatcher(2000, speed);
    case 'loop2sBudget':
      return loopWatcher(2000, speed, budgetGate(speed));
    case 'oldDefault':
      return batchwatchWatcher({ strategy: 'backoff', budgets: false, speed });
    case 'oldBudget':
      return batchwatchWatcher({ strategy: 'backoff', budgets: true, speed });
    case 'eta':
      return batchwatchWatcher({ strategy: 'eta', budgets: false, speed });
    case 'etaBudget':
      return batchwatchWatcher({ strategy: 'eta', budgets: true, speed });
    case 'oracle':
      return oracleWatcher();
    default:
      throw new Error(`unknown strategy ${key}`);
  }
}

function summarize(key, counter, outcomes, speed) {
  const jobs = [...counter.jobs.values()];
  const latencies = outcomes.filter((o) => o.latencyMs !== null).map((o) => o.latencyMs);
  const plainLatencies = outcomes.filter((o) => o.latencyMs !== null && o.plain).map((o) => o.latencyMs);
  const requests = sum(jobs.map((j) => j.requests));
  const peakPerMinute = {};
  for (const [provider, byMinute] of Object.entries(counter.minutes)) {
    peakPerMinute[provider] = Math.max(...Object.values(byMinute));
  }
  return {
    key,
    label: STRATEGIES[key].label,
    short: STRATEGIES[key].short,
    jobs: outcomes.length,
    detected: latencies.length,
    undetected: outcomes.filter((o) => o.latencyMs === null).map((o) => o.error ?? 'not detected in time'),
    requests,
    requestsPerJob: round(requests / outcomes.length, 2),
    latencyP50Ms: round(percentile(latencies, 50), 0),
    latencyP95Ms: round(percentile(latencies, 95), 0),
    latencyMaxMs: round(latencies.length ? Math.max(...latencies) : null, 0),
    plainLatencyP50Ms: round(percentile(plainLatencies, 50), 0),
    plainLatencyP95Ms: round(percentile(plainLatencies, 95), 0),
    // Round trip of one status request, in scripted ms: how much of the latency is the machine.
    rttP50Ms: round(percentile(counter.rtts, 50) * speed, 0),
    rttP95Ms: round(percentile(counter.rtts, 95) * speed, 0),
    r429: sum(jobs.map((j) => j.r429)),
    repeat429: sum(jobs.map((j) => j.repeat429)),
    peakPerMinute,
  };
}

/** Runs one population: every strategy side by side against its own mock server instance. */
async function runPopulation(server, population) {
  const { key, speed, strategies } = population;
  if (!Number.isInteger(1000 / speed)) throw new Error('speed must divide 1000 (Retry-After must be whole ms)');
  const plan = makePopulation(key, { seed: 8, ...population.plan });
  const names = strategies.map((s) => `${key}:${s}`);
  const urls = {};
  for (const name of names) {
    ({ urls: urls[name] } = await server.request('start', {
      name,
      options: { seed: 2026, speed, maxRequests: 1_000_000 },
    }));
  }
  const t0 = Date.now() + 200;
  const counters = Object.fromEntries(names.map((n) => [n, createCounter(t0, speed)]));
  const sources = Object.fromEntries(names.map((n) => [n, sourcesFor(urls[n], counters[n])]));
  const watchers = Object.fromEntries(strategies.map((s, i) => [names[i], watcherFor(s, speed)]));
  const outcomes = Object.fromEntries(names.map((n) => [n, []]));
  const lastEndMs = Math.max(...plan.map((j) => j.startMs + j.endMs));
  // Jobs still undetected this long after the last planned end are reported as undetected.
  const horizonMs = lastEndMs + 90_000;
  log(
    `polling/${key}: ${plan.length} jobs, speed ${speed}x, ~${Math.round(horizonMs / speed / 1000)} s wall at most, ${strategies.length} strategies side by side`,
  );
  await sleep(t0 - Date.now());
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const clientCpuBefore = process.cpuUsage();
  const serverCpuBefore = await server.request('cpu');
  const wallBefore = performance.now();
  const all = [];
  for (const job of plan) {
    const wait = t0 + job.startMs / speed - Date.now();
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
      const endAt = createdAt + job.endMs / speed;
      const outcome = { index: job.index, provider: job.provider, id, plain: !job.hint && !job.burst, latencyMs: null };
      outcomes[name].push(outcome);
      counters[name].job(id);
      all.push(
        watchers[name].watch(sources[name][job.provider], id, endAt).then(
          (snapshot) => {
            outcome.latencyMs = (snapshot.observedAt - endAt) * speed;
            outcome.status = snapshot.status;
          },
          (error) => {
            outcome.error = `${error?.name}: ${error?.message}`;
          },
        ),
      );
    });
  }
  let horizonTimer;
  await Promise.race([
    Promise.allSettled(all),
    new Promise((resolve) => {
      horizonTimer = setTimeout(resolve, Math.max(0, t0 + horizonMs / speed - Date.now()));
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
  for (const name of names) await server.request('close', { name });
  const results = strategies.map((s, i) => summarize(s, counters[names[i]], outcomes[names[i]], speed));
  const durations = plan.map((j) => j.endMs);
  return {
    key,
    label: population.label,
    speed,
    plan: {
      jobs: plan.length,
      ...population.plan,
      withRetryAfterOn200: plan.filter((j) => j.hint).length,
      inBurst: plan.filter((j) => j.burst).length,
      plain: plan.filter((j) => !j.hint && !j.burst).length,
      failing: plan.filter((j) => j.end === 'failed').length,
      durationMinMs: Math.min(...durations),
      durationMedianMs: percentile(durations, 50),
      durationMaxMs: Math.max(...durations),
    },
    load,
    strategies: results,
  };
}

/** The goals of the issue, per population, with the ratios they are judged by. */
function judge(populations) {
  const by = (pop) => Object.fromEntries(pop.strategies.map((s) => [s.key, s]));
  const p = Object.fromEntries(populations.map((pop) => [pop.key, by(pop)]));
  const r = (a, b) => round(ratio(a, b), 3);
  const goals = [];
  const add = (population, goal, ok, value) => goals.push({ population, goal, ok: Boolean(ok), value });
  if (p.steady) {
    const { eta, loop2s, loop1s } = p.steady;
    add('steady', 'requests at most 0.65x the fixed 2 s loop', r(eta.requests, loop2s.requests) <= 0.65, {
      ratio: r(eta.requests, loop2s.requests),
    });
    add('steady', 'p95 latency at most 1.0 s (no worse than the 1 s loop)', eta.latencyP95Ms <= 1000, {
      p95Ms: eta.latencyP95Ms,
      loop1sP95Ms: loop1s.latencyP95Ms,
    });
  }
  if (p.long) {
    const { eta, loop2s } = p.long;
    add('long', 'requests at most 0.15x the fixed 2 s loop', r(eta.requests, loop2s.requests) <= 0.15, {
      ratio: r(eta.requests, loop2s.requests),
    });
    add('long', 'p95 latency at most 10 s', eta.latencyP95Ms <= 10_000, { p95Ms: eta.latencyP95Ms });
  }
  if (p.noProgress) {
    const { eta, loop2s } = p.noProgress;
    add('noProgress', 'requests at most 0.8x the fixed 2 s loop', r(eta.requests, loop2s.requests) <= 0.8, {
      ratio: r(eta.requests, loop2s.requests),
    });
    add('noProgress', 'p95 latency at most 8 s', eta.latencyP95Ms <= 8000, { p95Ms: eta.latencyP95Ms });
  }
  if (p.mix) {
    const { etaBudget, loop2sBudget } = p.mix;
    const providers = Object.keys(PROVIDER_BUDGETS);
    const within = providers.every((pr) => (etaBudget.peakPerMinute?.[pr] ?? 0) <= PROVIDER_BUDGETS[pr].perMinute + 1);
    add('mix', 'within every provider budget', within, { peakPerMinute: etaBudget.peakPerMinute });
    add(
      'mix',
      'p50 latency at most half of a fixed 2 s loop held to the same budgets',
      etaBudget.latencyP50Ms <= 0.5 * loop2sBudget.latencyP50Ms,
      {
        p50Ms: etaBudget.latencyP50Ms,
        loopP50Ms: loop2sBudget.latencyP50Ms,
        ratio: r(etaBudget.latencyP50Ms, loop2sBudget.latencyP50Ms),
      },
    );
    add('mix', 'zero repeat 429s', etaBudget.repeat429 === 0 && p.mix.eta.repeat429 === 0, {
      repeat429: etaBudget.repeat429,
      noBudget: p.mix.eta.repeat429,
    });
  }
  for (const pop of populations) {
    const undetected = pop.strategies.filter((s) => STRATEGIES[s.key].ours && s.undetected.length > 0);
    if (undetected.length) add(pop.key, 'every job detected', false, { undetected: undetected.map((s) => s.key) });
  }
  return goals;
}

async function main() {
  const server = await startChild(new URL('./lib/server-child.mjs', import.meta.url));
  const populations = [];
  try {
    const only = args.populations ? new Set(String(args.populations).split(',')) : undefined;
    for (const population of POPULATIONS) {
      if (only && !only.has(population.key)) continue;
      populations.push(await runPopulation(server, population));
    }
  } finally {
    await server.stop();
  }
  const goals = judge(populations);
  const svg = pollingSvg(populations);
  // The picture goes next to the results: the committed one only from a full run.
  writeFileSync(new URL(quick ? '../.bench-tmp/polling.quick.svg' : './polling.svg', import.meta.url), svg);
  emit(args, { benchmark: 'polling', quick, budgets: PROVIDER_BUDGETS, populations, goals });
}

await main();
