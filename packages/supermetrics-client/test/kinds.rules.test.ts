// Supermetrics' job kinds as rules: which endpoint each read and page comes from, how counts,
// failures, timestamps and result rows of the documented bodies (provider-notes §1.4-§1.6, the
// seeds and specs/supermetrics) become batchwatch's model, and what an odd body does.
import { InvalidResponseError, JobCancelledError, JobFailedError, ValidationError } from '@batchwatch/core';
import { jobResults } from '@batchwatch/core/results';
import { instantClock, type RecordedRequest, type RecordingServer, startRecordingServer } from '@batchwatch/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createSupermetricsClient,
  type SupermetricsBatchRaw,
  supermetricsBatch,
  supermetricsBatchKind,
  supermetricsBatchQueryItem,
  supermetricsBatchSnapshot,
  supermetricsParamRules,
  supermetricsQueryKind,
  supermetricsQueryRows,
  supermetricsQuerySnapshot,
  supermetricsQueryStatus,
} from '../src/index.js';
import { example } from './fixtures.js';

const KEY = 'sm_api_SECRETKEY_0123';
const QUERY = 'abc123';
const BATCH = 'qrb_3feb5ff5c71e';
const ctx = () => ({ signal: new AbortController().signal, now: () => 5_000 });
const once = { clock: instantClock(), maxConsecutiveErrors: 0 };

let server: RecordingServer;
beforeEach(async () => {
  server = await startRecordingServer();
});
afterEach(async () => {
  await server.close();
});

const client = () => createSupermetricsClient({ apiKey: KEY, baseUrl: server.url });
const url = (r: RecordedRequest | undefined) => new URL(r?.url ?? '/', 'http://x');
const jsonOf = (r: RecordedRequest | undefined) => JSON.parse(url(r).searchParams.get('json') ?? '{}');
const paths = () => server.requests.map((r) => url(r).pathname);
const row = (i: number) => ({ date: `2026-01-${String(i + 1).padStart(2, '0')}`, sessions: i });

describe('the query kind (GET /query/status)', () => {
  it('should poll GET /query/status with only the schedule id in json= when no offsets are given', async () => {
    server.respond(() => ({ body: example('query-status-200-running.json') }));
    await supermetricsQueryStatus(client()).fetchSnapshot(QUERY, ctx());
    expect(paths()).toEqual(['/query/status']);
    expect(url(server.requests[0]).searchParams.get('json')).toBe(`{"schedule_id":"${QUERY}"}`);
  });

  it.each([
    ['FAILURE', { code: 'FAILURE', message: 'the query stopped and failed' }],
    ['PROCESS_EXITED', { code: 'PROCESS_EXITED', message: 'the query process exited' }],
  ])('should give a %s query its failure', (code, failure) => {
    expect(supermetricsQuerySnapshot({ meta: { status_code: code } }, 0, QUERY).failure).toEqual(failure);
  });

  it.each(['SCHEDULED', 'QUEUED', 'RUNNING', 'SUCCESS', 'STOPPED', 'PAUSED'])(
    'should give a %s query no failure',
    (code) => {
      expect(supermetricsQuerySnapshot({ meta: { status_code: code } }, 0, QUERY)).not.toHaveProperty('failure');
    },
  );
});

