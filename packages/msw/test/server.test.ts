import { checkBatch, createCheckClient } from '@batchwatch/check-client';
import { AuthenticationError } from '@batchwatch/core';
import { createRunflowClient, runflowBatch, runflowRun } from '@batchwatch/runflow-client';
import { createSupermetricsClient, supermetricsBatch, supermetricsQueryStatus } from '@batchwatch/supermetrics-client';
import { activeResources, expectNoLeaks } from '@batchwatch/test-utils';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type MockProviderServer, script, startMockProviderServer } from '../src/server.js';
import { context, rejection, trace } from './helpers.js';

const open: MockProviderServer[] = [];
const start = async (options: Parameters<typeof startMockProviderServer>[0] = {}) => {
  const server = await startMockProviderServer(options);
  open.push(server);
  return server;
};
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

const lifecycle = script.lifecycle({ queuedPolls: 1, progress: [0.5], end: 'succeeded' });

describe('startMockProviderServer', () => {
  it('should serve all three providers to the real clients over HTTP on 127.0.0.1', async () => {
    const server = await start({
      jobs: [
        { provider: 'supermetrics', kind: 'query', script: { ...lifecycle, total: 4 } },
        { provider: 'supermetrics', kind: 'batch', script: { ...lifecycle, end: 'partially_succeeded' } },
        { provider: 'runflow', kind: 'batch', script: lifecycle },
        { provider: 'runflow', kind: 'run', script: { ...lifecycle, end: 'failed' } },
        { provider: 'check', kind: 'batch', script: lifecycle },
      ],
    });
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.urls.runflow).toBe(`${server.url}/runflow`);
    const [query, smBatch, rfBatch, run, ckBatch] = server.jobs.map((j) => j.id) as [
      string,
      string,
      string,
      string,
      string,
    ];
    const sm = createSupermetricsClient({ apiKey: 'k', baseUrl: server.urls.supermetrics });
    const rf = createRunflowClient({ apiKey: 'k', baseUrl: server.urls.runflow });
    const ck = createCheckClient({ apiKey: 'k', baseUrl: server.urls.check });
    const three: Array<[string, number | null]> = [
      ['queued', 0],
      ['running', 0.5],
      ['succeeded', 1],
    ];
    expect(await trace(supermetricsQueryStatus(sm), query)).toEqual(three);
    expect((await trace(supermetricsBatch(sm), smBatch)).at(-1)).toEqual(['partially_succeeded', 1]);
    expect(await trace(runflowBatch(rf), rfBatch)).toEqual(three);
    expect((await trace(runflowRun(rf), run)).at(-1)?.[0]).toBe('failed');
    expect(await trace(checkBatch(ck), ckBatch)).toEqual(three);
    const links = (await sm.GET('/query/batch/{batch_id}', { params: { path: { batch_id: smBatch } } })).data?.data
      ?.links;
    expect(links?.status?.href).toBe(`${server.urls.supermetrics}/query/batch/${smBatch}/status`);
    expect(server.mock.requests.length).toBeGreaterThan(10);
  });

  it('should create jobs through the API', async () => {
    const server = await start();
    const ck = createCheckClient({ apiKey: 'k', baseUrl: server.urls.check });
    const created = await ck.POST('/v1/batch', {
      body: { items: [{ content: 'a' }, { content: 'b' }, { content: 'c' }] },
    });
    expect(created.response.status).toBe(202);
    expect(server.mock.job(created.data?.id ?? '')).toMatchObject({ provider: 'check', total: 3, state: 'queued' });
  });

  it('should answer a wrong key with the provider real 401', async () => {
    const server = await start({ apiKeys: { supermetrics: 'sm_right', runflow: 'rf_right', check: 'vfy_right' } });
    const id = server.mock.addJob('runflow', 'batch');
    const wrong = runflowBatch(createRunflowClient({ apiKey: 'rf_wrong', baseUrl: server.urls.runflow }));
    const error = await rejection(wrong.fetchSnapshot(id, context()));
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as AuthenticationError).body).toEqual({
      code: 'UNAUTHORIZED',
      message: 'Missing or invalid API key.',
      errors: null,
    });
    const sm = await fetch(`${server.urls.supermetrics}/query/status?schedule_id=abc`, {
      headers: { Authorization: 'Bearer nope' },
    });
    expect([sm.status, sm.headers.get('www-authenticate')]).toEqual([401, 'Bearer realm="Supermetrics API"']);
    const right = runflowBatch(createRunflowClient({ apiKey: 'rf_right', baseUrl: server.urls.runflow }));
    expect((await right.fetchSnapshot(id, context())).snapshot.status).toBe('queued');
  });

  it('should give the same ids for the same seed and different ones for another', async () => {
    const jobs = [
      { provider: 'supermetrics', kind: 'query' },
      { provider: 'supermetrics', kind: 'batch' },
      { provider: 'runflow', kind: 'batch' },
      { provider: 'check', kind: 'batch' },
    ] as const;
    const a = await start({ seed: 99, jobs });
    const b = await start({ seed: 99, jobs });
    const c = await start({ seed: 100, jobs });
    const ids = (s: MockProviderServer) => s.jobs.map((j) => j.id);
    expect(ids(a)).toEqual(ids(b));
    expect(ids(c)).not.toEqual(ids(a));
    const [query, batch, run, check] = ids(a) as [string, string, string, string];
    expect(query).toMatch(/^[A-Za-z0-9_-]{1,50}$/);
    expect(batch).toMatch(/^qrb_[0-9a-f]{12}$/);
    expect(run).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(check).toMatch(/^batch_[a-z0-9]{12}$/);
  });

  it('should run timed scripts at speed x the clock', async () => {
    let now = 1_000_000;
    const server = await start({ speed: 10, clock: { now: () => now } });
    const id = server.mock.addJob('check', 'batch', {
      ...script.timed({ queuedMs: 1000, runningMs: 4000 }),
      total: 10,
    });
    const source = checkBatch(createCheckClient({ apiKey: 'k', baseUrl: server.urls.check }));
    const seen = [];
    for (const realMs of [0, 100, 200, 200]) {
      now += realMs;
      seen.push((await source.fetchSnapshot(id, context())).snapshot.progress.fraction);
    }
    expect(seen).toEqual([0, 0, 0.5, 1]);
  });

  it('should move a timed script with the real clock by default', async () => {
    const server = await start({ speed: 1_000_000 });
    const id = server.mock.addJob('runflow', 'run', script.timed({ queuedMs: 1, runningMs: 1 }));
    await new Promise((r) => setTimeout(r, 5));
    const { snapshot } = await runflowRun(
      createRunflowClient({ apiKey: 'k', baseUrl: server.urls.runflow }),
    ).fetchSnapshot(id, context());
    expect(snapshot.status).toBe('succeeded');
  });

  it('should answer 404 for a path no provider serves', async () => {
    const server = await start();
    const res = await fetch(`${server.url}/runflow/v2/nothing`);
    expect([res.status, await res.text()]).toEqual([404, 'no mock route for GET /runflow/v2/nothing\n']);
  });

  it('should refuse hosts that are not loopback', async () => {
    await expect(startMockProviderServer({ host: '0.0.0.0' })).rejects.toThrow(/loopback/);
    await expect(startMockProviderServer({ host: '192.168.1.10' })).rejects.toThrow(/loopback/);
    await expect(startMockProviderServer({ host: 'example.com' })).rejects.toThrow(/loopback/);
  });

  it('should leave no sockets or timers behind after close, even with a slow response in flight', async () => {
    const baseline = activeResources();
    const server = await startMockProviderServer({ seed: 5 });
    const id = server.mock.addJob('check', 'batch', {
      ...lifecycle,
      faults: [{ kind: 'slow', delayMs: 60_000, at: 1 }],
    });
    const url = `${server.urls.check}/v1/batch/${id}`;
    expect((await fetch(url)).status).toBe(200);
    const hanging = fetch(url).then(
      (r) => r.status,
      (e: unknown) => e,
    );
    await vi.waitFor(() => expect(server.mock.job(id)?.reads).toBe(2));
    await server.close();
    expect(await hanging).toBeInstanceOf(Error);
    // The slow response's 60 s timer was cleared: its handler finished and logged the request.
    await vi.waitFor(() => expect(server.mock.requests).toHaveLength(2));
    await expectNoLeaks(baseline);
  });
});
