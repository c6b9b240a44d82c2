import { checkBatch, createCheckClient } from '@batchwatch/check-client';
import { InvalidResponseError } from '@batchwatch/core';
import { jobResults, ResultsNotReadyError } from '@batchwatch/core/results';
import { createRunflowClient, runflowBatch } from '@batchwatch/runflow-client';
import {
  createSupermetricsClient,
  supermetricsBatch,
  supermetricsQueryRows,
  supermetricsQueryStatus,
} from '@batchwatch/supermetrics-client';
import { activeResources, expectNoLeaks, instantClock } from '@batchwatch/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { createMockProviders, PRODUCTION_BASES } from '../src/index.js';
import { type MockProviderServer, script, startMockProviderServer } from '../src/server.js';

const open: MockProviderServer[] = [];
const start = async () => {
  const server = await startMockProviderServer({ seed: 3 });
  open.push(server);
  return server;
};
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

const done = { phases: [] } as const;
const FAST = { minIntervalMs: 10, initialIntervalMs: 10, maxIntervalMs: 40 } as const;
const clients = (server: MockProviderServer) => ({
  supermetrics: createSupermetricsClient({ apiKey: 'k', baseUrl: server.urls.supermetrics }),
  runflow: createRunflowClient({ apiKey: 'k', baseUrl: server.urls.runflow }),
  check: createCheckClient({ apiKey: 'k', baseUrl: server.urls.check }),
});
const offsets = (server: MockProviderServer) => server.mock.requests.map((r) => r.status);

describe('large results from the mock server', () => {
  it('should stream 200,000 Supermetrics rows page by page, generated per request', async () => {
    const server = await start();
    const id = server.mock.addJob('supermetrics', 'query', { ...done, rows: 200_000 });
    let count = 0;
    let ordered = true;
    for await (const row of jobResults(supermetricsQueryStatus(clients(server).supermetrics), id)) {
      if (row.index !== count || row.id !== String(count)) ordered = false;
      count++;
    }
    expect(count).toBe(200_000);
    expect(ordered).toBe(true);
    // 20 pages of 10,000; meta.paginate.next is null on the last one, so no extra request.
    expect(server.mock.requests).toHaveLength(20);
    expect(server.mock.job(id)?.reads).toBe(0);
  }, 30_000);

  it('should serve slices up to row 1,000,000 with paginate links', async () => {
    const mock = createMockProviders();
    const id = mock.addJob('supermetrics', 'query', { ...done, rows: 1_000_000 });
    const json = encodeURIComponent(JSON.stringify({ schedule_id: id, offset_start: 999_995, offset_end: 1_000_000 }));
    const response = await mock.handle(new Request(`${PRODUCTION_BASES.supermetrics}/query/status?json=${json}`));
    const body = (await response?.json()) as { data: unknown[]; meta: { paginate: { next: unknown; prev: string } } };
    expect(body.data).toHaveLength(5);
    expect(body.meta.paginate.next).toBeNull();
    expect(body.meta.paginate.prev).toContain('/query/status?json=');
  });

  it('should stream the items of a 1,200-item Runflow batch and the results of a Check batch', async () => {
    const server = await start();
    const c = clients(server);
    const rf = server.mock.addJob('runflow', 'batch', { ...done, total: 1_200, end: 'partially_succeeded' });
    const ck = server.mock.addJob('check', 'batch', { ...done, total: 250, end: 'partially_succeeded' });
    const items = await jobResults(runflowBatch(c.runflow), rf).toArray({ max: 2_000 });
    expect(items.map((i) => i.index)).toEqual(Array.from({ length: 1_200 }, (_, i) => i));
    expect(items.filter((i) => i.status === 'failed')).toHaveLength(240);
    expect(new Set(items.map((i) => i.id)).size).toBe(1_200);
    const results = await jobResults(checkBatch(c.check), ck).toArray({ max: 1_000 });
    expect(results.map((i) => i.id)).toEqual(
      Array.from({ length: 250 }, (_, i) => `item_${String(i + 1).padStart(3, '0')}`),
    );
    expect(results.filter((i) => i.status === 'failed').every((i) => i.failure?.message)).toBe(true);
    // 3 pages of 500 items (the first one beside one read of the batch for its items_total), 3 pages
    // of 100 results; none moved a lifecycle.
    const ops = server.mock.requests.map((r) => r.operationId);
    expect(ops.filter((op) => op !== 'getBatch')).toEqual([
      ...Array(3).fill('listBatchItems'),
      ...Array(3).fill('getBatchResults'),
    ]);
    expect(ops.filter((op) => op === 'getBatch')).toHaveLength(1);
  });
});

