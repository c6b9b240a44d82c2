import { readFileSync } from 'node:fs';
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
import { CHECK_BASE_URL, checkBatch, createCheckClient } from '../src/index.js';

const KEY = 'vfy_SECRET_live_key';
const example = (file: string) =>
  JSON.parse(readFileSync(new URL(`../../../specs/check/examples/${file}`, import.meta.url), 'utf8'));
const ctx = () => ({ signal: new AbortController().signal, now: () => 0 });

let server: RecordingServer;
beforeEach(async () => {
  server = await startRecordingServer();
});
afterEach(async () => {
  await server.close();
});
const client = () => createCheckClient({ apiKey: KEY, baseUrl: server.url });

describe('createCheckClient', () => {
  it('should send the key as a bearer header', async () => {
    server.respond(() => ({ body: example('get-batch-200-completed.json') }));
    const { data } = await client().GET('/v1/batch/{id}', { params: { path: { id: 'batch_abc123def456' } } });
    expect(data?.status).toBe('completed');
    expect(server.requests[0]).toMatchObject({ method: 'GET', url: '/v1/batch/batch_abc123def456' });
    expect(server.requests[0]?.headers.authorization).toBe(`Bearer ${KEY}`);
  });

  it('should default to the production base URL', async () => {
    const urls: string[] = [];
    const c = createCheckClient({
      apiKey: KEY,
      fetch: async (r) => {
        urls.push(r.url);
        return Response.json({ data: [] });
      },
    });
    await c.GET('/v1/batch', { params: { query: { limit: 5, offset: 10 } } });
    expect(CHECK_BASE_URL).toBe('https://api.check.ai');
    expect(urls).toEqual(['https://api.check.ai/v1/batch?limit=5&offset=10']);
  });

  it('should answer 202 on create with the body sent as JSON', async () => {
    server.respond(() => ({ status: 202, body: example('create-batch-202.json') }));
    const { data, response } = await client().POST('/v1/batch', {
      body: { name: 'Daily', items: [{ content: 'The sky is green.' }], methods: { reasoning: 1 } },
    });
    expect(response.status).toBe(202);
    expect(data?.id).toMatch(/^batch_/);
    expect(JSON.parse(server.requests[0]!.body)).toEqual({
      name: 'Daily',
      items: [{ content: 'The sky is green.' }],
      methods: { reasoning: 1 },
    });
  });

  it.each([
    ['an id without the batch_ prefix', 'abc123'],
    ['an id with a slash', 'batch_a/../b'],
    ['an id longer than 100 characters', `batch_${'a'.repeat(100)}`],
  ])('should reject %s before sending anything', async (_n, id) => {
    await expect(client().GET('/v1/batch/{id}', { params: { path: { id } } })).rejects.toMatchObject({
      name: 'ValidationError',
      field: 'id',
    });
    expect(server.requests).toHaveLength(0);
  });

  it('should reject a page size out of range before sending anything', async () => {
    await expect(client().GET('/v1/batch', { params: { query: { limit: 0 } } })).rejects.toBeInstanceOf(
      ValidationError,
    );
    expect(server.requests).toHaveLength(0);
  });
});

describe('checkBatch', () => {
  const cases: { file: string; status: number; type: new (...a: never[]) => Error; code: string }[] = [
    { file: 'get-batch-404.json', status: 404, type: NotFoundError, code: 'not_found' },
    { file: 'error-401-unauthorized.json', status: 401, type: AuthenticationError, code: 'unauthorized' },
    { file: 'error-429-rate-limited.json', status: 429, type: RateLimitError, code: 'rate_limited' },
  ];
  it.each(cases)('should parse the documented $status body', async (c) => {
    const body = example(c.file);
    server.respond(() => ({ status: c.status, body, headers: c.status === 429 ? { 'Retry-After': '45' } : undefined }));
    const error = await checkBatch(client())
      .fetchSnapshot('batch_x1', ctx())
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(c.type);
    expect(error).toMatchObject({ status: c.status, code: c.code, provider: 'check', body });
    if (c.status === 429) expect((error as RateLimitError).retryAfterMs).toBe(45_000);
    expect((error as Error).message).not.toContain(KEY);
  });

  it('should parse the flat string error shape', async () => {
    server.respond(() => ({
      status: 400,
      body: { error: 'File parsing failed', validationErrors: [{ row: 1, error: 'x' }] },
    }));
    const error = await checkBatch(client())
      .fetchSnapshot('batch_x1', ctx())
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadRequestError);
    expect((error as Error).message).toBe('check HTTP 400: File parsing failed');
  });

  it('should keep the request id of an error envelope', async () => {
    server.respond(() => ({
      status: 502,
      body: { error: { code: 'bad_gateway', message: 'Upstream', requestId: 'req_abc123' } },
    }));
    const error = await checkBatch(client())
      .fetchSnapshot('batch_x1', ctx())
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServerError);
    expect(error).toMatchObject({ requestId: 'req_abc123', code: 'bad_gateway' });
  });

  it('should cancel with POST /v1/batch/{id}/cancel', async () => {
    server.respond(() => ({ body: example('cancel-batch-200.json') }));
    await checkBatch(client()).cancel?.('batch_x1', ctx());
    expect(server.requests.map((r) => `${r.method} ${r.url}`)).toEqual(['POST /v1/batch/batch_x1/cancel']);
  });

  it('should surface CANNOT_CANCEL as a bad request', async () => {
    server.respond(() => ({ status: 400, body: example('cancel-batch-400-cannot-cancel.json') }));
    await expect(checkBatch(client()).cancel?.('batch_x1', ctx())).rejects.toMatchObject({
      name: 'BadRequestError',
      code: 'CANNOT_CANCEL',
    });
  });
});

describe('echoed keys', () => {
  it('should redact its own key from a 401 a provider echoed it in', async () => {
    server.respond(() => ({ status: 401, body: { error: { code: 'UNAUTHORIZED', message: `bad key ${KEY}` } } }));
    const source = checkBatch(createCheckClient({ apiKey: KEY, baseUrl: server.url }));
    const error = await source
      .fetchSnapshot('batch_a1b2c3', { signal: new AbortController().signal, now: () => 0 })
      .catch((e: unknown) => e);
    expect((error as Error).message).toBe('check HTTP 401 UNAUTHORIZED: bad key [redacted]');
    expect(JSON.stringify((error as { body: unknown }).body)).not.toContain(KEY);
  });
});
