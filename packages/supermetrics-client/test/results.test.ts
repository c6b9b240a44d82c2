import { InvalidResponseError, JobFailedError, NotFoundError, ValidationError } from '@batchwatch/core';
import { jobResults, ResultLimitError, ResultsNotReadyError } from '@batchwatch/core/results';
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
import {
  createSupermetricsClient,
  supermetricsBatch,
  supermetricsBatchQueryItem,
  supermetricsQueryRows,
  supermetricsQueryStatus,
} from '../src/index.js';

const KEY = 'sm_api_SECRETKEY_0123';
const QUERY = 'abc123';
const BATCH = 'qrb_3feb5ff5c71e';
const FAST = { minIntervalMs: 10, initialIntervalMs: 10, maxIntervalMs: 40 } as const;

let server: RecordingServer;
beforeEach(async () => {
  server = await startRecordingServer();
});
afterEach(async () => {
  await server.close();
});

const client = () => createSupermetricsClient({ apiKey: KEY, baseUrl: server.url });
const url = (r: RecordedRequest) => new URL(r.url, 'http://x');
const jsonOf = (r: RecordedRequest) => JSON.parse(url(r).searchParams.get('json') ?? '{}');
const ids = (items: Array<{ id: string }>) => items.map((i) => i.id);
const rowIds = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => String(from + i));
const row = (i: number) => ({ date: `2026-01-${String((i % 28) + 1).padStart(2, '0')}`, sessions: i });

interface RowsScript {
  /** Rows the query has at the n-th request (0-based). */
  total: (n: number) => number;
  /** Send `meta.paginate` links. */
  paginate?: boolean;
  /** Answer the n-th request with this instead. */
  fault?: (n: number) => ScriptedResponse | undefined;
  status?: string;
}

/** Answers `GET /query/status` pages of a query with `total` rows (inclusive offset_end, as documented). */
function serveRows(script: RowsScript): void {
  let n = 0;
  server.respond((r) => {
    const k = n++;
    const fault = script.fault?.(k);
    if (fault) return fault;
    const { offset_start: start = 0, offset_end: end = Number.MAX_SAFE_INTEGER } = jsonOf(r);
    const total = script.total(k);
    const status = script.status ?? 'SUCCESS';
    const data = [];
    if (status === 'SUCCESS') for (let i = start; i <= Math.min(end, total - 1, start + 9_999); i++) data.push(row(i));
    const after = start + data.length;
    const meta: Record<string, unknown> = { schedule_id: QUERY, status_code: status };
    if (script.paginate) meta.paginate = { prev: null, next: after < total ? `${server.url}/next` : null };
    return { body: { meta, data } };
  });
}

