import { InvalidResponseError, NotFoundError, ValidationError } from '@batchwatch/core';
import { jobResults, ResultLimitError } from '@batchwatch/core/results';
import {
  activeResources,
  expectNoLeaks,
  instantClock,
  type RecordedRequest,
  type RecordingServer,
  type ScriptedResponse,
  startRecordingServer,
} from '@batchwatch/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRunflowClient, runflowBatch, runflowBatchItem, runflowRun } from '../src/index.js';

const BATCH = '0190f2a4-5b6c-7d8e-9f01-23456789abcd';
const KEY = 'rf_live_SECRET_token_123';
const FAST = { minIntervalMs: 10, initialIntervalMs: 10, maxIntervalMs: 40 } as const;

let server: RecordingServer;
beforeEach(async () => {
  server = await startRecordingServer();
});
afterEach(async () => {
  await server.close();
});

const client = () => createRunflowClient({ apiKey: KEY, baseUrl: server.url });
const query = (r: RecordedRequest) => new URL(r.url, 'http://x').searchParams;
const itemId = (i: number) => `0190f2a4-0000-7000-8000-${i.toString(16).padStart(12, '0')}`;
const ids = (items: Array<{ id: string }>) => items.map((i) => i.id);
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => itemId(from + i));

/** A batch item; every 4th one failed. */
function item(i: number) {
  const failed = i % 4 === 3;
  return {
    id: itemId(i),
    batch_id: BATCH,
    sequence_index: i,
    status_code: failed ? 'failed' : 'succeeded',
    cost: '0.0420',
    output: failed ? null : { images: [{ url: `https://cdn.example.com/${i}.png` }] },
    error: failed ? { code: 'PROVIDER_REJECTED_INPUT', message: 'image_url could not be fetched (HTTP 403).' } : null,
  };
}

/** The batch as `GET /v1/batches/{id}` answers it, with `items_total`. */
const batch = (itemsTotal: number | null) => ({
  id: BATCH,
  status_code: 'succeeded',
  items_total: itemsTotal,
  items_succeeded: itemsTotal,
});
const isBatchRead = (r: RecordedRequest) => new URL(r.url, 'http://x').pathname === `/v1/batches/${BATCH}`;
/** The item page requests only (the first page also reads the batch for its `items_total`). */
const itemRequests = () => server.requests.filter((r) => !isBatchRead(r));

/**
 * Serves `GET /v1/batches/{id}/items` with `pq` cursors (`c<offset>`) over `total(n)` items at item
 * request n, and `GET /v1/batches/{id}` with `items_total` = `total(0)`.
 */
function serveItems(total: (n: number) => number, fault?: (n: number) => ScriptedResponse | undefined): void {
  let n = 0;
  server.respond((r) => {
    if (isBatchRead(r)) return { body: batch(total(0)) };
    const k = n++;
    const answer = fault?.(k);
    if (answer) return answer;
    const q = query(r);
    const offset = Number((q.get('pq') ?? 'c0').slice(1));
    const limit = Number(q.get('limit'));
    const count = total(k);
    const items = [];
    for (let i = offset; i < Math.min(count, offset + limit); i++) items.push(item(i));
    const after = offset + items.length;
    return { body: { items, next_pq: after < count ? `c${after}` : null, prev_pq: offset > 0 ? 'c0' : null } };
  });
}

