// Browsers through the fleet: the real status handler of core serving snapshots from Redis.
import { createJobStatusHandler } from '@batchwatch/core/http';
import { script } from '@batchwatch/msw';
import type { MockProviderServer } from '@batchwatch/msw/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFleet, createFleetWorker, type Fleet, type FleetWorker, fleetSnapshots } from '../src/index.js';
import { readsOf, startProviders } from './helpers.js';
import { startRedis, type TestRedis } from './redis.js';

let redis: TestRedis;
let server: MockProviderServer;
let worker: FleetWorker;
let fleet: Fleet;

beforeAll(async () => {
  redis = await startRedis();
  const providers = await startProviders();
  server = providers.server;
  worker = createFleetWorker({
    connection: redis.url,
    sources: providers.sources,
    minIntervalMs: 400,
    initialIntervalMs: 400,
    maxIntervalMs: 400,
  });
  fleet = createFleet({ connection: redis.url, sources: providers.sources });
  await Promise.all([worker.waitUntilReady(), fleet.waitUntilReady()]);
});

afterAll(async () => {
  await fleet?.close();
  await worker?.close();
  await server?.close();
  await redis?.close();
});

const get = (handler: (r: Request) => Promise<Response>, path: string) =>
  handler(new Request(`http://app.test${path}`));

describe('createJobStatusHandler({ sources: fleetSnapshots(fleet) })', () => {
  it('should serve 1,000 viewers of a job with no provider request of their own', async () => {
    const handler = createJobStatusHandler({ sources: fleetSnapshots(fleet), authorize: () => true });
    const id = server.mock.addJob('check', 'batch', script.timed({ queuedMs: 0, runningMs: 4000 }));
    // The first viewer adds the job to the fleet and waits for a worker's first poll.
    const first = await get(handler, `/jobs/check/batch/${id}`);
    expect(first.status).toBe(200);
    const body = (await first.json()) as { snapshot: { status: string; provider: string; raw?: unknown } };
    expect(body.snapshot).toMatchObject({ provider: 'check', status: 'running' });
    expect(body.snapshot).not.toHaveProperty('raw');
    const before = readsOf(server, id);
    const responses = await Promise.all(Array.from({ length: 1000 }, () => get(handler, `/jobs/check/batch/${id}`)));
    expect(responses.every((r) => r.status === 200)).toBe(true);
    // The worker polled on its own schedule (400 ms) while 1,000 requests were served: a few polls.
    expect(readsOf(server, id) - before).toBeLessThan(20);
    const statuses = await Promise.all(
      responses.slice(0, 5).map(async (r) => ((await r.json()) as typeof body).snapshot.status),
    );
    expect(statuses.every((s) => s === 'running' || s === 'succeeded')).toBe(true);
    // The hint tells a browser when the workers poll next.
    const again = await get(handler, `/jobs/check/batch/${id}`);
    const hint = Number(again.headers.get('retry-after') ?? '0');
    expect(hint).toBeGreaterThanOrEqual(0);
    expect(hint).toBeLessThanOrEqual(1);
    // Every request the provider got was a worker's poll: the handle counts them (the last step,
    // which completed the job, stores no new handle).
    await fleet.watch('check', 'batch', id).done;
    const info = await fleet.get('check', 'batch', id);
    expect(readsOf(server, id)).toBe((info?.handle?.attempt ?? -1) + 1);
  });

  it('should answer a job the provider does not have with 404, and a bad id with 400, without polling for it', async () => {
    const handler = createJobStatusHandler({ sources: fleetSnapshots(fleet), authorize: () => true });
    const missing = await get(handler, '/jobs/check/batch/batch_doesnotexist');
    expect(missing.status).toBe(404);
    const bad = await get(handler, '/jobs/check/batch/not%20an%20id');
    expect(bad.status).toBe(400);
    const unknown = await get(handler, '/jobs/nope/batch/x');
    expect(unknown.status).toBe(400);
  });

  it('should cancel through the fleet', async () => {
    const handler = createJobStatusHandler({ sources: fleetSnapshots(fleet), authorize: () => true });
    const id = server.mock.addJob('check', 'batch', script.timed({ queuedMs: 0, runningMs: 60_000 }));
    const cancel = await handler(new Request(`http://app.test/jobs/check/batch/${id}/cancel`, { method: 'POST' }));
    expect(cancel.status).toBe(200);
    const final = await fleet.watch('check', 'batch', id, { resolveOnUnsuccessful: true }).done;
    expect(final.status).toBe('cancelled');
  });
});
