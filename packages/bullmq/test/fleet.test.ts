import { checkBatch } from '@batchwatch/check-client';
import { JobCancelledError, JobFailedError, type JobSnapshot, type JobSource, ValidationError } from '@batchwatch/core';
import { script } from '@batchwatch/msw';
import type { MockProviderServer } from '@batchwatch/msw/server';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createFleet,
  createFleetWorker,
  type Fleet,
  FleetJobError,
  type FleetWorker,
  fleetJobId,
  fleetQueueName,
  parseFleetJobId,
} from '../src/index.js';
import { FAST, KEYS, rawRedis, readsOf, startProviders, until } from './helpers.js';
import { startRedis, type TestRedis } from './redis.js';

let redis: TestRedis;
let server: MockProviderServer;
let sources: JobSource[];
let worker: FleetWorker;
let fleet: Fleet;
let raw: Redis;
const workerErrors: unknown[] = [];

beforeAll(async () => {
  redis = await startRedis();
  ({ server, sources } = await startProviders());
  worker = createFleetWorker({
    connection: redis.url,
    sources,
    ...FAST,
    concurrency: 4,
    lockDuration: 2000,
    stalledInterval: 1000,
    onError: (error) => workerErrors.push(error),
  });
  fleet = createFleet({ connection: redis.url, sources });
  raw = rawRedis(redis.url);
  await Promise.all([worker.waitUntilReady(), fleet.waitUntilReady()]);
});

afterAll(async () => {
  await fleet?.close();
  await worker?.close();
  raw?.disconnect();
  await server?.close();
  await redis?.close();
});

const checkQueue = () => new Queue(fleetQueueName('check'), { connection: { url: redis.url }, prefix: 'batchwatch' });

