// Faults across processes: fleet workers run in their own processes (test/fixtures/worker-process.mjs,
// the built package), Redis is a real redis-server started here, the provider is the mock server.
// Every wait is bounded: small lock and stalled intervals, small poll intervals.
import { script } from '@batchwatch/msw';
import type { MockProviderServer } from '@batchwatch/msw/server';
import { QueueEvents } from 'bullmq';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createFleet, type Fleet, fleetJobId, fleetQueueName } from '../src/index.js';
import { startProviders, startWorkerProcess, until, type WorkerProcess } from './helpers.js';
import { startRedis, type TestRedis } from './redis.js';

let server: MockProviderServer;
let sources: Awaited<ReturnType<typeof startProviders>>['sources'];
const cleanup: Array<() => Promise<unknown> | unknown> = [];

beforeAll(async () => {
  ({ server, sources } = await startProviders());
});
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});
afterAll(async () => {
  await server?.close();
});

const FAST_WORKER = {
  minIntervalMs: 100,
  initialIntervalMs: 100,
  maxIntervalMs: 300,
  lockDuration: 1500,
  stalledInterval: 500,
};

async function workers(redis: TestRedis, n: number, options: Record<string, unknown>): Promise<WorkerProcess[]> {
  const started = await Promise.all(Array.from({ length: n }, () => startWorkerProcess(redis.url, server, options)));
  for (const w of started) cleanup.push(() => w.stop());
  return started;
}

function fleetOn(redis: TestRedis, recheckMs = 30_000): Fleet {
  const fleet = createFleet({ connection: redis.url, sources, recheckMs });
  cleanup.push(() => fleet.close());
  return fleet;
}

describe('a worker killed in the middle of a poll', () => {
  it('should be taken over by another worker, and the job completes once', async () => {
    const redis = await startRedis();
    cleanup.push(() => redis.close());
    // The third status read hangs: worker A is killed while it waits for the answer.
    const id = server.mock.addJob('check', 'batch', {
      ...script.lifecycle({ queuedPolls: 1, progress: [0.4, 0.8, 1] }),
      faults: [{ kind: 'slow', delayMs: 60_000, at: 2 }],
    });
    const [a] = (await workers(redis, 1, FAST_WORKER)) as [WorkerProcess];
    const events = new QueueEvents(fleetQueueName('check'), { connection: { url: redis.url }, prefix: 'batchwatch' });
    cleanup.push(() => events.close());
    await events.waitUntilReady();
    const jobId = fleetJobId('check', 'batch', id);
    let completedEvents = 0;
    events.on('completed', ({ jobId: done }) => {
      if (done === jobId) completedEvents++;
    });
    const fleet = fleetOn(redis);
    const watches = [fleet.watch('check', 'batch', id), fleetOn(redis).watch('check', 'batch', id)];
    let resolutions = 0;
    for (const w of watches) void w.done.then(() => resolutions++);
    await until(() => (server.mock.job(id)?.reads ?? 0) >= 3, 15_000, 'the slow third read');
    expect((await fleet.get('check', 'batch', id))?.state).toBe('active');
    const [b] = (await workers(redis, 1, FAST_WORKER)) as [WorkerProcess];
    a.child.kill('SIGKILL');
    const finals = await Promise.all(watches.map((w) => w.done));
    expect(finals.map((f) => f.status)).toEqual(['succeeded', 'succeeded']);
    expect(finals[0]).toEqual(finals[1]);
    // A's third read never came back; B polled on from the handle A stored before it:
    // queued, 0.4, (0.8, lost with A), 1, the end.
    expect(server.mock.job(id)?.reads).toBe(5);
    await new Promise((r) => setTimeout(r, 500));
    expect(completedEvents).toBe(1);
    expect(resolutions).toBe(2);
    expect(b.child.exitCode).toBeNull();
  });
});

describe('Redis restarted while jobs are delayed', () => {
  it('should complete every job once Redis is back, with workers that reconnect by themselves', async () => {
    const redis = await startRedis({ appendonly: true });
    cleanup.push(() => redis.close());
    const pool = await workers(redis, 2, {
      ...FAST_WORKER,
      minIntervalMs: 300,
      initialIntervalMs: 300,
      maxIntervalMs: 600,
      concurrency: 20,
    });
    const fleet = fleetOn(redis, 1000);
    const ids = Array.from({ length: 100 }, () =>
      server.mock.addJob('check', 'batch', script.timed({ queuedMs: 0, runningMs: 7000 })),
    );
    for (const id of ids) await fleet.add('check', 'batch', id);
    await until(
      async () => {
        const infos = await Promise.all(ids.map((id) => fleet.get('check', 'batch', id)));
        return infos.every((info) => (info?.handle?.attempt ?? 0) >= 1);
      },
      20_000,
      'a first poll of every job',
    );
    const watches = ids.map((id) => fleet.watch('check', 'batch', id));
    const pid = redis.pid;
    await redis.stop();
    await new Promise((r) => setTimeout(r, 1000));
    await redis.start();
    expect(redis.pid).not.toBe(pid);
    const finals = await Promise.all(watches.map((w) => w.done));
    expect(finals.every((f) => f.status === 'succeeded')).toBe(true);
    expect(pool.every((w) => w.child.exitCode === null)).toBe(true);
  });
});

describe("a provider's 429 seen by one of three workers", () => {
  it('should pause every worker of that provider for its Retry-After', async () => {
    const redis = await startRedis();
    cleanup.push(() => redis.close());
    await workers(redis, 3, { ...FAST_WORKER, concurrency: 2, perProvider: { check: { requestsPerSecond: 40 } } });
    const fleet = fleetOn(redis);
    const limited = server.mock.addJob('check', 'batch', {
      ...script.timed({ queuedMs: 0, runningMs: 5000 }),
      faults: [{ kind: 'rate-limit', retryAfter: 2, at: 4 }],
    });
    const others = Array.from({ length: 11 }, () =>
      server.mock.addJob('check', 'batch', script.timed({ queuedMs: 0, runningMs: 5000 })),
    );
    const started = Date.now();
    const finals = await Promise.all([limited, ...others].map((id) => fleet.watch('check', 'batch', id).done));
    expect(finals.every((f) => f.status === 'succeeded')).toBe(true);
    const requests = server.mock.requests.filter((r) => r.provider === 'check' && r.at >= started);
    const limits = requests.filter((r) => r.status === 429);
    expect(limits).toHaveLength(1);
    const t = (limits[0] as { at: number }).at;
    // Requests already sent when the 429 was answered may still arrive just after it; after that
    // reaction time, nothing until Retry-After has passed.
    const reaction = 250;
    const during = requests.filter((r) => r.at > t + reaction && r.at < t + 2000);
    expect(during).toEqual([]);
    expect(requests.filter((r) => r.at > t && r.at <= t + reaction).length).toBeLessThanOrEqual(6);
    expect(requests.filter((r) => r.at < t).length).toBeGreaterThan(10);
    expect(requests.filter((r) => r.at >= t + 2000).length).toBeGreaterThan(10);
  });
});
