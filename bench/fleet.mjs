// Benchmark: @batchwatch/bullmq at scale. N jobs (100,000; --quick 2,000) are added through
// `fleet.add`, then polled by W fleet worker processes under one provider budget that binds (all jobs
// are due at once). Everything runs on this machine: redis-server, the mock provider server and each
// worker in its own process. Measured:
//   - adds per second through `fleet.add`, one chunk of 1,000 at a time and 4 chunks in parallel;
//   - Redis memory per job (INFO memory `used_memory`) just added and once every job was polled, with
//     Redis's default config, and on a smaller run with `hash-max-listpack-value 1024`;
//   - requests per second at the mock in every sliding one-second window, against the budget;
//   - that every job was polled (the wait list drains: jobs stay running and come back only after
//     the workers' `minIntervalMs`, 10 minutes, so every poll in the window is a job's first);
//   - worker CPU per poll (and redis-server's) against `createJobScheduler` in one process on the
//     same jobs and budget.
//
//   node bench/fleet.mjs [--quick] [--jobs N] [--budget RPS] [--workers W] [--out file.json]
import os from 'node:os';
import { createFleet } from '@batchwatch/bullmq';
import { emit, log, parseArgs, round, sleep, startChild } from './lib/common.mjs';
import { startRedisServer } from './lib/redis.mjs';
import { maxSlidingSecond } from './lib/sliding.mjs';

const args = parseArgs();
const quick = args.quick;
const jobs = Number(args.jobs ?? (quick ? 2_000 : 100_000));
const budget = Number(args.budget ?? (quick ? 200 : 400));
const workerCount = Number(args.workers ?? 2);
const concurrency = Number(args.concurrency ?? 32);
const tunedJobs = Math.min(jobs, quick ? 1_000 : 10_000);
const chunk = 1000;
// Long-running jobs on a slow schedule, set on the workers: every poll in the window is a first one.
const POLL = { minIntervalMs: 600_000, initialIntervalMs: 600_000, maxIntervalMs: 600_000 };
const RUNNING_FOREVER = { phases: [{ state: 'running', ms: 1e12, progress: 0.4 }], total: 100 };
const GOALS = { budgetSlack: 1.05, bytesPerJob: 1500, addsPerSecond: 10_000, cpuRatio: 1.3 };
const TUNED = ['--hash-max-listpack-value', '1024'];

/** Adds `ids` through `fleet.add`, one chunk at a time (`lanes` 1) or `lanes` chunks at once; adds per second. */
async function addAll(fleet, ids, lanes) {
  const per = Math.ceil(ids.length / lanes / chunk) * chunk;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: lanes }, async (_, k) => {
      const mine = ids.slice(k * per, (k + 1) * per);
      for (let i = 0; i < mine.length; i += chunk) {
        await Promise.all(mine.slice(i, i + chunk).map((id) => fleet.add('check', 'batch', id)));
      }
    }),
  );
  return Math.round(ids.length / ((performance.now() - t0) / 1000));
}

/** One fleet run on a fresh redis-server: add `ids`, poll each once with `workers` processes. */
async function run({ ids, urls, server, workers, redisArgs = [], label }) {
  const redis = await startRedisServer(redisArgs);
  const children = [];
  try {
    const { checkBatch, createCheckClient } = await import('@batchwatch/check-client');
    const fleet = createFleet({
      connection: redis.url,
      sources: [checkBatch(createCheckClient({ apiKey: 'bench', baseUrl: urls.check }))],
    });
    await fleet.waitUntilReady();
    const empty = (await redis.info('memory')).used_memory;
    log(`fleet${label}: adding ${ids.length.toLocaleString('en-US')} jobs`);
    const half = Math.floor(ids.length / 2);
    const sequential = await addAll(fleet, ids.slice(0, half), 1);
    const parallel = await addAll(fleet, ids.slice(half), 4);
    const added = (await redis.info('memory')).used_memory;
    const waiting = await redis.client.llen('batchwatch:check:wait');
    if (waiting !== ids.length) throw new Error(`expected ${ids.length} waiting jobs, found ${waiting}`);

    log(`fleet${label}: ${workers} worker processes, budget ${budget}/s`);
    for (let i = 0; i < workers; i++)
      children.push(await startChild(new URL('./lib/fleet-client.mjs', import.meta.url)));
    const cpu0 = await redis.info('cpu');
    const started = Date.now();
    await Promise.all(
      children.map((c) => c.request('worker', { redisUrl: redis.url, urls, budget, concurrency, poll: POLL })),
    );
    const first = await Promise.all(children.map((c) => c.request('stats')));
    const limitMs = (ids.length / budget) * 1000 * 2 + 30_000;
    let left = ids.length;
    while (Date.now() - started < limitMs) {
      await sleep(500);
      left = (await redis.client.llen('batchwatch:check:wait')) + (await redis.client.llen('batchwatch:check:active'));
      if (left === 0) break;
    }
    const windowMs = Date.now() - started;
    const last = await Promise.all(children.map((c) => c.request('stats')));
    const cpu1 = await redis.info('cpu');
    const polled = (await redis.info('memory')).used_memory;
    await Promise.all(children.map((c) => c.request('closeWorker')));
    const polls = last.reduce((s, x) => s + x.polls, 0) - first.reduce((s, x) => s + x.polls, 0);
    const workerCpuMs = last.reduce((s, x) => s + x.cpuMs, 0) - first.reduce((s, x) => s + x.cpuMs, 0);
    const redisCpuMs = (cpu1.used_cpu_user + cpu1.used_cpu_sys - cpu0.used_cpu_user - cpu0.used_cpu_sys) * 1000;
    const times = (await server.request('requestTimes', { name: 'fleet', since: started })).sort((a, b) => a - b);
    await fleet.close();
    return {
      adds: { sequentialPerSecond: sequential, parallelPerSecond: parallel },
      bytesPerJobAdded: Math.round((added - empty) / ids.length),
      bytesPerJobPolled: Math.round((polled - empty) / ids.length),
      windowMs,
      polls,
      jobsLeftUnpolled: left,
      times,
      workerCpuMs,
      redisCpuMs,
    };
  } finally {
    for (const c of children) await c.stop().catch(() => {});
    await redis.stop();
  }
}

