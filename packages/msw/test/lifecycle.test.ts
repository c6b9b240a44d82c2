// Used the way an app's own test suite would: msw intercepts the real clients at their default URLs.
import { checkBatch, createCheckClient } from '@batchwatch/check-client';
import { BadRequestError, JobCancelledError, waitForJob } from '@batchwatch/core';
import { createRunflowClient, runflowBatch, runflowRun } from '@batchwatch/runflow-client';
import {
  createSupermetricsClient,
  startSupermetricsQuery,
  supermetricsBatch,
  supermetricsQueryStatus,
} from '@batchwatch/supermetrics-client';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createMockProviders, type JobEnd, type JobScript, providerHandlers, script } from '../src/index.js';
import { context, rejection, trace } from './helpers.js';

const mock = createMockProviders({ seed: 42 });
const server = setupServer(...providerHandlers(mock));

beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => {
  vi.useRealTimers();
  mock.reset();
});
afterAll(() => server.close());

const lifecycle = (end: JobEnd): JobScript => ({
  ...script.lifecycle({ queuedPolls: 2, progress: [0.1, 0.6, 1], end }),
  total: 10,
});
const start: Array<[string, number | null]> = [
  ['queued', 0],
  ['queued', 0],
  ['running', 0.1],
  ['running', 0.6],
  ['running', 1],
];

describe('supermetrics', () => {
  const client = () => createSupermetricsClient({ apiKey: 'sm_test' });

  it.each([
    ['succeeded', 'succeeded', 1],
    ['failed', 'failed', 1],
    ['cancelled', 'cancelled', 1],
  ] as const)('should play a query lifecycle ending %s', async (end, status, fraction) => {
    const id = mock.addJob('supermetrics', 'query', lifecycle(end));
    expect(await trace(supermetricsQueryStatus(client()), id)).toEqual([...start, [status, fraction]]);
  });

  it('should send data only once the query succeeded', async () => {
    const id = mock.addJob('supermetrics', 'query', { ...script.lifecycle({ progress: [0.5] }), rows: 3 });
    const source = supermetricsQueryStatus(client());
    const bodies = [];
    for (let i = 0; i < 3; i++) bodies.push((await source.fetchSnapshot(id, context())).snapshot.raw);
    expect(bodies.map((b) => [b.meta?.status_code, b.data?.length])).toEqual([
      ['QUEUED', 0],
      ['RUNNING', 0],
      ['SUCCESS', 3],
    ]);
    expect(bodies[2]?.data?.[0]).toEqual({
      date: expect.any(String),
      sessions: expect.any(Number),
      users: expect.any(Number),
    });
  });

  it('should let queries_total grow while the query runs', async () => {
    const id = mock.addJob('supermetrics', 'query', {
      phases: [{ state: 'running', progress: 0.5, polls: 3 }],
      totalGrowth: [2, 4, 8],
    });
    const source = supermetricsQueryStatus(client());
    const totals = [];
    for (let i = 0; i < 4; i++) totals.push((await source.fetchSnapshot(id, context())).snapshot.progress);
    expect(totals.map((p) => [p.completed, p.total])).toEqual([
      [1, 2],
      [2, 4],
      [4, 8],
      [8, 8],
    ]);
  });

  it('should start a query with sync_timeout 0 and poll it to the end', async () => {
    mock.nextScript('supermetrics', script.lifecycle({ queuedPolls: 1, progress: [1] }));
    const started = await startSupermetricsQuery(client(), {
      ds_id: 'GAWA',
      start_date: 'yesterday',
      end_date: 'today',
    });
    expect(started.snapshot.status).toBe('queued');
    expect(mock.requests.at(-1)).toMatchObject({ operationId: 'startQuery', status: 202 });
    expect(await trace(supermetricsQueryStatus(client()), started.scheduleId)).toEqual([
      ['queued', 0],
      ['running', 1],
      ['succeeded', 1],
    ]);
  });

  it('should answer unfinished query statuses with 202 when asyncStatus is 202', async () => {
    const quirky = createMockProviders({ supermetrics: { asyncStatus: 202 } });
    server.use(...providerHandlers(quirky));
    const id = quirky.addJob('supermetrics', 'query', script.lifecycle({ progress: [] }));
    const { hints } = await supermetricsQueryStatus(client()).fetchSnapshot(id, context());
    const final = await supermetricsQueryStatus(client()).fetchSnapshot(id, context());
    expect([hints.httpStatus, final.hints.httpStatus, final.snapshot.status]).toEqual([202, 200, 'succeeded']);
    server.resetHandlers();
  });

  it.each([
    ['succeeded', 'succeeded', 1],
    ['partially_succeeded', 'partially_succeeded', 1],
    ['failed', 'failed', 1],
    ['cancelled', 'cancelled', 1],
  ] as const)('should play a batch lifecycle ending STOPPED as %s', async (end, status, fraction) => {
    const id = mock.addJob('supermetrics', 'batch', lifecycle(end));
    const steps = await trace(supermetricsBatch(client()), id);
    expect(steps).toEqual([...start, [status, fraction]]);
    const { snapshot } = await supermetricsBatch(client()).fetchSnapshot(id, context());
    expect(snapshot.rawStatus).toBe('STOPPED');
    expect(snapshot.raw.batch.end_time).toEqual(expect.any(String));
    expect(Boolean(snapshot.raw.batch.cancel_time)).toBe(end === 'cancelled');
  });

  it('should cancel a running batch with DELETE and report STOPPED with cancel_time', async () => {
    const id = mock.addJob('supermetrics', 'batch', lifecycle('succeeded'));
    const source = supermetricsBatch(client());
    await trace(source, id, 4);
    await source.cancel?.(id, context());
    const { snapshot } = await source.fetchSnapshot(id, context());
    expect([snapshot.status, snapshot.progress.completed]).toEqual(['cancelled', 6]);
    expect(snapshot.raw.batch.cancel_time).toEqual(expect.any(String));
    expect(mock.job(id)).toMatchObject({ state: 'cancelled', cancelled: true });
  });

  it('should page the per-query entries of a batch', async () => {
    const id = mock.addJob('supermetrics', 'batch', { phases: [], end: 'partially_succeeded', total: 25 });
    const sm = client();
    const page = await sm.GET('/query/batch/{batch_id}/status', {
      params: { path: { batch_id: id }, query: { offset: 20, limit: 10 } },
    });
    expect(page.data?.meta?.paginate).toEqual({ offset: 20, limit: 10, total: 25 });
    expect(page.data?.data?.map((q) => q.schedule_id)).toEqual([21, 22, 23, 24, 25].map((n) => `${id}_query_${n}`));
    const counts = page.data?.meta?.progress;
    expect(counts).toEqual({ queued: 0, running: 0, success: 20, failure: 5 });
    const failed = page.data?.data?.find((q) => q.status_code === 'FAILURE');
    expect(failed?.error_info?.code).toBe('QUERY_ACCOUNT_UNAVAILABLE');
  });
});

