import {
  AuthenticationError,
  BadRequestError,
  NotFoundError,
  RateLimitError,
  ServerError,
  ValidationError,
} from '@batchwatch/core';
import { type RecordingServer, startRecordingServer } from '@batchwatch/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createSupermetricsClient,
  SUPERMETRICS_BASE_URL,
  startSupermetricsQuery,
  supermetricsBatch,
  supermetricsQueryStatus,
} from '../src/index.js';
import { example } from './fixtures.js';

const KEY = 'sm_api_SECRETKEY_0123';
const ctx = () => ({ signal: new AbortController().signal, now: () => 5_000 });

let server: RecordingServer;
beforeEach(async () => {
  server = await startRecordingServer();
});
afterEach(async () => {
  await server.close();
});

const client = () => createSupermetricsClient({ apiKey: KEY, baseUrl: server.url });
const jsonParam = (url: string) => JSON.parse(new URL(url, 'http://x').searchParams.get('json') ?? 'null');

describe('createSupermetricsClient', () => {
  it('should JSON-encode the json parameter and send the key only as a bearer header', async () => {
    server.respond(() => ({ body: example('query-status-200-running.json') }));
    const { data } = await client().GET('/query/status', {
      params: { query: { json: { schedule_id: 'Ab-9_x', offset_start: 0, offset_end: 100 } } },
    });
    expect(data?.meta?.status_code).toBe('RUNNING');
    const [req] = server.requests;
    expect(req?.url).toBe(
      '/query/status?json=%7B%22schedule_id%22%3A%22Ab-9_x%22%2C%22offset_start%22%3A0%2C%22offset_end%22%3A100%7D',
    );
    expect(req?.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(req?.url).not.toContain(KEY);
  });

  it('should send flat parameters as plain query parameters', async () => {
    server.respond(() => ({ body: example('query-status-200-running.json') }));
    await client().GET('/query/status', { params: { query: { schedule_id: 'abc_123', offset_start: 10 } } });
    expect(server.requests[0]?.url).toBe('/query/status?schedule_id=abc_123&offset_start=10');
  });

  it('should default to the production base URL', async () => {
    const urls: string[] = [];
    const c = createSupermetricsClient({
      apiKey: KEY,
      fetch: async (r) => {
        urls.push(r.url);
        return Response.json({});
      },
    });
    await c.GET('/query/batch/{batch_id}', { params: { path: { batch_id: 'qrb_1' } } });
    expect(SUPERMETRICS_BASE_URL).toBe('https://api.supermetrics.com');
    expect(urls).toEqual(['https://api.supermetrics.com/query/batch/qrb_1']);
  });

  it.each([
    ['a schedule_id with a space (json form)', { json: { schedule_id: 'abc 123' } }, 'json.schedule_id'],
    ['a schedule_id of 51 characters', { json: { schedule_id: 'x'.repeat(51) } }, 'json.schedule_id'],
    ['a schedule_id with a slash (flat form)', { schedule_id: '../etc' }, 'schedule_id'],
    ['an offset_end above 1,000,000', { json: { schedule_id: 'ok', offset_end: 1_000_001 } }, 'json.offset_end'],
    ['a negative offset_start', { schedule_id: 'ok', offset_start: -1 }, 'offset_start'],
    ['a fractional offset_start', { schedule_id: 'ok', offset_start: 1.5 }, 'offset_start'],
  ])('should reject %s before sending anything', async (_name, query, field) => {
    const attempt = client().GET('/query/status', { params: { query: query as never } });
    await expect(attempt).rejects.toBeInstanceOf(ValidationError);
    await expect(attempt).rejects.toMatchObject({ field });
    expect(server.requests).toHaveLength(0);
  });

  it('should name the expected form of a schedule_id', async () => {
    const error = await client()
      .GET('/query/status', { params: { query: { json: { schedule_id: 'bad id' } } } })
      .catch((e: unknown) => e);
    expect((error as Error).message).toBe(
      'invalid json.schedule_id: expected a string of at most 50 characters matching /^[A-Za-z0-9_-]+$/ (got "bad id")',
    );
  });

  it('should refuse an api_key in the URL', async () => {
    const attempt = client().GET('/query/status', {
      params: { query: { json: { schedule_id: 'ok', api_key: 'leak' } } },
    });
    await expect(attempt).rejects.toMatchObject({ name: 'ValidationError', field: 'query.api_key' });
    await expect(attempt).rejects.not.toThrow(/leak/);
    expect(server.requests).toHaveLength(0);
  });
});

describe('supermetricsQueryStatus', () => {
  it.each([200, 202])('should read a %i answer the same way', async (status) => {
    server.respond(() => ({ status, body: example('query-status-200-running.json') }));
    const { snapshot, hints } = await supermetricsQueryStatus(client()).fetchSnapshot('sched_1', ctx());
    expect(snapshot).toMatchObject({
      provider: 'supermetrics',
      kind: 'query',
      status: 'running',
      rawStatus: 'RUNNING',
    });
    expect(hints.httpStatus).toBe(status);
    expect(jsonParam(server.requests[0]!.url)).toEqual({ schedule_id: 'sched_1' });
  });

  it('should pass row offsets in the json parameter', async () => {
    server.respond(() => ({ body: example('query-status-200-success.json') }));
    const { snapshot } = await supermetricsQueryStatus(client(), { offsetStart: 0, offsetEnd: 999 }).fetchSnapshot(
      's',
      ctx(),
    );
    expect(snapshot.status).toBe('succeeded');
    expect(snapshot.raw.data?.length).toBeGreaterThan(0);
    expect(jsonParam(server.requests[0]!.url)).toEqual({ schedule_id: 's', offset_start: 0, offset_end: 999 });
  });

  const errorCases: {
    file: string;
    status: number;
    type: new (...a: never[]) => Error;
    code: string;
    headers?: Record<string, string>;
  }[] = [
    { file: 'query-status-400.json', status: 400, type: BadRequestError, code: 'BAD_REQUEST' },
    {
      file: 'query-status-401.json',
      status: 401,
      type: AuthenticationError,
      code: 'UNAUTHORIZED',
      headers: { 'WWW-Authenticate': 'Bearer' },
    },
    { file: 'query-status-404.json', status: 404, type: NotFoundError, code: 'STATUS_NOT_FOUND' },
    {
      file: 'query-status-429.json',
      status: 429,
      type: RateLimitError,
      code: 'TOO_MANY_REQUESTS',
      headers: { 'Retry-After': '3600' },
    },
    { file: 'query-status-500.json', status: 500, type: ServerError, code: 'INTERNAL_SERVER_ERROR' },
  ];
  it.each(errorCases)('should parse the $status body of $file', async (c) => {
    const body = example(c.file);
    server.respond(() => ({ status: c.status, body, headers: c.headers }));
    const error = await supermetricsQueryStatus(client())
      .fetchSnapshot('s1', ctx())
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(c.type);
    expect(error).toMatchObject({ status: c.status, code: c.code, provider: 'supermetrics', body });
    if (body.meta?.request_id) expect((error as NotFoundError).requestId).toBe(body.meta.request_id);
    if (c.status === 429) expect((error as RateLimitError).retryAfterMs).toBe(3_600_000);
    if (c.status === 401) expect((error as AuthenticationError).headers['www-authenticate']).toBe('Bearer');
    expect((error as Error).message).not.toContain(KEY);
  });

  it('should parse RFC 9457 problem details from older deployments', async () => {
    server.respond(() => ({
      status: 404,
      body: {
        type: 'https://supermetrics.com/problems/not-found',
        title: 'Not Found',
        status: 404,
        detail: 'Schedule not found',
      },
    }));
    const error = await supermetricsQueryStatus(client())
      .fetchSnapshot('s1', ctx())
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error).toMatchObject({ code: 'Not Found', message: 'supermetrics HTTP 404 Not Found: Schedule not found' });
  });

  it('should validate the schedule id as the spec says', () => {
    const source = supermetricsQueryStatus(client());
    expect(() => source.validateId?.('ok_ID-1')).not.toThrow();
    expect(() => source.validateId?.('no spaces')).toThrow(ValidationError);
    expect(() => source.validateId?.('')).toThrow(/schedule_id/);
  });
});