async function main() {
  const loadAtStart = os.loadavg().map((v) => round(v, 2));
  const server = await startChild(new URL('./lib/server-child.mjs', import.meta.url));
  const extra = [];
  try {
    const { urls } = await server.request('start', { name: 'fleet', options: { seed: 5, maxRequests: jobs * 3 } });
    const ids = await server.request('addMany', {
      name: 'fleet',
      count: jobs,
      provider: 'check',
      kind: 'batch',
      script: RUNNING_FOREVER,
    });

    const main = await run({ ids, urls, server, workers: workerCount, label: '' });
    const tuned = await run({
      ids: ids.slice(0, tunedJobs),
      urls,
      server,
      workers: 1,
      redisArgs: TUNED,
      label: ' (hash-max-listpack-value 1024)',
    });

    log('fleet: in-process createJobScheduler on the same jobs');
    const baseline = await startChild(new URL('./lib/fleet-client.mjs', import.meta.url), {
      execArgv: ['--max-old-space-size=4096'],
    });
    extra.push(baseline);
    const schedulerWindowMs = Math.min(main.windowMs, quick ? 8_000 : 30_000);
    const scheduler = await baseline.request('scheduler', {
      urls,
      ids,
      budget,
      windowMs: schedulerWindowMs,
      poll: POLL,
    });
    // And on 1,000 of them, where the scheduler's own bookkeeping weighs little.
    const small = await baseline.request('scheduler', {
      urls,
      ids: ids.slice(0, 1000),
      budget,
      windowMs: 5000,
      poll: POLL,
    });

    const busiest = maxSlidingSecond(main.times);
    const seconds = Math.max(1, (main.times.at(-1) - main.times[0]) / 1000);
    const workerCpuPerPoll = main.workerCpuMs / main.polls;
    const schedulerCpuPerPoll = scheduler.cpuMs / scheduler.polls;
    const result = {
      benchmark: 'fleet',
      quick,
      // Measured on its own (other sections may come from another run): when, and how busy the machine was.
      date: new Date().toISOString(),
      loadAverage: { start: loadAtStart, end: os.loadavg().map((v) => round(v, 2)) },
      jobs,
      budgetPerSecond: budget,
      workers: workerCount,
      concurrency,
      adds: { ...main.adds, chunk },
      redis: {
        bytesPerJobAdded: main.bytesPerJobAdded,
        bytesPerJobPolled: main.bytesPerJobPolled,
        tuned: {
          config: TUNED.join(' '),
          jobs: tunedJobs,
          bytesPerJobAdded: tuned.bytesPerJobAdded,
          bytesPerJobPolled: tuned.bytesPerJobPolled,
        },
        cpuMsPerPoll: round(main.redisCpuMs / main.polls, 3),
      },
      polling: {
        windowMs: main.windowMs,
        polls: main.polls,
        jobsLeftUnpolled: main.jobsLeftUnpolled,
        requests: main.times.length,
        meanPerSecond: round(main.times.length / seconds, 1),
        maxSlidingSecond: busiest,
      },
      cpu: {
        workerMsPerPoll: round(workerCpuPerPoll, 3),
        schedulerMsPerPoll: round(schedulerCpuPerPoll, 3),
        schedulerPolls: scheduler.polls,
        schedulerWindowMs,
        smallSchedulerMsPerPoll: round(small.cpuMs / small.polls, 3),
        smallRatio: round(workerCpuPerPoll / (small.cpuMs / small.polls), 2),
        ratio: round(workerCpuPerPoll / schedulerCpuPerPoll, 2),
      },
      goals: {
        budgetHeld: busiest <= budget * GOALS.budgetSlack,
        everyJobPolled: main.jobsLeftUnpolled === 0,
        bytesPerJob: main.bytesPerJobPolled <= GOALS.bytesPerJob,
        addsPerSecond: main.adds.parallelPerSecond >= GOALS.addsPerSecond,
        cpuRatio: workerCpuPerPoll / schedulerCpuPerPoll <= GOALS.cpuRatio,
      },
      targets: GOALS,
    };
    log(JSON.stringify(result, null, 2));
    emit(args, result);
  } finally {
    for (const c of extra) await c.stop().catch(() => {});
    await server.stop();
  }
}

await main();