describe('runflow', () => {
  const client = () => createRunflowClient({ apiKey: 'rf_test' });

  it.each([
    ['succeeded', 'succeeded'],
    ['partially_succeeded', 'partially_succeeded'],
    ['failed', 'failed'],
    ['cancelled', 'cancelled'],
  ] as const)('should play a batch lifecycle ending %s', async (end, status) => {
    const id = mock.addJob('runflow', 'batch', lifecycle(end));
    expect(await trace(runflowBatch(client()), id)).toEqual([...start, [status, 1]]);
  });

  it.each(['canceled', 'cancelled'] as const)('should spell a cancelled batch %s when asked to', async (spelling) => {
    const quirky = createMockProviders({ runflow: { cancelSpelling: spelling } });
    server.use(...providerHandlers(quirky));
    const id = quirky.addJob('runflow', 'batch', {
      ...script.lifecycle({ progress: [0.5] }),
      end: 'cancelled',
      total: 4,
    });
    const steps = await trace(runflowBatch(client()), id);
    const { snapshot } = await runflowBatch(client()).fetchSnapshot(id, context());
    expect(steps.at(-1)?.[0]).toBe('cancelled');
    expect(snapshot.rawStatus).toBe(spelling);
    expect(snapshot.raw.items?.map((i) => i.status_code)).toEqual(['succeeded', 'succeeded', spelling, spelling]);
    expect([snapshot.raw.items_succeeded, snapshot.raw.items_cancelled]).toEqual([2, 2]);
    server.resetHandlers();
  });

  it('should report partial_succeeded with failed items and a decimal-string cost', async () => {
    const id = mock.addJob('runflow', 'batch', { phases: [], end: 'partially_succeeded', total: 5 });
    const { snapshot } = await runflowBatch(client()).fetchSnapshot(id, context());
    expect(snapshot.rawStatus).toBe('partial_succeeded');
    expect([snapshot.raw.items_succeeded, snapshot.raw.items_failed]).toEqual([4, 1]);
    expect(snapshot.raw.cost).toBe('0.2100');
  });

  it('should show dispatching when a phase asks for it', async () => {
    const id = mock.addJob('runflow', 'batch', {
      phases: [{ state: 'queued' }, { state: 'queued', raw: 'dispatching' }, { state: 'running', progress: 0.5 }],
    });
    const source = runflowBatch(client());
    const raw = [];
    for (let i = 0; i < 4; i++) raw.push((await source.fetchSnapshot(id, context())).snapshot.rawStatus);
    expect(raw).toEqual(['queued', 'dispatching', 'running', 'succeeded']);
  });

  it('should play a run lifecycle', async () => {
    const id = mock.addJob('runflow', 'run', { ...script.lifecycle({ progress: [0.5] }), total: 2 });
    expect(await trace(runflowRun(client()), id)).toEqual([
      ['queued', 0],
      ['running', 0.5],
      ['succeeded', 1],
    ]);
  });

  it('should create a batch and replay it for the same Idempotency-Key and body', async () => {
    const rf = client();
    const body = { input: [{ prompt: 'a', client_ref: 'sku-1' }, { prompt: 'b' }] };
    const headers = { 'Idempotency-Key': 'key-1' };
    const first = await rf.POST('/v1/models/{owner}/{slug}/batches', {
      params: { path: { owner: 'runflow', slug: 'background-replace' }, header: headers },
      body,
    });
    const again = await rf.POST('/v1/models/{owner}/{slug}/batches', {
      params: { path: { owner: 'runflow', slug: 'background-replace' }, header: headers },
      body,
    });
    const other = await rf.POST('/v1/models/{owner}/{slug}/batches', {
      params: { path: { owner: 'runflow', slug: 'background-replace' }, header: headers },
      body: { input: [{ prompt: 'c' }] },
    });
    expect(first.response.status).toBe(201);
    expect(again.data).toEqual(first.data);
    expect(first.data).toMatchObject({ status_code: 'queued', items_total: 2 });
    expect(first.data?.items?.map((i) => i.client_ref)).toEqual(['sku-1', null]);
    expect([other.response.status, (other.error as { code?: string }).code]).toEqual([409, 'CONFLICT']);
  });

  it('should page items with pq cursors and serve each item run', async () => {
    const id = mock.addJob('runflow', 'batch', { phases: [{ state: 'running', progress: 0.5 }], total: 7 });
    const rf = client();
    const seen: string[] = [];
    let pq: string | undefined;
    do {
      const page = await rf.GET('/v1/batches/{batch_id}/items', {
        params: { path: { batch_id: id }, query: { limit: 3, ...(pq ? { pq } : {}) } },
      });
      for (const item of page.data?.items ?? []) seen.push(`${item.sequence_index}:${item.status_code}`);
      pq = page.data?.next_pq ?? undefined;
    } while (pq);
    expect(seen).toEqual([
      '0:succeeded',
      '1:succeeded',
      '2:succeeded',
      '3:running',
      '4:running',
      '5:running',
      '6:running',
    ]);
    const first = await rf.GET('/v1/batches/{batch_id}/items', {
      params: { path: { batch_id: id }, query: { limit: 1 } },
    });
    const runId = first.data?.items[0]?.run_id ?? '';
    const runBody = await rf.GET('/v1/runs/{id}', { params: { path: { id: runId } } });
    expect(runBody.data).toMatchObject({ id: runId, batch_id: id, status_code: 'succeeded' });
  });
});