describe('fleet.watch', () => {
  it('should poll a job to its end as one step job and deliver each changed snapshot once', async () => {
    const id = server.mock.addJob('check', 'batch', script.lifecycle({ queuedPolls: 2, progress: [0.3, 0.3, 0.6, 1] }));
    const seen: string[] = [];
    const watch = fleet.watch('check', 'batch', id);
    watch.subscribe((s) => seen.push(`${s.status}:${s.progress.fraction}`));
    const iterated: string[] = [];
    const second = fleet.watch('check', 'batch', id);
    const loop = (async () => {
      for await (const s of second) iterated.push(`${s.status}:${s.progress.fraction}`);
    })();
    const final = await watch.done;
    await loop;
    expect(final).toMatchObject({ provider: 'check', kind: 'batch', id, status: 'succeeded', isTerminal: true });
    expect(final.raw).toBeUndefined();
    // queued twice and 0.3 twice are one change each; the terminal snapshot comes once, at the end.
    expect(seen).toEqual(['queued:0', 'running:0.3', 'running:0.6', 'running:1', 'succeeded:1']);
    expect(iterated).toEqual(seen);
    // 2 queued + 4 running + the terminal read: one poll stream.
    expect(readsOf(server, id)).toBe(7);
    const info = await fleet.get('check', 'batch', id);
    expect(info?.state).toBe('completed');
    expect(info?.snapshot).toEqual(final);
    expect(info?.handle?.attempt).toBe(6);
    const queue = checkQueue();
    const job = await queue.getJob(fleetJobId('check', 'batch', id));
    expect(job?.returnvalue).toMatchObject({ status: 'succeeded', rawStatus: 'completed' });
    expect(job?.returnvalue).not.toHaveProperty('raw');
    await queue.close();
  });

  it('should complete the BullMQ job for failed and cancelled provider jobs, and settle done like core', async () => {
    const failed = server.mock.addJob(
      'check',
      'batch',
      script.lifecycle({ queuedPolls: 0, progress: [0.5], end: 'failed' }),
    );
    await expect(fleet.watch('check', 'batch', failed).done).rejects.toBeInstanceOf(JobFailedError);
    expect((await fleet.get('check', 'batch', failed))?.state).toBe('completed');
    const answer = await fleet.watch('check', 'batch', failed, { resolveOnUnsuccessful: true }).done;
    expect(answer.status).toBe('failed');
    const cancelled = server.mock.addJob(
      'check',
      'batch',
      script.lifecycle({ queuedPolls: 0, progress: [], end: 'cancelled' }),
    );
    await expect(fleet.watch('check', 'batch', cancelled).done).rejects.toBeInstanceOf(JobCancelledError);
  });

  it('should answer a watcher that comes after the end from Redis, without polling again', async () => {
    const id = server.mock.addJob('check', 'batch', script.lifecycle({ queuedPolls: 1, progress: [1] }));
    await fleet.watch('check', 'batch', id).done;
    const reads = readsOf(server, id);
    const late = createFleet({ connection: redis.url, sources });
    const watch = late.watch('check', 'batch', id);
    const final = await watch.done;
    expect(final.status).toBe('succeeded');
    expect(watch.getSnapshot()).toEqual(final);
    const iterated: JobSnapshot[] = [];
    for await (const s of watch) iterated.push(s);
    expect(iterated).toEqual([final]);
    await late.add('check', 'batch', id);
    await new Promise((r) => setTimeout(r, 300));
    expect(readsOf(server, id)).toBe(reads);
    await late.close();
  });

  it('should make two fleets adding the same job one BullMQ job with one poll stream', async () => {
    const id = server.mock.addJob('check', 'batch', script.lifecycle({ queuedPolls: 1, progress: [0.5, 1] }));
    const other = createFleet({ connection: redis.url, sources });
    const [a, b] = await Promise.all([fleet.add('check', 'batch', id), other.add('check', 'batch', id)]);
    expect(a).toBe(b);
    const [x, y] = await Promise.all([fleet.watch('check', 'batch', id).done, other.watch('check', 'batch', id).done]);
    expect(x).toEqual(y);
    expect(readsOf(server, id)).toBe(4);
    const queue = checkQueue();
    const ids = (await queue.getJobs(['completed', 'failed', 'delayed', 'waiting', 'active'])).map((j) => j.id);
    expect(ids.filter((j) => j === a)).toHaveLength(1);
    await queue.close();
    await other.close();
  });

  it('should stop one watcher without stopping the polling', async () => {
    const id = server.mock.addJob('check', 'batch', script.lifecycle({ queuedPolls: 3, progress: [0.5, 1] }));
    const quitter = fleet.watch('check', 'batch', id);
    const stayer = fleet.watch('check', 'batch', id);
    quitter.stop();
    await expect(quitter.done).rejects.toMatchObject({ name: 'AbortError' });
    expect((await stayer.done).status).toBe('succeeded');
  });

  it('should cancel through the provider queue and watch the job to cancelled', async () => {
    const id = server.mock.addJob('check', 'batch', script.timed({ queuedMs: 0, runningMs: 60_000 }));
    const watch = fleet.watch('check', 'batch', id, { resolveOnUnsuccessful: true });
    await until(() => watch.getSnapshot()?.status === 'running', 10_000, 'running');
    const final = await watch.cancel();
    expect(final.status).toBe('cancelled');
    expect((await watch.done).status).toBe('cancelled');
    const cancels = server.mock.requests.filter((r) => r.method === 'POST' && r.path.includes(`/${id}/cancel`));
    expect(cancels).toHaveLength(1);
  });
});