describe('the rows of a query (GET /query/status pages)', () => {
  const page = (meta: Record<string, unknown>, data: unknown[] = []) => ({ body: { meta, data } });

  it('should read its pages from GET /query/status', async () => {
    server.respond(() => page({ status_code: 'SUCCESS' }, [row(0)]));
    await jobResults(supermetricsQueryStatus(client()), QUERY, { pageSize: 10 }).toArray({ max: 10 });
    expect(paths()).toEqual(['/query/status']);
  });

  it.each([
    ['STOPPED', JobCancelledError],
    ['FAILURE', JobFailedError],
    ['PROCESS_EXITED', JobFailedError],
  ] as const)('should refuse the rows of a %s query with %s', async (code, type) => {
    server.respond(() => page({ schedule_id: QUERY, status_code: code }));
    const error = await jobResults(supermetricsQueryStatus(client()), QUERY)
      .toArray({ max: 10 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(type);
    expect((error as JobFailedError).snapshot).toMatchObject({ id: QUERY, rawStatus: code });
  });

  it('should refuse a page without meta as an InvalidResponseError naming meta.status_code', async () => {
    server.respond(() => ({ body: { data: [row(0)] } }));
    const error = await jobResults(supermetricsQueryStatus(client()), QUERY, once)
      .toArray({ max: 10 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidResponseError);
    expect((error as Error).message).toMatch(/meta\.status_code/);
  });

  it.each([null, ''])('should end after a full page whose meta.paginate.next is %j', async (next) => {
    server.respond(() =>
      page({ status_code: 'SUCCESS', paginate: { prev: null, next } }, [row(0), row(1), row(2), row(3)]),
    );
    const rows = await jobResults(supermetricsQueryStatus(client()), QUERY, { pageSize: 4 }).toArray({ max: 100 });
    expect(rows).toHaveLength(4);
    expect(server.requests).toHaveLength(1);
  });

  it('should end on a page without rows even when meta.paginate.next names another', async () => {
    server.respond(() => page({ status_code: 'SUCCESS', paginate: { prev: null, next: `${server.url}/next` } }));
    expect(await jobResults(supermetricsQueryStatus(client()), QUERY).toArray({ max: 10 })).toEqual([]);
    expect(server.requests).toHaveLength(1);
  });

  it('should ask for no row past offset 1,000,000 (the most rows a query has)', async () => {
    server.respond(() => page({ status_code: 'SUCCESS' }, [row(0)]));
    const pager = supermetricsQueryRows(client());
    const result = await pager.fetchPage(QUERY, '999995', { ...ctx(), pageSize: 10, page: 0, seen: 0 });
    expect(jsonOf(server.requests[0])).toEqual({ schedule_id: QUERY, offset_start: 999_995, offset_end: 1_000_000 });
    expect(result.items.map((i) => i.index)).toEqual([999_995]);
  });
});

describe("the rows of a query as JSON (GET /query/results, format: 'json')", () => {
  const jsonRows = () => supermetricsQueryRows(client(), { endpoint: 'results' });

  it('should read a body without a content-type as JSON', async () => {
    server.respond(() => ({ body: { meta: { total_rows: 2 }, data: [row(0), row(1)] } }));
    // The same server, with the content-type header taken off the answer.
    const bare = createSupermetricsClient({
      apiKey: KEY,
      baseUrl: server.url,
      fetch: async (request) => {
        const answer = await fetch(request);
        const headers = new Headers(answer.headers);
        headers.delete('content-type');
        return new Response(new Uint8Array(await answer.arrayBuffer()), { status: answer.status, headers });
      },
    });
    const rows = await jobResults(supermetricsQueryRows(bare, { endpoint: 'results' }), QUERY).toArray({ max: 10 });
    expect(rows.map((r) => r.raw)).toEqual([row(0), row(1)]);
  });

  it('should refuse a CSV body with a ValidationError on endpoint', async () => {
    server.respond(() => ({ headers: { 'content-type': 'text/csv' }, body: 'date,sessions\n' }));
    await expect(jobResults(jsonRows(), QUERY).toArray({ max: 10 })).rejects.toMatchObject({
      name: 'ValidationError',
      field: 'endpoint',
    });
  });

  it.each([{ rows: [row(0)] }, 'rows', null])(
    'should refuse a JSON body whose data is %j, not an array, at once',
    async (data) => {
      server.respond(() => ({ body: { meta: { total_rows: 1 }, data } }));
      const error = await jobResults(jsonRows(), QUERY)
        .toArray({ max: 10 })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ValidationError);
      expect(error).toMatchObject({
        field: 'endpoint',
        message: 'invalid endpoint: expected JSON results with a data array (GET /query/results sent another shape)',
      });
      expect(server.requests).toHaveLength(1);
    },
  );
});

describe("the rows of a query as CSV / TSV (GET /query/results, format: 'csv' | 'tsv')", () => {
  const CSV = { 'content-type': 'text/csv' };
  const csvRows = () => supermetricsQueryRows(client(), { endpoint: 'results', format: 'csv' });

  it('should read its pages from GET /query/results', async () => {
    server.respond(() => ({ headers: CSV, body: 'date,sessions\n' }));
    await jobResults(csvRows(), QUERY).toArray({ max: 10 });
    expect(paths()).toEqual(['/query/results']);
  });

  it('should key a short row by its header with empty cells, and drop cells past the header', async () => {
    let n = 0;
    server.respond(() => ({
      headers: CSV,
      body: n++ === 0 ? 'date,sessions,users\n2026-01-01\n2026-01-02,5,6,7\n' : '',
    }));
    const rows = await jobResults(csvRows(), QUERY).toArray({ max: 10 });
    expect(rows.map((r) => r.raw)).toEqual([
      { date: '2026-01-01', sessions: '', users: '' },
      { date: '2026-01-02', sessions: '5', users: '6' },
    ]);
  });

  it('should end the stream on an answer without a body (204)', async () => {
    server.respond(() => ({ status: 204, headers: CSV }));
    expect(await jobResults(csvRows(), QUERY).toArray({ max: 10 })).toEqual([]);
    expect(server.requests).toHaveLength(1);
  });

  it.each(['application/json', 'application/problem+json; charset=utf-8'])(
    'should refuse a %s body with a ValidationError on format',
    async (type) => {
      server.respond(() => ({ headers: { 'content-type': type }, body: '{"data":[]}' }));
      await expect(jobResults(csvRows(), QUERY).toArray({ max: 10 })).rejects.toMatchObject({
        name: 'ValidationError',
        field: 'format',
      });
    },
  );
});

describe('the queries of a batch (GET /query/batch/{batch_id}/status pages)', () => {
  const query = (i: number, status_code: string) => ({ schedule_id: `${BATCH}_query_${i + 1}`, status_code });

  it('should read a page without meta until an empty page, its waiting queries still pending', async () => {
    server.respond((r) => {
      const offset = Number(url(r).searchParams.get('offset'));
      return { body: { data: offset >= 4 ? [] : [query(offset, 'QUEUED'), query(offset + 1, 'RUNNING')] } };
    });
    const items = await jobResults(supermetricsBatch(client()), BATCH, { pageSize: 2 }).toArray({ max: 10 });
    expect(items.map((i) => [i.index, i.status])).toEqual([
      [0, 'pending'],
      [1, 'pending'],
      [2, 'pending'],
      [3, 'pending'],
    ]);
    expect(server.requests.map((r) => url(r).searchParams.get('offset'))).toEqual(['0', '2', '4']);
  });

  it('should stop at the sum of the queued, running, succeeded and failed counters', async () => {
    server.respond((r) => {
      if (server.requests.length > 20) return { status: 404, body: { error: { code: 'LOOP', message: 'a loop' } } };
      const offset = Number(url(r).searchParams.get('offset'));
      return {
        body: {
          meta: {
            status_code: 'RUNNING',
            progress: { queued: 1, running: 2, success: 1, failure: 0 },
            paginate: { offset, limit: 2, total: 1e15 },
          },
          data: [query(offset, 'RUNNING'), query(offset + 1, 'RUNNING')],
        },
      };
    });
    const items = await jobResults(supermetricsBatch(client()), BATCH, { pageSize: 2 }).toArray({ max: 100 });
    expect(items.map((i) => i.index)).toEqual([0, 1, 2, 3]);
    expect(server.requests).toHaveLength(2);
  });

  it('should read its pages from GET /query/batch/{batch_id}/status, offset-paged', async () => {
    server.respond(() => ({ body: { meta: { status_code: 'STOPPED' }, data: [] } }));
    await jobResults(supermetricsBatch(client()), BATCH).toArray({ max: 10 });
    expect(paths()).toEqual([`/query/batch/${BATCH}/status`]);
    expect(url(server.requests[0]).search).toBe('?offset=0&limit=1000');
  });
});

describe('a query of a batch without a status_code', () => {
  const error_info = { status: 500, code: 'QUERY_ACCOUNT_UNAVAILABLE', message: 'Account is not available' };
  const result_info = { total_rows: 47, results_url: 'https://api.supermetrics.com/query/results' };

  it('should be failed when it has error_info, even beside result_info', () => {
    expect(supermetricsBatchQueryItem({ error_info }, 0).status).toBe('failed');
    expect(supermetricsBatchQueryItem({ status_code: '', error_info, result_info }, 0).status).toBe('failed');
  });

  it('should be succeeded when it has result_info (or the older results_info) and no error_info', () => {
    expect(supermetricsBatchQueryItem({ status_code: null as never, result_info }, 0).status).toBe('succeeded');
    expect(supermetricsBatchQueryItem({ results_info: result_info }, 0).status).toBe('succeeded');
  });

  it('should be unknown with neither', () => {
    expect(supermetricsBatchQueryItem({ schedule_id: 'q1' }, 0)).toMatchObject({ status: 'unknown', id: 'q1' });
    expect(supermetricsBatchQueryItem({ error_info: null, result_info: null }, 0).status).toBe('unknown');
  });

  it('should keep the status a query has over what its info suggests', () => {
    expect(supermetricsBatchQueryItem({ status_code: 'PAUSED', error_info }, 0).status).toBe('unknown');
    expect(supermetricsBatchQueryItem({ status_code: 'PAUSED', result_info }, 0).status).toBe('unknown');
    expect(supermetricsBatchQueryItem({ status_code: 'RUNNING', result_info }, 0).status).toBe('pending');
    expect(supermetricsBatchQueryItem({ status_code: 'SUCCESS', error_info: { status: 200 } }, 0).status).toBe(
      'succeeded',
    );
  });
});

describe('the failure of a query of a batch (error_info)', () => {
  const failed = (error_info: Record<string, unknown> | null) =>
    supermetricsBatchQueryItem({ status_code: 'FAILURE', error_info }, 0).failure;

  it('should join message and description, with the code', () => {
    expect(
      failed({
        status: 500,
        code: 'QUERY_ACCOUNT_UNAVAILABLE',
        message: 'Account is not available',
        description: 'gone',
      }),
    ).toEqual({
      code: 'QUERY_ACCOUNT_UNAVAILABLE',
      message: 'Account is not available: gone',
    });
  });

  it('should use the message or the description alone when only one is there', () => {
    expect(failed({ code: 'X', message: 'Account is not available' })).toEqual({
      code: 'X',
      message: 'Account is not available',
    });
    expect(failed({ message: 'Account is not available' })).toEqual({ message: 'Account is not available' });
    expect(failed({ description: 'Google Ads account is gone' })).toEqual({ message: 'Google Ads account is gone' });
  });

  it('should say the query failed, with its HTTP status when error_info has one, and no code when it has none', () => {
    expect(failed({ status: 500 })).toEqual({ message: 'query failed (HTTP 500)' });
    expect(failed({})).toEqual({ message: 'query failed' });
    expect(failed({ status: 500, code: 'QUERY_TIMEOUT' })).toEqual({
      code: 'QUERY_TIMEOUT',
      message: 'query failed (HTTP 500)',
    });
  });

  it('should say when a failed query has no error_info', () => {
    expect(failed(null)).toEqual({ message: 'the query failed without error_info' });
  });

  it('should give a query that did not fail no failure unless its error_info has a message or code', () => {
    expect(supermetricsBatchQueryItem({ status_code: 'SUCCESS' }, 0)).not.toHaveProperty('failure');
    expect(supermetricsBatchQueryItem({ status_code: 'SUCCESS', error_info: null }, 0)).not.toHaveProperty('failure');
    expect(supermetricsBatchQueryItem({ status_code: 'SUCCESS', error_info: { status: 200 } }, 0)).not.toHaveProperty(
      'failure',
    );
    expect(supermetricsBatchQueryItem({ status_code: 'QUEUED', error_info: {} }, 0)).not.toHaveProperty('failure');
    expect(
      supermetricsBatchQueryItem({ status_code: 'SUCCESS', error_info: { message: 'Some accounts were excluded' } }, 0)
        .failure,
    ).toEqual({ message: 'Some accounts were excluded' });
  });
});

describe('the batch kind (GET /query/batch/{batch_id} and its /status counters)', () => {
  const finished = () => example('query-batch-200-stopped-finished.json').data;
  const raw = (batch: unknown, status: unknown): SupermetricsBatchRaw => ({ batch, status }) as SupermetricsBatchRaw;

  it('should refuse a batch answer without data as an InvalidResponseError naming data.status_code', async () => {
    server.respond((r) =>
      r.url.includes('/status')
        ? { body: { meta: { progress: { queued: 0, running: 0, success: 1, failure: 0 } }, data: [] } }
        : { body: { meta: { request_id: 'r1' } } },
    );
    const error = await supermetricsBatch(client())
      .fetchSnapshot(BATCH, ctx())
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidResponseError);
    expect((error as Error).message).toMatch(/data\.status_code/);
  });

  it.each([
    ['no meta', {}],
    ['no progress', { meta: { request_id: 'r1' } }],
  ])('should read a STOPPED batch whose counters came with %s as succeeded, over its query_amount', (_, status) => {
    expect(supermetricsBatchSnapshot(raw({ ...finished(), query_amount: 7 }, status), 0, BATCH)).toMatchObject({
      status: 'succeeded',
      progress: { completed: 0, failed: 0, total: 7 },
    });
  });

  it('should leave the total unknown without counters and without a query_amount', () => {
    const { query_amount: _, ...batch } = finished();
    expect(supermetricsBatchSnapshot(raw({ ...batch, status_code: 'RUNNING' }, {}), 0, BATCH).progress).toEqual({
      completed: 0,
      failed: 0,
      total: null,
      fraction: null,
    });
    expect(
      supermetricsBatchSnapshot(raw({ ...batch, status_code: 'RUNNING', query_amount: '2' }, {}), 0, BATCH).progress
        .total,
    ).toBeNull();
  });

  it('should count finished queries (succeeded + failed) over every counted query', () => {
    const status = { meta: { progress: { queued: 2, running: 1, success: 3, failure: 1 } } };
    expect(
      supermetricsBatchSnapshot(raw({ ...finished(), status_code: 'RUNNING' }, status), 0, BATCH).progress,
    ).toEqual({
      completed: 4,
      failed: 1,
      total: 7,
      fraction: 4 / 7,
    });
  });

  it.each([
    [{ queued: 0, running: 0, success: 3, failure: 1 }, 'partially_succeeded', '1 of 4 queries failed'],
    [{ queued: 0, running: 0, success: 0, failure: 2 }, 'failed', '2 of 2 queries failed'],
  ])('should say how many queries failed: %j is %s', (progress, status, message) => {
    expect(supermetricsBatchSnapshot(raw(finished(), { meta: { progress } }), 0, BATCH)).toMatchObject({
      status,
      failure: { code: 'QUERY_FAILURES', message },
    });
  });

  it.each([
    ['a succeeded batch', finished(), { success: 2, failure: 0 }],
    [
      'a cancelled batch with failed queries',
      example('query-batch-200-stopped-cancelled.json').data,
      { success: 1, failure: 1 },
    ],
    ['a running batch with failed queries', { ...finished(), status_code: 'RUNNING' }, { running: 1, failure: 1 }],
    ['a queued batch', example('query-batch-200-queued.json').data, { queued: 2 }],
  ])('should give %s no failure', (_, batch, progress) => {
    expect(supermetricsBatchSnapshot(raw(batch, { meta: { progress } }), 0, BATCH)).not.toHaveProperty('failure');
  });

  it('should take createdAt, startedAt and finishedAt from schedule_time, start_time and end_time', () => {
    const counters = { meta: { progress: { success: 2 } } };
    expect(supermetricsBatchSnapshot(raw(finished(), counters), 0, BATCH).timestamps).toEqual({
      createdAt: '2022-09-05T08:00:00Z',
      startedAt: '2022-09-05T08:00:02Z',
      finishedAt: '2022-09-05T08:03:41Z',
    });
    expect(
      supermetricsBatchSnapshot(
        raw({ ...finished(), end_time: '2022-09-05T08:03:41Z', cancel_time: '2022-09-05T09:00:00Z' }, counters),
        0,
        BATCH,
      ).timestamps.finishedAt,
    ).toBe('2022-09-05T08:03:41Z');
    expect(
      supermetricsBatchSnapshot(raw(example('query-batch-200-queued.json').data, counters), 0, BATCH).timestamps,
    ).toEqual({
      createdAt: '2022-09-05T08:00:00Z',
    });
  });

  it('should take finishedAt from cancel_time when a cancelled batch has no end_time', () => {
    const cancelled = { ...example('query-batch-200-stopped-cancelled.json').data, end_time: null };
    expect(supermetricsBatchSnapshot(raw(cancelled, {}), 0, BATCH)).toMatchObject({
      status: 'cancelled',
      timestamps: { finishedAt: '2022-09-05T08:01:15Z' },
    });
  });
});

describe('the results descriptions (what the mock provider and the spec checks read)', () => {
  it.each([
    ['query', 'GET /query/status', supermetricsQueryKind.results],
    ['batch', 'GET /query/batch/{batch_id}/status', supermetricsBatchKind.results],
  ] as const)('should page %s results through the spec operation %s with offsets', (_, operation, results) => {
    expect(results).toMatchObject({ operation, paging: 'offset' });
    expect(Object.keys(supermetricsParamRules)).toContain(operation);
  });
});