describe('supermetricsBatch', () => {
  it('should read the batch and its counters, and tell a finished STOPPED batch apart', async () => {
    server.respond((req) =>
      req.url.includes('/status')
        ? {
            body: { meta: { request_id: 'r1', progress: { queued: 0, running: 0, success: 3, failure: 1 } }, data: [] },
          }
        : { body: example('query-batch-200-stopped-finished.json') },
    );
    const { snapshot } = await supermetricsBatch(client()).fetchSnapshot('qrb_3feb5ff5c71e', ctx());
    expect(snapshot).toMatchObject({
      kind: 'batch',
      status: 'partially_succeeded',
      rawStatus: 'STOPPED',
      progress: { completed: 4, failed: 1, total: 4, fraction: 1 },
    });
    expect(server.requests.map((r) => r.url).sort()).toEqual([
      '/query/batch/qrb_3feb5ff5c71e',
      '/query/batch/qrb_3feb5ff5c71e/status?limit=1',
    ]);
  });

  it('should send DELETE to cancel', async () => {
    server.respond(() => ({ body: example('query-batch-cancel-200.json') }));
    await supermetricsBatch(client()).cancel?.('qrb_1', ctx());
    expect(server.requests.map((r) => `${r.method} ${r.url}`)).toEqual(['DELETE /query/batch/qrb_1']);
  });

  it('should parse the seed 401 body of the batch page', async () => {
    server.respond(() => ({ status: 401, body: example('query-batch-401.json') }));
    await expect(supermetricsBatch(client()).fetchSnapshot('qrb_1', ctx())).rejects.toBeInstanceOf(AuthenticationError);
  });
});

describe('startSupermetricsQuery', () => {
  it('should start the query with sync_timeout 0 and return its schedule id', async () => {
    server.respond(() => ({ status: 202, body: example('query-data-202-queued.json') }));
    const { scheduleId, snapshot } = await startSupermetricsQuery(
      client(),
      { ds_id: 'GA4', start_date: '2026-01-01', end_date: '2026-01-31', fields: 'date,sessions' },
      { now: () => 1 },
    );
    expect(scheduleId).toBe(example('query-data-202-queued.json').meta.schedule_id);
    expect(snapshot.status).toBe('queued');
    const [req] = server.requests;
    expect(req?.url.startsWith('/query/data/json?json=')).toBe(true);
    expect(jsonParam(req!.url)).toMatchObject({ ds_id: 'GA4', sync_timeout: 0 });
  });
});

describe('echoed keys', () => {
  it('should redact its own key from a 401 a provider echoed it in', async () => {
    server.respond(() => ({ status: 401, body: { error: { code: 'INVALID_API_KEY', message: `api_key=${KEY}` } } }));
    const source = supermetricsQueryStatus(createSupermetricsClient({ apiKey: KEY, baseUrl: server.url }));
    const error = await source
      .fetchSnapshot('abc123', { signal: new AbortController().signal, now: () => 0 })
      .catch((e: unknown) => e);
    expect((error as Error).message).toBe('supermetrics HTTP 401 INVALID_API_KEY: api_key=[redacted]');
    expect(JSON.stringify((error as { body: unknown }).body)).not.toContain(KEY);
  });
});
