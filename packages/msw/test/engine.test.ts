import { describe, expect, it } from 'vitest';
import { createMockProviders, type MockBases, script } from '../src/index.js';

const get = async (mock: ReturnType<typeof createMockProviders>, url: string, bases?: MockBases) => {
  const res = await mock.handle(new Request(url), bases);
  return res ? { status: res.status, body: (await res.json()) as Record<string, any> } : undefined;
};

describe('createMockProviders', () => {
  it('should make realistic ids from the seed, and the same ones after reset', () => {
    const mock = createMockProviders({ seed: 11 });
    const make = () => [
      mock.addJob('supermetrics', 'query'),
      mock.addJob('supermetrics', 'batch'),
      mock.addJob('runflow', 'batch'),
      mock.addJob('runflow', 'run'),
      mock.addJob('check', 'batch'),
    ];
    const first = make();
    expect(first[0]).toMatch(/^[A-Za-z0-9_-]{1,50}$/);
    expect(first[1]).toMatch(/^qrb_[0-9a-f]{12}$/);
    for (const uuid of [first[2], first[3]]) {
      expect(uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    }
    expect(first[4]).toMatch(/^batch_[A-Za-z0-9]+$/);
    mock.reset();
    expect(make()).toEqual(first);
    expect(createMockProviders({ seed: 12 }).addJob('check', 'batch')).not.toBe(first[4]);
  });

  it('should refuse kinds and ends a provider does not have', () => {
    const mock = createMockProviders();
    expect(() => mock.addJob('check', 'query')).toThrow(TypeError);
    expect(() => mock.addJob('runflow', 'run', { phases: [], end: 'partially_succeeded' })).toThrow(/cannot end/);
    expect(() => mock.addJob('supermetrics', 'query', { phases: [], end: 'partially_succeeded' })).toThrow(TypeError);
    expect(() => mock.addJob('check', 'batch', { phases: [], end: 'partially_succeeded', total: 1 })).toThrow(
      RangeError,
    );
    expect(() => createMockProviders({ speed: 0 })).toThrow(RangeError);
  });

  it('should build scripts with the helpers', () => {
    expect(script.lifecycle({ queuedPolls: 2, progress: [0.1, 1], end: 'failed' })).toEqual({
      phases: [
        { state: 'queued', polls: 2 },
        { state: 'running', progress: 0.1, polls: 1 },
        { state: 'running', progress: 1, polls: 1 },
      ],
      end: 'failed',
    });
    expect(script.timed({ queuedMs: 5, runningMs: 10 })).toEqual({
      phases: [
        { state: 'queued', ms: 5 },
        { state: 'running', ms: 10, progress: [0, 1] },
      ],
      end: 'succeeded',
    });
  });

  it('should use queued scripts for jobs created through the API, first in first out', async () => {
    const mock = createMockProviders();
    mock.nextScript('check', { phases: [], end: 'failed' });
    mock.nextScript('check', { phases: [], end: 'cancelled' });
    const create = async () => {
      const res = await mock.handle(
        new Request('https://api.check.ai/v1/batch', {
          method: 'POST',
          body: JSON.stringify({ items: [{ content: 'a' }] }),
        }),
      );
      return ((await res?.json()) as { id: string } | undefined)?.id ?? '';
    };
    const ids = [await create(), await create(), await create()];
    expect(ids.map((id) => mock.job(id)?.state)).toEqual(['failed', 'cancelled', 'queued']);
  });

  it('should mix poll-counted and timed phases', async () => {
    let now = 0;
    const mock = createMockProviders({ clock: { now: () => now } });
    const id = mock.addJob('runflow', 'batch', {
      phases: [
        { state: 'queued', polls: 2 },
        { state: 'running', ms: 1000, progress: [0, 1] },
      ],
      total: 4,
    });
    const read = async () => (await get(mock, `https://api.runflow.io/v1/batches/${id}`))?.body;
    const seen = [];
    for (const advance of [0, 5000, 0, 500, 600]) {
      now += advance;
      const b = await read();
      seen.push(`${b?.status_code}:${b?.items_succeeded}`);
    }
    expect(seen).toEqual(['queued:0', 'queued:0', 'running:0', 'running:2', 'succeeded:4']);
  });

  it('should cancel at once and keep the cancelled state', async () => {
    const mock = createMockProviders();
    const id = mock.addJob('check', 'batch', { phases: [{ state: 'running', progress: 0.3, polls: 5 }], total: 10 });
    await get(mock, `https://api.check.ai/v1/batch/${id}`);
    const res = await mock.handle(new Request(`https://api.check.ai/v1/batch/${id}/cancel`, { method: 'POST' }));
    expect(await res?.json()).toEqual({ id, status: 'cancelled', message: 'Batch cancelled successfully' });
    const after = await get(mock, `https://api.check.ai/v1/batch/${id}`);
    expect(after?.body).toMatchObject({ status: 'cancelled', processedItems: 3, completedAt: expect.any(String) });
    const results = await get(mock, `https://api.check.ai/v1/batch/${id}/results?status=skipped`);
    expect(results?.body.pagination.total).toBe(7);
    expect(mock.job(id)).toMatchObject({ state: 'cancelled', cancelled: true, done: 3, reads: 2 });
  });

  it('should derive items lazily and keep them consistent with the counters', async () => {
    const mock = createMockProviders();
    const id = mock.addJob('check', 'batch', {
      phases: [],
      end: 'partially_succeeded',
      total: 10_000,
      failureRate: 0.1,
    });
    const batch = await get(mock, `https://api.check.ai/v1/batch/${id}`);
    expect(batch?.body).toMatchObject({ processedItems: 10_000, successCount: 9000, failureCount: 1000 });
    const failed = await get(mock, `https://api.check.ai/v1/batch/${id}/results?status=failed&limit=100&offset=999`);
    expect(failed?.body.pagination).toEqual({ total: 1000, limit: 100, offset: 999, hasMore: false });
    const last = await get(mock, `https://api.check.ai/v1/batch/${id}/results?offset=9999&limit=1`);
    const again = await get(mock, `https://api.check.ai/v1/batch/${id}/results?offset=9999&limit=1`);
    expect(last?.body.items[0]).toEqual(again?.body.items[0]);
    expect(last?.body.items[0]).toMatchObject({ id: 'item_10000', itemIndex: 9999 });
  });

  it('should find Runflow items and runs from their ids', async () => {
    const mock = createMockProviders();
    const id = mock.addJob('runflow', 'batch', { phases: [{ state: 'running', progress: 0.4 }], total: 10 });
    const batch = (await get(mock, `https://api.runflow.io/v1/batches/${id}`))?.body;
    const handle = batch?.items[9];
    const item = await get(mock, `https://api.runflow.io/v1/batches/${id}/items/${handle.id}`);
    const run = await get(mock, `https://api.runflow.io/v1/runs/${handle.run_id}`);
    expect(item?.body).toMatchObject({ id: handle.id, sequence_index: 9, status_code: 'queued' });
    expect(run?.body).toMatchObject({ id: handle.run_id, batch_id: id, status_code: 'queued' });
    expect((await get(mock, `https://api.runflow.io/v1/runs/${handle.id}`))?.status).toBe(404);
  });

  it('should answer only its own routes', async () => {
    const mock = createMockProviders();
    expect(await mock.handle(new Request('https://example.com/v1/batch'))).toBeUndefined();
    expect(await mock.handle(new Request('https://api.check.ai/v2/batch'))).toBeUndefined();
    expect(await mock.handle(new Request('https://api.check.ai/v1/batch', { method: 'PUT' }))).toBeUndefined();
    expect(await mock.handle(new Request('http://127.0.0.1:9/check/v1/batch'))).toBeUndefined();
    const prefixed = await get(mock, 'http://127.0.0.1:9/check/v1/batch', { check: '/check' });
    expect(prefixed?.status).toBe(200);
    const legacy = mock.addJob('supermetrics', 'batch');
    const viaLegacy = await get(mock, `https://api.supermetrics.com/enterprise/v2/query/batch/${legacy}`, {
      supermetrics: 'https://api.supermetrics.com/enterprise/v2',
    });
    expect(viaLegacy?.body.data.links.status.href).toBe(
      `https://api.supermetrics.com/enterprise/v2/query/batch/${legacy}/status`,
    );
  });

  it('should keep a bounded request log', async () => {
    const mock = createMockProviders({ maxRequests: 3 });
    for (let i = 0; i < 5; i++) await get(mock, 'https://api.check.ai/v1/batch');
    await get(mock, 'https://api.check.ai/v1/batch/batch_nope');
    expect(mock.requests).toHaveLength(3);
    expect(mock.requests.at(-1)).toMatchObject({
      method: 'GET',
      path: '/v1/batch/batch_nope',
      provider: 'check',
      operationId: 'getBatch',
      status: 404,
    });
    mock.reset();
    expect(mock.requests).toHaveLength(0);
  });
});
