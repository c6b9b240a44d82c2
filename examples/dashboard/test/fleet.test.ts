// FLEET mode: the dashboard server's status handler reads snapshots from a @batchwatch/bullmq fleet on
// a real redis-server (started by the bullmq package's test helper); no browser needed for this.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type TestRedis } from '../../../packages/bullmq/test/redis.js';
import { type DashboardServer, start } from '../server.mjs';

let redis: TestRedis;
let dashboard: DashboardServer;

beforeAll(async () => {
  redis = await startRedis();
  dashboard = await start({ port: 0, speed: 4, fleet: redis.url });
});

afterAll(async () => {
  await dashboard?.close();
  await redis?.close();
});

describe('dashboard server with FLEET', () => {
  it('should serve every job from the fleet, many viewers costing no provider request', async () => {
    const job = dashboard.jobs.find((j) => j.provider === 'check' && j.label.includes('long'));
    expect(job).toBeDefined();
    const path = `${dashboard.url}/api/batchwatch/jobs/check/batch/${job?.id}`;
    const first = await fetch(path);
    expect(first.status).toBe(200);
    const reads = () => dashboard.providers.mock.job(job?.id ?? '')?.reads ?? 0;
    const before = reads();
    const views = await Promise.all(Array.from({ length: 200 }, () => fetch(path)));
    expect(views.every((r) => r.status === 200)).toBe(true);
    const body = (await views[0]?.json()) as { snapshot: { provider: string; raw?: unknown } };
    expect(body.snapshot.provider).toBe('check');
    expect(body.snapshot).not.toHaveProperty('raw');
    // Only the fleet worker's own schedule polls the provider (about one poll a second or less here).
    expect(reads() - before).toBeLessThan(10);
    expect(dashboard.fleet).toBeDefined();
    // Every provider read is a worker poll the handle counts (one may be in flight right now).
    const info = await dashboard.fleet?.get('check', 'batch', job?.id ?? '');
    const polls = info?.handle?.attempt ?? -1;
    expect(reads() - polls).toBeGreaterThanOrEqual(0);
    expect(reads() - polls).toBeLessThanOrEqual(1);
  });
});