describe('runflowBatchItems (GET /v1/batches/{batch_id}/items)', () => {
  it('should follow next_pq to the last page, with each item error as failure', async () => {
    serveItems(() => 7);
    const items = await jobResults(runflowBatch(client()), BATCH, { pageSize: 3 }).toArray({ max: 10 });
    expect(ids(items)).toEqual(range(0, 7));
    expect(items.map((i) => i.status)).toEqual([
      'succeeded',
      'succeeded',
      'succeeded',
      'failed',
      'succeeded',
      'succeeded',
      'succeeded',
    ]);
    expect(items[3]).toMatchObject({
      index: 3,
      failure: { code: 'PROVIDER_REJECTED_INPUT', message: 'image_url could not be fetched (HTTP 403).' },
      raw: { cost: '0.0420' },
    });
    expect(itemRequests().map((r) => r.url)).toEqual([
      `/v1/batches/${BATCH}/items?limit=3`,
      `/v1/batches/${BATCH}/items?limit=3&pq=c3`,
      `/v1/batches/${BATCH}/items?limit=3&pq=c6`,
    ]);
    expect(server.requests[0]?.headers.authorization).toBe(`Bearer ${KEY}`);
  });

  it('should deliver an empty batch after one request with the largest page', async () => {
    serveItems(() => 0);
    expect(await jobResults(runflowBatch(client()), BATCH).toArray({ max: 10 })).toEqual([]);
    expect(server.requests.map((r) => r.url).sort()).toEqual([
      `/v1/batches/${BATCH}`,
      `/v1/batches/${BATCH}/items?limit=500`,
    ]);
  });

  it('should read the batch once, beside the first page, for its items_total', async () => {
    serveItems(() => 7);
    await jobResults(runflowBatch(client()), BATCH, { pageSize: 3 }).toArray({ max: 10 });
    expect(server.requests.filter(isBatchRead)).toHaveLength(1);
    expect(server.requests.filter(isBatchRead)[0]?.headers.authorization).toBe(`Bearer ${KEY}`);
  });

  it('should refuse more items than the batch has (items_total), as InvalidResponseError', async () => {
    serveItems((n) => (n === 0 ? 6 : 9));
    const error = await jobResults(runflowBatch(client()), BATCH, { pageSize: 4 })
      .toArray({ max: 20 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidResponseError);
    expect(itemRequests()).toHaveLength(2);
  });

  it('should fail a cursor that cycles (a -> b -> a) with InvalidResponseError after one request per cursor', async () => {
    const next: Record<string, string> = { '': 'a', a: 'b', b: 'a' };
    server.respond((r) => {
      if (isBatchRead(r)) return { body: batch(null) };
      if (itemRequests().length > 10) return { status: 500, body: { code: 'LOOP', message: 'a loop' } };
      const pq = query(r).get('pq') ?? '';
      const offset = { '': 0, a: 2, b: 4 }[pq] ?? 0;
      return { body: { items: [item(offset), item(offset + 1)], next_pq: next[pq] } };
    });
    const seen: string[] = [];
    const error = await (async () => {
      for await (const it of jobResults(runflowBatch(client()), BATCH, { pageSize: 2, prefetch: 0 })) seen.push(it.id);
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidResponseError);
    expect((error as Error).message).toMatch(/cursor "a" came back/);
    expect(seen).toEqual(range(0, 4));
    expect(itemRequests().map((r) => query(r).get('pq'))).toEqual([null, 'a', 'b']);
  });

  it('should stop at the batch items_total when the provider names a fresh next cursor forever', async () => {
    server.respond((r) => {
      if (isBatchRead(r)) return { body: batch(5) };
      if (itemRequests().length > 10) return { status: 500, body: { code: 'LOOP', message: 'a loop' } };
      const k = itemRequests().length - 1;
      return { body: { items: [item(2 * k), item(2 * k + 1)], next_pq: `fresh-${k}` } };
    });
    const error = await jobResults(runflowBatch(client()), BATCH, { pageSize: 2 })
      .toArray({ max: 100 })
      .catch((e: unknown) => e);
    // Page 2 brings items 5 and 6 of a batch of 5.
    expect(error).toBeInstanceOf(InvalidResponseError);
    expect(itemRequests()).toHaveLength(3);
  });

  it('should retry a page that failed once at the same cursor: no duplicate, no gap', async () => {
    const clock = instantClock();
    serveItems(
      () => 9,
      (n) => (n === 1 ? { status: 503, body: { code: 'MODEL_UNAVAILABLE', message: 'Retry later.' } } : undefined),
    );
    const items = await jobResults(runflowBatch(client()), BATCH, { pageSize: 3, clock, ...FAST }).toArray({ max: 20 });
    expect(ids(items)).toEqual(range(0, 9));
    expect(itemRequests().map((r) => query(r).get('pq'))).toEqual([null, 'c3', 'c3', 'c6']);
  });

  it('should wait for Retry-After on a 429', async () => {
    const clock = instantClock();
    serveItems(
      () => 5,
      (n) =>
        n === 1
          ? { status: 429, headers: { 'Retry-After': '2' }, body: { code: 'RATE_LIMITED', message: 'slow down' } }
          : undefined,
    );
    const items = await jobResults(runflowBatch(client()), BATCH, { pageSize: 3, clock }).toArray({ max: 20 });
    expect(ids(items)).toEqual(range(0, 5));
    expect(clock.waits).toEqual([2_000]);
  });

  it('should stop mid-stream on abort: no request after it, no timer or socket left', async () => {
    const baseline = activeResources();
    serveItems(
      () => 9,
      (n) => (n === 1 ? { hang: true } : undefined),
    );
    const controller = new AbortController();
    const stream = jobResults(runflowBatch(client()), BATCH, { pageSize: 3, signal: controller.signal });
    const it = stream[Symbol.asyncIterator]();
    expect((await it.next()).value?.id).toBe(itemId(0));
    while (itemRequests().length < 2) await new Promise((r) => setTimeout(r, 5));
    controller.abort(new Error('stop'));
    await expect(it.next()).rejects.toThrow('stop');
    await new Promise((r) => setTimeout(r, 30));
    expect(itemRequests()).toHaveLength(2);
    await expectNoLeaks(baseline);
  });

  it('should stop at once on a 404', async () => {
    server.respond(() => ({ status: 404, body: { code: 'NOT_FOUND', message: 'Batch not found.' } }));
    await expect(jobResults(runflowBatch(client()), BATCH).toArray({ max: 1 })).rejects.toBeInstanceOf(NotFoundError);
    expect(itemRequests()).toHaveLength(1);
  });

  it('should refuse to collect more items than max', async () => {
    serveItems(() => 9);
    await expect(
      jobResults(runflowBatch(client()), BATCH, { pageSize: 3, prefetch: 0 }).toArray({ max: 4 }),
    ).rejects.toBeInstanceOf(ResultLimitError);
    expect(itemRequests()).toHaveLength(2);
  });

  it('should validate the id and page size (limit <= 500) before any request', () => {
    expect(() => jobResults(runflowBatch(client()), BATCH, { pageSize: 501 })).toThrow(/from 1 to 500/);
    expect(() => jobResults(runflowBatch(client()), 'not-a-uuid')).toThrow(ValidationError);
    expect(() => jobResults(runflowRun(client()), BATCH)).toThrow(/runflow run jobs have none/);
    expect(server.requests).toHaveLength(0);
  });
});

// Every documented item status_code goes mock -> client in packages/msw/test/vocabulary.test.ts.
describe('runflowBatchItem', () => {
  it('should read an undocumented item status as unknown', () => {
    expect(runflowBatchItem({ id: 'x', status_code: 'paused' }, 2)).toEqual({
      id: 'x',
      index: 2,
      status: 'unknown',
      raw: { id: 'x', status_code: 'paused' },
    });
  });

  it('should read a failure from the nested run when the item error is empty', () => {
    const item = runflowBatchItem(
      { id: 'x', status_code: 'failed', error: null, run: { id: 'r', failure_message: 'boom', failure_code: 'E1' } },
      0,
    );
    expect(item.failure).toEqual({ code: 'E1', message: 'boom' });
    expect(runflowBatchItem({ id: 'y', status_code: 'failed' }, 0).failure?.message).toMatch(/without an error/);
  });
});