describe('result faults and totals', () => {
  it('should fail a results page once and resume at that page: no duplicate, no gap', async () => {
    const server = await start();
    const id = server.mock.addJob('supermetrics', 'query', {
      ...done,
      rows: 45,
      resultFaults: [{ kind: 'server-error', at: 2 }],
    });
    const clock = instantClock();
    const rows = await jobResults(supermetricsQueryStatus(clients(server).supermetrics), id, {
      pageSize: 10,
      clock,
      ...FAST,
    }).toArray({ max: 100 });
    expect(rows.map((r) => r.index)).toEqual(Array.from({ length: 45 }, (_, i) => i));
    expect(offsets(server)).toEqual([200, 200, 500, 200, 200, 200]);
    expect(clock.waits).toHaveLength(1);
  });

  it('should answer 429 with Retry-After on a results page, and the stream should honour it', async () => {
    const server = await start();
    const id = server.mock.addJob('runflow', 'batch', {
      ...done,
      total: 12,
      resultFaults: [{ kind: 'rate-limit', at: 1, retryAfter: 2 }],
    });
    const clock = instantClock();
    const items = await jobResults(runflowBatch(clients(server).runflow), id, { pageSize: 5, clock }).toArray({
      max: 20,
    });
    expect(items.map((i) => i.index)).toEqual(Array.from({ length: 12 }, (_, i) => i));
    expect(clock.waits).toEqual([2_000]);
    const pages = server.mock.requests.filter((r) => r.operationId === 'listBatchItems');
    expect(pages.map((r) => r.status)).toEqual([200, 429, 200, 200]);
  });

  it('should change the total between pages with resultTotals (a stream refuses more items than a page first said)', async () => {
    const server = await start();
    const c = clients(server);
    // Query rows carry no total: the stream reads the rows that grew.
    const query = server.mock.addJob('supermetrics', 'query', { ...done, rows: 10, resultTotals: [15, 32] });
    const rows = await jobResults(supermetricsQueryStatus(c.supermetrics), query, { pageSize: 10 }).toArray({
      max: 99,
    });
    expect(rows).toHaveLength(32);
    const batch = server.mock.addJob('supermetrics', 'batch', { ...done, total: 4, resultTotals: [5, 9] });
    const pages: unknown[] = [];
    const error = await (async () => {
      for await (const page of jobResults(supermetricsBatch(c.supermetrics), batch, { pageSize: 3 }).pages()) {
        pages.push([page.total, page.items.map((i) => i.index)]);
      }
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidResponseError);
    expect(pages).toEqual([[5, [0, 1, 2]]]);
    const check = server.mock.addJob('check', 'batch', { ...done, total: 3, resultTotals: [3, 6] });
    await expect(jobResults(checkBatch(c.check), check, { pageSize: 2 }).toArray({ max: 99 })).rejects.toBeInstanceOf(
      InvalidResponseError,
    );
  });

  it('should page GET /query/results of a batch query', async () => {
    const server = await start();
    const c = clients(server);
    const batch = server.mock.addJob('supermetrics', 'batch', { ...done, total: 3 });
    const queries = await jobResults(supermetricsBatch(c.supermetrics), batch).toArray({ max: 10 });
    const first = queries[0];
    const expected = first?.raw.result_info?.total_rows ?? 0;
    expect(first?.status).toBe('succeeded');
    const rows = await jobResults(supermetricsQueryRows(c.supermetrics, { endpoint: 'results' }), first?.id ?? '', {
      pageSize: 7,
    }).toArray({ max: 1_000 });
    expect(rows.map((r) => r.index)).toEqual(Array.from({ length: expected }, (_, i) => i));
  });

  it('should serve GET /query/results as text/csv for Accept: text/csv: the JSON rows, a header per page', async () => {
    const server = await start();
    const c = clients(server).supermetrics;
    const id = server.mock.addJob('supermetrics', 'query', {
      ...done,
      rows: 23,
      resultFaults: [{ kind: 'server-error', at: 1 }],
    });
    const clock = instantClock();
    const csv = await jobResults(supermetricsQueryRows(c, { endpoint: 'results', format: 'csv' }), id, {
      pageSize: 10,
      clock,
      ...FAST,
    }).collect({ max: 100 });
    const json = await jobResults(supermetricsQueryRows(c, { endpoint: 'results' }), id, { pageSize: 10 }).toArray({
      max: 100,
    });
    expect(csv.map((r) => r.id)).toEqual(Array.from({ length: 23 }, (_, i) => String(i)));
    expect(csv.map((r) => r.raw)).toEqual(
      json.map(({ raw }) => Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, String(v)]))),
    );
    // Pages at offsets 0, 10 (failed once, then retried), 20, and the empty page at 23 (header only).
    expect(offsets(server).slice(0, 5)).toEqual([200, 500, 200, 200, 200]);
    const response = await fetch(`${server.urls.supermetrics}/query/results?schedule_id=${id}&offset=21&limit=5`, {
      headers: { Accept: 'text/csv' },
    });
    expect(response.headers.get('content-type')).toMatch(/^text\/csv/);
    expect((await response.text()).split('\r\n')).toHaveLength(4);
  });

  it('should refuse rows of a query that is still running, and leave nothing open', async () => {
    const baseline = activeResources();
    const server = await start();
    const id = server.mock.addJob('supermetrics', 'query', script.lifecycle({ queuedPolls: 3 }));
    await expect(
      jobResults(supermetricsQueryStatus(clients(server).supermetrics), id).toArray({ max: 10 }),
    ).rejects.toBeInstanceOf(ResultsNotReadyError);
    await Promise.all(open.splice(0).map((s) => s.close()));
    await expectNoLeaks(baseline);
  });
});
