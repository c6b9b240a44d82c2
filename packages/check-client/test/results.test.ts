import { InvalidResponseError, ServerError, ValidationError } from '@batchwatch/core';
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
import { checkBatch, checkBatchResults, checkResultItem, createCheckClient } from '../src/index.js';

const BATCH = 'batch_a1b2c3d4e5f6';
const KEY = 'vfy_live_SECRET_key_123';
const FAST = { minIntervalMs: 10, initialIntervalMs: 10, maxIntervalMs: 40 } as const;

let server: RecordingServer;
beforeEach(async () => {
  server = await startRecordingServer();
});
afterEach(async () => {
  await server.close();
});

const client = () => createCheckClient({ apiKey: KEY, baseUrl: server.url });
const query = (r: RecordedRequest) => new URL(r.url, 'http://x').searchParams;
const itemId = (i: number) => `item_${String(i + 1).padStart(3, '0')}`;
const ids = (items: Array<{ id: string }>) => items.map((i) => i.id);
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => itemId(from + i));

/** An item result; every 5th one failed, the last ones were skipped by a cancel when `skipFrom` is set. */
function result(i: number, skipFrom = Number.POSITIVE_INFINITY) {
  const status = i >= skipFrom ? 'skipped' : i % 5 === 4 ? 'failed' : 'completed';
  return {
    id: itemId(i),
    itemIndex: i,
    status,
    verdict: status === 'completed' ? 'true' : null,
    errorMessage: status === 'failed' ? 'Verification timed out' : null,
  };
}

/** Serves `GET /v1/batch/{id}/results` with `limit` / `offset` / `hasMore` over `total(n)` items at request n. */
function serveResults(
  total: (n: number) => number,
  options: { fault?: (n: number) => ScriptedResponse | undefined; skipFrom?: number } = {},
): void {
  let n = 0;
  server.respond((r) => {
    const k = n++;
    const answer = options.fault?.(k);
    if (answer) return answer;
    const q = query(r);
    const offset = Number(q.get('offset') ?? 0);
    const limit = Number(q.get('limit') ?? 20);
    const count = total(k);
    const items = [];
    for (let i = offset; i < Math.min(count, offset + limit); i++) items.push(result(i, options.skipFrom));
    return {
      body: {
        batch: { id: BATCH, status: 'completed', totalItems: count },
        items,
        pagination: { total: count, limit, offset, hasMore: offset + items.length < count },
      },
    };
  });
}