describe('fatal errors and bad input', () => {
  it('should fail the BullMQ job with the error name and message, and never the key', async () => {
    const id = server.mock.addJob('check', 'batch', {
      ...script.lifecycle({ queuedPolls: 3 }),
      faults: [{ kind: 'unauthorized', at: 1 }],
    });
    const error = await fleet.watch('check', 'batch', id).done.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FleetJobError);
    expect(error).toMatchObject({ errorName: 'AuthenticationError' });
    const queue = checkQueue();
    const job = await queue.getJob(fleetJobId('check', 'batch', id));
    expect(await job?.getState()).toBe('failed');
    expect(job?.failedReason).toMatch(/^AuthenticationError: check HTTP 401/);
    expect(JSON.stringify(job)).not.toContain(KEYS.check);
    expect(job?.attemptsMade).toBe(1);
    await queue.close();

    const gone = server.mock.addJob('check', 'batch', {
      ...script.lifecycle(),
      faults: [{ kind: 'not-found', at: 0 }],
    });
    await expect(fleet.watch('check', 'batch', gone).done).rejects.toMatchObject({ errorName: 'NotFoundError' });
  });

  it('should fail the job with PollTimeoutError at its deadline, and with the last error once the error budget is spent', async () => {
    const slow = server.mock.addJob('check', 'batch', script.timed({ queuedMs: 0, runningMs: 60_000 }));
    const late = await fleet.watch('check', 'batch', slow, { timeoutMs: 400 }).done.catch((e: unknown) => e);
    expect(late).toMatchObject({ name: 'FleetJobError', errorName: 'PollTimeoutError' });
    const flaky = server.mock.addJob('check', 'batch', {
      ...script.timed({ queuedMs: 0, runningMs: 60_000 }),
      faults: [{ kind: 'server-error', at: 1, times: 10 }],
    });
    const spent = await fleet.watch('check', 'batch', flaky, { maxConsecutiveErrors: 2 }).done.catch((e: unknown) => e);
    expect(spent).toMatchObject({ name: 'FleetJobError', errorName: 'ServerError' });
  });

  it('should reject an unknown provider or kind and an invalid id before anything is added', async () => {
    await expect(fleet.add('nope', 'batch', 'x')).rejects.toMatchObject({ name: 'ValidationError', field: 'provider' });
    await expect(fleet.add('check', 'report', 'x')).rejects.toMatchObject({ name: 'ValidationError', field: 'kind' });
    await expect(fleet.add('check', 'batch', 'not a batch id!')).rejects.toBeInstanceOf(ValidationError);
    await expect(fleet.watch('check', 'batch', 'not a batch id!').done).rejects.toBeInstanceOf(ValidationError);
    expect(await raw.keys('batchwatch:nope*')).toEqual([]);
    expect(await raw.exists(`batchwatch:check:${fleetJobId('check', 'batch', 'not a batch id!')}`)).toBe(0);
  });

  it("should fail a job the worker's source rejects or cannot poll, and keep polling the others", async () => {
    const real = checkBatch(
      (await import('@batchwatch/check-client')).createCheckClient({ apiKey: KEYS.check, baseUrl: server.urls.check }),
    );
    // A fleet whose sources do not check ids, and that knows a kind the worker has no source for.
    const lax: JobSource = {
      provider: 'check',
      kind: 'batch',
      fetchSnapshot: real.fetchSnapshot as JobSource['fetchSnapshot'],
    };
    const report: JobSource = {
      provider: 'check',
      kind: 'report',
      fetchSnapshot: real.fetchSnapshot as JobSource['fetchSnapshot'],
    };
    const other = createFleet({ connection: redis.url, sources: [lax, report] });
    const good = server.mock.addJob('check', 'batch', script.lifecycle({ queuedPolls: 2, progress: [0.5, 1] }));
    const goodWatch = fleet.watch('check', 'batch', good);
    const badId = other.watch('check', 'batch', 'not a batch id!');
    const noSource = other.watch('check', 'report', 'r1');
    await expect(badId.done).rejects.toMatchObject({ errorName: 'ValidationError' });
    await expect(noSource.done).rejects.toMatchObject({
      errorName: 'Error',
      message: expect.stringContaining('no report source for check on this worker'),
    });
    expect((await goodWatch.done).status).toBe('succeeded');
    await other.close();
  });

  it('should fail a job whose data was edited to garbage, and go on with the others', async () => {
    const queue = checkQueue();
    const ids = [0, 1, 2].map(() =>
      server.mock.addJob('check', 'batch', script.timed({ queuedMs: 0, runningMs: 1500 })),
    );
    const watches = ids.map((id) => fleet.watch('check', 'batch', id));
    const [first, second] = ids.map((id) => fleetJobId('check', 'batch', id)) as [string, string];
    await until(async () => (await queue.getJob(second))?.data?.handle?.attempt >= 1, 10_000, 'first poll');
    // Not JSON at all: stock BullMQ would cycle it active -> stalled -> wait forever.
    await raw.hset(`batchwatch:check:${first}`, 'data', '{"handle": {oops');
    // JSON, but no handle core can read.
    await raw.hset(`batchwatch:check:${second}`, 'data', JSON.stringify({ handle: { v: 9, id: 'x' }, options: {} }));
    const [a, b, c] = await Promise.allSettled(watches.map((w) => w.done));
    expect(a).toMatchObject({ status: 'rejected', reason: { errorName: 'InvalidHandleError' } });
    expect((a as PromiseRejectedResult).reason.message).toContain('job data is not valid JSON');
    expect(b).toMatchObject({ status: 'rejected', reason: { errorName: 'InvalidHandleError' } });
    expect(c).toMatchObject({ status: 'fulfilled', value: { status: 'succeeded' } });
    const job = await queue.getJob(second);
    expect(await job?.getState()).toBe('failed');
    // The worker is still fine.
    const after = server.mock.addJob('check', 'batch', script.lifecycle({ queuedPolls: 1, progress: [1] }));
    expect((await fleet.watch('check', 'batch', after).done).status).toBe('succeeded');
    await queue.close();
  });

  it('should check options and the connection without showing a password', () => {
    expect(() => createFleet({ connection: 'http://127.0.0.1:6379', sources })).toThrow(ValidationError);
    let message = '';
    try {
      createFleet({ connection: 'redis://user:s3cret@127.0.0.1:6379/not-a-db', sources });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/invalid connection/);
    expect(message).not.toContain('s3cret');
    expect(() => createFleet({ connection: redis.url, sources: [] })).toThrow(/invalid sources/);
    expect(() => createFleetWorker({ connection: redis.url, sources, concurrency: 0 })).toThrow(/invalid concurrency/);
    expect(() =>
      createFleetWorker({ connection: redis.url, sources, perProvider: { check: { requestsPerSecond: -1 } } }),
    ).toThrow(/perProvider.check.requestsPerSecond/);
    return expect(fleet.add('check', 'batch', 'batch_abc', { minIntervalMs: -5 })).rejects.toThrow(/minIntervalMs/);
  });
});