describe('check', () => {
  const client = () => createCheckClient({ apiKey: 'vfy_test' });

  it.each([
    ['succeeded', 'succeeded', 'completed'],
    ['partially_succeeded', 'partially_succeeded', 'completed'],
    ['failed', 'failed', 'failed'],
    ['cancelled', 'cancelled', 'cancelled'],
  ] as const)('should play a batch lifecycle ending %s', async (end, status, raw) => {
    const id = mock.addJob('check', 'batch', lifecycle(end));
    expect(await trace(checkBatch(client()), id)).toEqual([...start, [status, 1]]);
    const { snapshot } = await checkBatch(client()).fetchSnapshot(id, context());
    expect(snapshot.rawStatus).toBe(raw);
    if (end === 'partially_succeeded') expect(snapshot.raw).toMatchObject({ successCount: 8, failureCount: 2 });
    if (end === 'failed') expect(snapshot.raw.validationErrors?.length).toBeGreaterThan(0);
  });

  it('should create, list, cancel and refuse a second cancel', async () => {
    const ck = client();
    const created = await ck.POST('/v1/batch', {
      body: { name: 'claims', items: [{ content: 'a' }, { content: 'b' }] },
    });
    expect(created.response.status).toBe(202);
    const id = created.data?.id ?? '';
    const list = await ck.GET('/v1/batch', { params: { query: { limit: 5 } } });
    expect(list.data?.data.map((b) => b.id)).toEqual([id]);
    const source = checkBatch(ck);
    await source.cancel?.(id, context());
    expect((await source.fetchSnapshot(id, context())).snapshot.status).toBe('cancelled');
    expect(await rejection(source.cancel?.(id, context()) ?? Promise.resolve())).toBeInstanceOf(BadRequestError);
  });

  it('should page results with limit, offset and hasMore', async () => {
    const id = mock.addJob('check', 'batch', { phases: [], end: 'partially_succeeded', total: 45 });
    const ck = client();
    const page = await ck.GET('/v1/batch/{id}/results', { params: { path: { id }, query: { limit: 20, offset: 40 } } });
    expect(page.data?.pagination).toEqual({ total: 45, limit: 20, offset: 40, hasMore: false });
    expect(page.data?.items.map((i) => i.itemIndex)).toEqual([40, 41, 42, 43, 44]);
    const failed = await ck.GET('/v1/batch/{id}/results', { params: { path: { id }, query: { status: 'failed' } } });
    expect(failed.data?.pagination.total).toBe(9);
  });
});