describe('supermetricsQueryRows (GET /query/status pages)', () => {
  it('should page offset_start / offset_end and stop on a short page without paginate', async () => {
    serveRows({ total: () => 25 });
    const items = await jobResults(supermetricsQueryStatus(client()), QUERY, { pageSize: 10 }).toArray({ max: 100 });
    expect(ids(items)).toEqual(rowIds(0, 25));
    expect(items[24]).toEqual({ id: '24', index: 24, status: 'succeeded', raw: row(24) });
    expect(server.requests.map((r) => [jsonOf(r).offset_start, jsonOf(r).offset_end])).toEqual([
      [0, 9],
      [10, 19],
      [20, 29],
    ]);
    expect(jsonOf(server.requests[0] as RecordedRequest).schedule_id).toBe(QUERY);
    expect(server.requests[0]?.headers.authorization).toBe(`Bearer ${KEY}`);
  });

  it('should stop at the last page when meta.paginate.next is null', async () => {
    serveRows({ total: () => 25, paginate: true });
    const items = await jobResults(supermetricsQueryStatus(client()), QUERY, { pageSize: 10 }).toArray({ max: 100 });
    expect(ids(items)).toEqual(rowIds(0, 25));
    expect(server.requests).toHaveLength(3);
  });

  it('should deliver no rows for an empty result after one request', async () => {
    serveRows({ total: () => 0, paginate: true });
    expect(await jobResults(supermetricsQueryStatus(client()), QUERY).toArray({ max: 10 })).toEqual([]);
    expect(server.requests).toHaveLength(1);
    expect(jsonOf(server.requests[0] as RecordedRequest)).toMatchObject({ offset_start: 0, offset_end: 9_999 });
  });

  it('should read on after a page one row short (offset_end counted exclusively) and stop on a shorter one', async () => {
    server.respond((r) => {
      const { offset_start: start, offset_end: end } = jsonOf(r);
      const data = [];
      for (let i = start; i < Math.min(end, 20); i++) data.push(row(i));
      return { body: { meta: { schedule_id: QUERY, status_code: 'SUCCESS' }, data } };
    });
    const items = await jobResults(supermetricsQueryStatus(client()), QUERY, { pageSize: 10 }).toArray({ max: 100 });
    expect(ids(items)).toEqual(rowIds(0, 20));
    expect(server.requests.map((r) => jsonOf(r).offset_start)).toEqual([0, 9, 18]);
  });

  it('should end after one request when the provider ignores the offsets and sends the same few rows', async () => {
    server.respond(() => {
      if (server.requests.length > 20) return { status: 404, body: { error: { code: 'LOOP', message: 'a loop' } } };
      return { body: { meta: { schedule_id: QUERY, status_code: 'SUCCESS' }, data: [row(0), row(1), row(2)] } };
    });
    const items = await jobResults(supermetricsQueryStatus(client()), QUERY, { pageSize: 10 }).toArray({ max: 100 });
    expect(ids(items)).toEqual(rowIds(0, 3));
    expect(server.requests).toHaveLength(1);
  });

  it('should refuse a page with more rows than offset_start..offset_end asked for (InvalidResponseError)', async () => {
    server.respond(() => {
      if (server.requests.length > 20) return { status: 404, body: { error: { code: 'LOOP', message: 'a loop' } } };
      const data = Array.from({ length: 25 }, (_, i) => row(i));
      return { body: { meta: { schedule_id: QUERY, status_code: 'SUCCESS' }, data } };
    });
    const error = await jobResults(supermetricsQueryStatus(client()), QUERY, {
      pageSize: 10,
      clock: instantClock(),
      maxConsecutiveErrors: 0,
    })
      .toArray({ max: 1_000 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidResponseError);
    expect((error as Error).message).toMatch(/25 rows for offsets 0-9/);
    expect(server.requests).toHaveLength(1);
  });

  it('should keep reading when the row count grows between pages', async () => {
    serveRows({ total: (n) => (n === 0 ? 15 : 32), paginate: true });
    const items = await jobResults(supermetricsQueryStatus(client()), QUERY, { pageSize: 10 }).toArray({ max: 100 });
    expect(ids(items)).toEqual(rowIds(0, 32));
  });

  it('should retry a page that failed once at the same offsets: no duplicate, no gap', async () => {
    const clock = instantClock();
    serveRows({
      total: () => 30,
      paginate: true,
      fault: (n) =>
        n === 1 ? { status: 500, body: { error: { code: 'INTERNAL_SERVER_ERROR', message: 'x' } } } : undefined,
    });
    const items = await jobResults(supermetricsQueryStatus(client()), QUERY, {
      pageSize: 10,
      clock,
      ...FAST,
    }).toArray({ max: 100 });
    expect(ids(items)).toEqual(rowIds(0, 30));
    expect(server.requests.map((r) => jsonOf(r).offset_start)).toEqual([0, 10, 10, 20]);
    expect(clock.waits).toHaveLength(1);
  });

  it('should wait for Retry-After on a 429 before asking for the page again', async () => {
    const clock = instantClock();
    serveRows({
      total: () => 12,
      paginate: true,
      fault: (n) =>
        n === 1
          ? {
              status: 429,
              headers: { 'Retry-After': '3' },
              body: { error: { code: 'TOO_MANY_REQUESTS', message: 'Rate limit exceeded. Retry later.' } },
            }
          : undefined,
    });
    const errors: unknown[] = [];
    const items = await jobResults(supermetricsQueryStatus(client()), QUERY, {
      pageSize: 10,
      clock,
      onPageError: (_e, info) => errors.push(info),
    }).toArray({ max: 100 });
    expect(ids(items)).toEqual(rowIds(0, 12));
    expect(clock.waits).toEqual([3_000]);
    expect(errors).toEqual([{ page: 1, attempt: 1, willRetry: true, delayMs: 3_000 }]);
  });

  it('should stop mid-stream on abort: no request after it, no timer or socket left', async () => {
    const baseline = activeResources();
    serveRows({ total: () => 30, paginate: true, fault: (n) => (n === 1 ? { hang: true } : undefined) });
    const controller = new AbortController();
    const reason = new Error('stop');
    const seen: string[] = [];
    const run = (async () => {
      for await (const item of jobResults(supermetricsQueryStatus(client()), QUERY, {
        pageSize: 10,
        signal: controller.signal,
      })) {
        seen.push(item.id);
        if (item.index === 3) {
          while (server.requests.length < 2) await new Promise((r) => setTimeout(r, 5));
          controller.abort(reason);
        }
      }
    })();
    await expect(run).rejects.toBe(reason);
    expect(seen).toEqual(rowIds(0, 4));
    await new Promise((r) => setTimeout(r, 30));
    expect(server.requests).toHaveLength(2);
    await expectNoLeaks(baseline);
  });

  it('should refuse rows of a query that is not finished, failed or stopped', async () => {
    serveRows({ total: () => 5, status: 'RUNNING' });
    await expect(jobResults(supermetricsQueryStatus(client()), QUERY).toArray({ max: 9 })).rejects.toBeInstanceOf(
      ResultsNotReadyError,
    );
    serveRows({ total: () => 5, status: 'FAILURE' });
    await expect(jobResults(supermetricsQueryStatus(client()), QUERY).toArray({ max: 9 })).rejects.toBeInstanceOf(
      JobFailedError,
    );
    server.respond(() => ({ status: 404, body: { error: 'STATUS_NOT_FOUND' } }));
    await expect(jobResults(supermetricsQueryStatus(client()), QUERY).toArray({ max: 9 })).rejects.toBeInstanceOf(
      NotFoundError,
    );
  });

  it('should refuse to collect more rows than max', async () => {
    serveRows({ total: () => 25, paginate: true });
    const stream = jobResults(supermetricsQueryStatus(client()), QUERY, { pageSize: 10, prefetch: 0 });
    await expect(stream.toArray({ max: 15 })).rejects.toBeInstanceOf(ResultLimitError);
    expect(server.requests).toHaveLength(2);
  });

  it('should validate the page size and id against the spec before any request', () => {
    const source = supermetricsQueryStatus(client());
    expect(() => jobResults(source, QUERY, { pageSize: 10_001 })).toThrow(ValidationError);
    expect(() => jobResults(source, 'has space')).toThrow(ValidationError);
    expect(() =>
      jobResults(supermetricsQueryRows(client(), { endpoint: 'results' }), QUERY, { pageSize: 100_001 }),
    ).toThrow(/pageSize/);
    expect(server.requests).toHaveLength(0);
  });
});

describe("supermetricsQueryRows({ endpoint: 'results' })", () => {
  it('should page GET /query/results with offset / limit until total_rows', async () => {
    server.respond((r) => {
      const q = url(r).searchParams;
      const offset = Number(q.get('offset'));
      const limit = Number(q.get('limit'));
      const data = [];
      for (let i = offset; i < Math.min(7, offset + limit); i++) data.push(row(i));
      return { body: { meta: { total_rows: 7 }, data } };
    });
    const pager = supermetricsQueryRows(client(), { endpoint: 'results' });
    const items = await jobResults(pager, `${BATCH}_query_1`, { pageSize: 3 }).toArray({ max: 10 });
    expect(ids(items)).toEqual(rowIds(0, 7));
    expect(server.requests.map((r) => url(r).search)).toEqual([
      `?schedule_id=${BATCH}_query_1&offset=0&limit=3`,
      `?schedule_id=${BATCH}_query_1&offset=3&limit=3`,
      `?schedule_id=${BATCH}_query_1&offset=6&limit=3`,
    ]);
  });

  it('should refuse a CSV body at once instead of retrying it', async () => {
    server.respond(() => ({ headers: { 'content-type': 'text/csv' }, body: 'date,sessions\n2026-01-01,3\n' }));
    const pager = supermetricsQueryRows(client(), { endpoint: 'results' });
    await expect(jobResults(pager, QUERY).toArray({ max: 10 })).rejects.toThrow(/JSON results.*text\/csv/);
    expect(server.requests).toHaveLength(1);
  });
});

describe("supermetricsQueryRows({ endpoint: 'results', format: 'csv' | 'tsv' })", () => {
  const CSV = { 'content-type': 'text/csv; charset=utf-8' };
  /** Answers CSV pages of a query with `total` rows, a header on every page; the n-th request fails when `fault(n)`. */
  function serveCsv(total: number, fault?: (n: number) => boolean): void {
    let n = 0;
    server.respond((r) => {
      if (fault?.(n++)) return { status: 500, body: { error: { code: 'INTERNAL_SERVER_ERROR', message: 'x' } } };
      const q = url(r).searchParams;
      const offset = Number(q.get('offset'));
      const lines = ['date,sessions'];
      for (let i = offset; i < Math.min(total, offset + Number(q.get('limit'))); i++) {
        lines.push(`${row(i).date},${i}`);
      }
      return { headers: CSV, body: `${lines.join('\r\n')}\r\n` };
    });
  }
  const csvRows = (c = client()) => supermetricsQueryRows(c, { endpoint: 'results', format: 'csv' });

  it('should page CSV with offset / limit, a header on every page, until a header-only page', async () => {
    serveCsv(8);
    const items = await jobResults(csvRows(), QUERY, { pageSize: 3 }).collect({ max: 20 });
    expect(ids(items)).toEqual(rowIds(0, 8));
    expect(items.map((i) => i.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(items[7]).toEqual({ id: '7', index: 7, status: 'succeeded', raw: { date: row(7).date, sessions: '7' } });
    expect(server.requests.map((r) => url(r).searchParams.get('offset'))).toEqual(['0', '3', '6', '8']);
    expect(server.requests.map((r) => url(r).searchParams.get('limit'))).toEqual(['3', '3', '3', '3']);
    expect(server.requests[0]?.headers.accept).toBe('text/csv');
  });

  it('should parse quoted fields with commas, quotes and line breaks, and end on an empty body', async () => {
    const page =
      '\uFEFFname,note,n\r\n' +
      '"Smith, Jane","said ""hi""",1\r\n' +
      '"two\nlines","crlf\r\ninside",2\n' +
      'plain,,3\n' +
      '"",x"y,4';
    let n = 0;
    server.respond(() => ({ headers: CSV, body: n++ === 0 ? page : '' }));
    const items = await jobResults(csvRows(), QUERY, { pageSize: 10 }).toArray({ max: 10 });
    expect(items.map((i) => i.raw)).toEqual([
      { name: 'Smith, Jane', note: 'said "hi"', n: '1' },
      { name: 'two\nlines', note: 'crlf\r\ninside', n: '2' },
      { name: 'plain', note: '', n: '3' },
      { name: '', note: 'x"y', n: '4' },
    ]);
    expect(ids(items)).toEqual(rowIds(0, 4));
    expect(server.requests.map((r) => url(r).searchParams.get('offset'))).toEqual(['0', '4']);
  });

  it('should retry a CSV page that failed once at the same offset: no duplicate, no gap', async () => {
    const clock = instantClock();
    serveCsv(7, (n) => n === 1);
    const items = await jobResults(csvRows(), QUERY, { pageSize: 3, clock, ...FAST }).collect({ max: 20 });
    expect(ids(items)).toEqual(rowIds(0, 7));
    expect(server.requests.map((r) => url(r).searchParams.get('offset'))).toEqual(['0', '3', '3', '6', '7']);
    expect(clock.waits).toHaveLength(1);
  });

  it('should split TSV pages on tabs, keyed by each page header', async () => {
    server.respond((r) => {
      const offset = Number(url(r).searchParams.get('offset'));
      const rows = offset >= 4 ? '' : `2026-01-0${offset + 1}\t"${offset}"\n2026-01-0${offset + 2}\t9\n`;
      return { headers: { 'content-type': 'text/tab-separated-values' }, body: `date\tsessions\n${rows}` };
    });
    const pager = supermetricsQueryRows(client(), { endpoint: 'results', format: 'tsv' });
    const items = await jobResults(pager, QUERY, { pageSize: 2 }).toArray({ max: 10 });
    expect(items.map((i) => [i.id, i.raw])).toEqual([
      ['0', { date: '2026-01-01', sessions: '"0"' }],
      ['1', { date: '2026-01-02', sessions: '9' }],
      ['2', { date: '2026-01-03', sessions: '"2"' }],
      ['3', { date: '2026-01-04', sessions: '9' }],
    ]);
    expect(server.requests[0]?.headers.accept).toBe('text/tab-separated-values');
  });

  it('should refuse a JSON body or an unterminated quote, and CSV from GET /query/status', async () => {
    server.respond(() => ({ body: { data: [] } }));
    await expect(jobResults(csvRows(), QUERY).toArray({ max: 10 })).rejects.toThrow(/csv results.*json/);
    expect(server.requests).toHaveLength(1);
    // A truncated page is an unreadable body: retried like one, then given up.
    server.respond(() => ({ headers: CSV, body: 'a,b\n"open,1\n' }));
    const retry = { clock: instantClock(), ...FAST, maxConsecutiveErrors: 1 };
    await expect(jobResults(csvRows(), QUERY, retry).toArray({ max: 10 })).rejects.toBeInstanceOf(InvalidResponseError);
    expect(server.requests).toHaveLength(3);
    expect(() => supermetricsQueryRows(client(), { format: 'csv' })).toThrow(ValidationError);
    expect(() => supermetricsQueryRows(client(), { endpoint: 'results', format: 'xml' as 'csv' })).toThrow(/format/);
  });
});

describe('supermetricsBatchQueries (GET /query/batch/{id}/status pages)', () => {
  const query = (i: number, status: string) => ({
    '@type': 'batch_query',
    schedule_id: `${BATCH}_query_${i + 1}`,
    status_code: status,
    error_info:
      status === 'FAILURE'
        ? { status: 500, code: 'QUERY_ACCOUNT_UNAVAILABLE', message: 'Account is not available', description: 'gone' }
        : null,
    ...(status === 'SUCCESS' ? { results_info: { total_rows: 3, results_url: `${server.url}/query/results` } } : {}),
  });

  /** Serves a batch whose query count is `total(n)` at the n-th request; query 3 fails. */
  function serveBatch(total: (n: number) => number, options: { batchStatus?: string; fault?: number } = {}): void {
    let n = 0;
    server.respond((r) => {
      const k = n++;
      if (k === options.fault) return { status: 503, body: { error: { code: 'SERVICE_UNAVAILABLE', message: 'x' } } };
      const q = url(r).searchParams;
      const offset = Number(q.get('offset'));
      const limit = Number(q.get('limit'));
      const count = total(k);
      const data = [];
      for (let i = offset; i < Math.min(count, offset + limit); i++) {
        data.push(query(i, i === 2 ? 'FAILURE' : options.batchStatus === 'STOPPED' && i > 4 ? 'QUEUED' : 'SUCCESS'));
      }
      return {
        body: {
          meta: { status_code: options.batchStatus ?? 'STOPPED', paginate: { offset, limit, total: count } },
          data,
        },
      };
    });
  }

  it('should list every query with its error_info as failure and stop at paginate.total', async () => {
    serveBatch(() => 5);
    const items = await jobResults(supermetricsBatch(client()), BATCH, { pageSize: 2 }).toArray({ max: 10 });
    expect(items.map((i) => [i.index, i.status])).toEqual([
      [0, 'succeeded'],
      [1, 'succeeded'],
      [2, 'failed'],
      [3, 'succeeded'],
      [4, 'succeeded'],
    ]);
    expect(items[2]).toMatchObject({
      id: `${BATCH}_query_3`,
      failure: { code: 'QUERY_ACCOUNT_UNAVAILABLE', message: 'Account is not available: gone' },
    });
    expect(server.requests.map((r) => url(r).pathname + url(r).search)).toEqual([
      `/query/batch/${BATCH}/status?offset=0&limit=2`,
      `/query/batch/${BATCH}/status?offset=2&limit=2`,
      `/query/batch/${BATCH}/status?offset=4&limit=2`,
    ]);
  });

  it('should deliver an empty batch after one request', async () => {
    serveBatch(() => 0);
    expect(await jobResults(supermetricsBatch(client()), BATCH).toArray({ max: 10 })).toEqual([]);
    expect(url(server.requests[0] as RecordedRequest).search).toBe('?offset=0&limit=1000');
  });

  it('should retry a failed page once at the same offset', async () => {
    const clock = instantClock();
    serveBatch(() => 7, { fault: 1 });
    const items = await jobResults(supermetricsBatch(client()), BATCH, { pageSize: 3, clock, ...FAST }).toArray({
      max: 10,
    });
    expect(items.map((i) => i.index)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(server.requests.map((r) => url(r).searchParams.get('offset'))).toEqual(['0', '3', '3', '6']);
  });

  it("should stop at the batch's own query count when paginate.total claims 1e15", async () => {
    server.respond((r) => {
      if (server.requests.length > 20) return { status: 404, body: { error: { code: 'LOOP', message: 'a loop' } } };
      const offset = Number(url(r).searchParams.get('offset'));
      return {
        body: {
          meta: {
            status_code: 'STOPPED',
            progress: { queued: 0, running: 0, success: 3, failure: 1 },
            paginate: { offset, limit: 2, total: 1e15 },
          },
          data: [query(offset, 'SUCCESS'), query(offset + 1, 'SUCCESS')],
        },
      };
    });
    const items = await jobResults(supermetricsBatch(client()), BATCH, { pageSize: 2 }).toArray({ max: 1_000 });
    expect(items.map((i) => i.index)).toEqual([0, 1, 2, 3]);
    expect(server.requests).toHaveLength(2);
  });

  it('should report queries a stopped batch never ran as cancelled', async () => {
    serveBatch(() => 7, { batchStatus: 'STOPPED' });
    const items = await jobResults(supermetricsBatch(client()), BATCH).toArray({ max: 10 });
    expect(items.slice(5).map((i) => i.status)).toEqual(['cancelled', 'cancelled']);
  });

  // Every documented per-query status_code goes mock -> client in packages/msw/test/vocabulary.test.ts.
  it('should read an undocumented per-query status as unknown, and one without a status from its info', () => {
    expect(supermetricsBatchQueryItem({ status_code: 'PAUSED' }, 4).status).toBe('unknown');
    expect(supermetricsBatchQueryItem({ status_code: 'QUEUED' }, 4).status).toBe('pending');
    expect(supermetricsBatchQueryItem({ result_info: { total_rows: 1 } }, 4)).toMatchObject({
      id: '4',
      status: 'succeeded',
    });
    expect(supermetricsBatchQueryItem({ status_code: 'FAILURE' }, 0).failure?.message).toMatch(/without error_info/);
  });

  it('should validate the page size against the spec (limit <= 1000)', () => {
    expect(() => jobResults(supermetricsBatch(client()), BATCH, { pageSize: 1_001 })).toThrow(
      /pageSize: expected an integer from 1 to 1000/,
    );
  });
});