describe('checkBatchResults (GET /v1/batch/{id}/results)', () => {
  it('should page limit / offset while hasMore, with errorMessage as failure', async () => {
    serveResults(() => 7);
    const items = await jobResults(checkBatch(client()), BATCH, { pageSize: 3 }).toArray({ max: 10 });
    expect(ids(items)).toEqual(range(0, 7));
    expect(items[4]).toMatchObject({ index: 4, status: 'failed', failure: { message: 'Verification timed out' } });
    expect(server.requests.map((r) => r.url)).toEqual([
      `/v1/batch/${BATCH}/results?limit=3&offset=0`,
      `/v1/batch/${BATCH}/results?limit=3&offset=3`,
      `/v1/batch/${BATCH}/results?limit=3&offset=6`,
    ]);
    expect(server.requests[0]?.headers.authorization).toBe(`Bearer ${KEY}`);
  });

  it('should deliver an empty batch after one request with the largest page', async () => {
    serveResults(() => 0);
    expect(await jobResults(checkBatch(client()), BATCH).toArray({ max: 10 })).toEqual([]);
    expect(server.requests.map((r) => r.url)).toEqual([`/v1/batch/${BATCH}/results?limit=100&offset=0`]);
  });

  it('should refuse a total that grows mid-read: more items than the first page said is InvalidResponseError', async () => {
    serveResults((n) => [5, 8, 8][n] ?? 8);
    const pages: unknown[] = [];
    const error = await (async () => {
      for await (const page of jobResults(checkBatch(client()), BATCH, { pageSize: 3 }).pages()) {
        pages.push([page.total, ids(page.items)]);
      }
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidResponseError);
    expect(pages).toEqual([[5, range(0, 3)]]);
  });

  it('should stop at pagination.total when hasMore stays true and the same page comes back', async () => {
    server.respond(() => {
      if (server.requests.length > 10) return { status: 500, body: { error: { code: 'LOOP', message: 'a loop' } } };
      return {
        body: {
          batch: { id: BATCH, status: 'completed', totalItems: 2 },
          items: [result(0), result(1)],
          pagination: { total: 2, limit: 100, offset: 0, hasMore: true },
        },
      };
    });
    const items = await jobResults(checkBatch(client()), BATCH).toArray({ max: 100 });
    expect(ids(items)).toEqual(range(0, 2));
    expect(server.requests).toHaveLength(1);
  });

  it("should stop at the batch's totalItems when pagination.total claims more", async () => {
    server.respond((r) => {
      if (server.requests.length > 10) return { status: 500, body: { error: { code: 'LOOP', message: 'a loop' } } };
      const offset = Number(query(r).get('offset'));
      return {
        body: {
          batch: { id: BATCH, status: 'completed', totalItems: 4 },
          items: [result(offset), result(offset + 1)],
          pagination: { total: 1e15, limit: 2, offset, hasMore: true },
        },
      };
    });
    const items = await jobResults(checkBatch(client()), BATCH, { pageSize: 2 }).toArray({ max: 100 });
    expect(ids(items)).toEqual(range(0, 4));
    expect(server.requests).toHaveLength(2);
  });

  it('should retry a page that failed once at the same offset: no duplicate, no gap', async () => {
    const clock = instantClock();
    const errors: unknown[] = [];
    serveResults(() => 9, {
      fault: (n) => (n === 2 ? { status: 500, body: { error: { code: 'internal_error', message: 'x' } } } : undefined),
    });
    const items = await jobResults(checkBatch(client()), BATCH, {
      pageSize: 3,
      clock,
      ...FAST,
      onPageError: (e) => errors.push(e),
    }).toArray({ max: 20 });
    expect(ids(items)).toEqual(range(0, 9));
    expect(server.requests.map((r) => query(r).get('offset'))).toEqual(['0', '3', '6', '6']);
    expect(errors).toEqual([expect.any(ServerError)]);
  });

  it('should wait for Retry-After on a 429', async () => {
    const clock = instantClock();
    serveResults(() => 4, {
      fault: (n) =>
        n === 0
          ? {
              status: 429,
              headers: { 'Retry-After': '5' },
              body: { error: { code: 'rate_limited', message: 'Rate limit exceeded.', retryAfter: 5 } },
            }
          : undefined,
    });
    const items = await jobResults(checkBatch(client()), BATCH, { clock }).toArray({ max: 20 });
    expect(ids(items)).toEqual(range(0, 4));
    expect(clock.waits).toEqual([5_000]);
  });

  it('should stop mid-stream on abort: no request after it, no timer or socket left', async () => {
    const baseline = activeResources();
    serveResults(() => 9, { fault: (n) => (n === 1 ? { hang: true } : undefined) });
    const controller = new AbortController();
    const it = jobResults(checkBatch(client()), BATCH, { pageSize: 3, signal: controller.signal })[
      Symbol.asyncIterator
    ]();
    expect((await it.next()).value?.id).toBe(itemId(0));
    while (server.requests.length < 2) await new Promise((r) => setTimeout(r, 5));
    controller.abort(new Error('stop'));
    await expect(it.next()).rejects.toThrow('stop');
    await new Promise((r) => setTimeout(r, 30));
    expect(server.requests).toHaveLength(2);
    await expectNoLeaks(baseline);
  });

  it('should pass the status filter and report skipped items', async () => {
    serveResults(() => 6, { skipFrom: 4 });
    const pager = checkBatchResults(client(), { status: 'skipped' });
    const items = await jobResults(pager, BATCH).toArray({ max: 10 });
    expect(query(server.requests[0] as RecordedRequest).get('status')).toBe('skipped');
    expect(items.slice(4).map((i) => i.status)).toEqual(['skipped', 'skipped']);
  });

  it('should fail an empty page that claims more (it moves nothing forward) with InvalidResponseError', async () => {
    server.respond(() => ({
      body: {
        batch: { id: BATCH, status: 'completed' },
        items: [],
        pagination: { total: 3, limit: 100, offset: 0, hasMore: true },
      },
    }));
    const error = await jobResults(checkBatch(client()), BATCH, { clock: instantClock(), ...FAST })
      .toArray({ max: 10 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidResponseError);
    expect((error as Error).message).toMatch(/no items but named a next page/);
    expect(server.requests).toHaveLength(1);
  });

  it('should refuse to collect more items than max', async () => {
    serveResults(() => 9);
    await expect(
      jobResults(checkBatch(client()), BATCH, { pageSize: 3, prefetch: 0 }).toArray({ max: 3 }),
    ).rejects.toBeInstanceOf(ResultLimitError);
    expect(server.requests).toHaveLength(2);
  });

  it('should validate the id and page size (limit <= 100) before any request', () => {
    expect(() => jobResults(checkBatch(client()), BATCH, { pageSize: 101 })).toThrow(/from 1 to 100/);
    expect(() => jobResults(checkBatch(client()), 'nope')).toThrow(ValidationError);
    expect(server.requests).toHaveLength(0);
  });
});

// Every documented item status goes mock -> client in packages/msw/test/vocabulary.test.ts.
describe('checkResultItem', () => {
  it('should read an undocumented item status as unknown, a failed one without a message with a default', () => {
    expect(checkResultItem({ id: 'item_9', status: 'archived' }, 8)).toEqual({
      id: 'item_9',
      index: 8,
      status: 'unknown',
      raw: { id: 'item_9', status: 'archived' },
    });
    expect(checkResultItem({ id: 'item_1', status: 'failed' }, 0).failure?.message).toMatch(/without an errorMessage/);
  });
});