describe('timed scripts', () => {
  it('should move with vi fake timers', async () => {
    vi.useFakeTimers({ now: new Date('2026-01-01T00:00:00Z') });
    const id = mock.addJob('check', 'batch', { ...script.timed({ queuedMs: 1000, runningMs: 4000 }), total: 10 });
    const source = checkBatch(createCheckClient({ apiKey: 'vfy_test' }));
    const read = async () => {
      const { snapshot } = await source.fetchSnapshot(id, context());
      return [snapshot.status, snapshot.progress.fraction];
    };
    const seen = [await read()];
    await vi.advanceTimersByTimeAsync(1000);
    seen.push(await read());
    await vi.advanceTimersByTimeAsync(2000);
    seen.push(await read());
    await vi.advanceTimersByTimeAsync(2000);
    seen.push(await read());
    expect(seen).toEqual([
      ['queued', 0],
      ['running', 0],
      ['running', 0.5],
      ['succeeded', 1],
    ]);
  });

  it('should run scripted time faster with speed', async () => {
    vi.useFakeTimers();
    const fast = createMockProviders({ speed: 10 });
    server.use(...providerHandlers(fast));
    const id = fast.addJob('runflow', 'run', script.timed({ queuedMs: 1000, runningMs: 1000 }));
    await vi.advanceTimersByTimeAsync(200);
    const { snapshot } = await runflowRun(createRunflowClient({ apiKey: 'x' })).fetchSnapshot(id, context());
    expect(snapshot.status).toBe('succeeded');
    server.resetHandlers();
  });

  it('should drive waitForJob to the end', async () => {
    vi.useFakeTimers();
    const id = mock.addJob('runflow', 'batch', script.timed({ queuedMs: 3000, runningMs: 10_000, end: 'cancelled' }));
    const statuses: string[] = [];
    const done = waitForJob(runflowBatch(createRunflowClient({ apiKey: 'x' })), id, {
      random: () => 0.5,
      onStatusChange: (_from, to) => statuses.push(to),
    });
    const settled = rejection(done);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(await settled).toBeInstanceOf(JobCancelledError);
    expect(statuses).toEqual(['queued', 'running', 'cancelled']);
  });
});