describe('a provider budget in requests', () => {
  it('should charge a Supermetrics batch poll two requests and hold the budget in every sliding second', async () => {
    const { createSupermetricsClient, supermetricsBatch } = await import('@batchwatch/supermetrics-client');
    const client = createSupermetricsClient({ apiKey: 'sm_key', baseUrl: server.urls.supermetrics });
    const batches = [supermetricsBatch(client) as JobSource];
    const budgeted = createFleetWorker({
      connection: redis.url,
      sources: batches,
      ...FAST,
      concurrency: 8,
      perProvider: { supermetrics: { requestsPerSecond: 10 } },
    });
    const smFleet = createFleet({ connection: redis.url, sources: batches });
    const started = Date.now();
    const ids = Array.from({ length: 6 }, () =>
      server.mock.addJob('supermetrics', 'batch', { ...script.timed({ queuedMs: 0, runningMs: 3000 }), total: 4 }),
    );
    const finals = await Promise.all(ids.map((id) => smFleet.watch('supermetrics', 'batch', id).done));
    expect(finals.every((f) => f.isTerminal)).toBe(true);
    const times = server.mock.requests
      .filter((r) => r.provider === 'supermetrics' && r.at >= started)
      .map((r) => r.at)
      .sort((a, b) => a - b);
    let busiest = 0;
    for (let lo = 0, hi = 0; hi < times.length; hi++) {
      while ((times[hi] as number) - (times[lo] as number) >= 1000) lo++;
      busiest = Math.max(busiest, hi - lo + 1);
    }
    // Two requests per poll: 6 jobs polled every 50-200 ms would send far more than 10 a second.
    expect(times.length).toBeGreaterThan(20);
    expect(busiest).toBeLessThanOrEqual(10);
    await smFleet.close();
    await budgeted.close();
  });
});

describe('fleetJobId', () => {
  it('should encode ids BullMQ would refuse or misread, and read them back', () => {
    for (const [provider, kind, id] of [
      ['check', 'batch', '12345'],
      ['my:provider', 'a.b', 'x:y:z'],
      ['runflow', 'run', 'ünï cødé/%'],
    ] as const) {
      const jobId = fleetJobId(provider, kind, id);
      expect(jobId).not.toContain(':');
      expect(jobId).not.toMatch(/^\d+$/);
      expect(parseFleetJobId(jobId)).toEqual({ provider, kind, id });
    }
    expect(fleetQueueName('my:provider')).toBe('my%3Aprovider');
    expect(parseFleetJobId('cancel.a.b.c')).toBeUndefined();
  });
});
