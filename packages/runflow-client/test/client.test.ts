import {
  AuthenticationError,
  BadRequestError,
  ConflictError,
  NotFoundError,
  RateLimitError,
  ServerError,
  ValidationError,
} from '@batchwatch/core';
import { type RecordingServer, startRecordingServer } from '@batchwatch/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRunflowClient, RUNFLOW_BASE_URL, runflowBatch } from '../src/index.js';

const ID = '0190f2a4-5b6c-7d8e-9f01-23456789abcd';
const KEY = 'rf_live_SECRET_token_123';
const ctx = () => ({ signal: new AbortController().signal, now: () => 1_000 });

let server: RecordingServer;
beforeEach(async () => {
  server = await startRecordingServer();
});
afterEach(async () => {
  await server.close();
});

describe('createRunflowClient', () => {
  it('should send the token as a bearer header, a User-Agent and X-Organization-Id', async () => {
    server.respond(() => ({ body: { id: ID, status_code: 'running' } }));
    const client = createRunflowClient({
      apiKey: KEY,
      baseUrl: server.url,
      organizationId: 'org_42',
      headers: { 'X-Trace': 't1' },
    });
    const { data, response } = await client.GET('/v1/batches/{id}', { params: { path: { id: ID } } });
    expect(response.status).toBe(200);
    expect(data?.status_code).toBe('running');
    const [req] = server.requests;
    expect(req?.method).toBe('GET');
    expect(req?.url).toBe(`/v1/batches/${ID}`);
    expect(req?.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(req?.headers['x-organization-id']).toBe('org_42');
    expect(req?.headers['x-trace']).toBe('t1');
    expect(req?.headers['user-agent']).toMatch(/^batchwatch/);
    expect(req?.url).not.toContain(KEY);
  });

  it('should default to the production base URL', async () => {
    const seen: string[] = [];
    const client = createRunflowClient({
      apiKey: KEY,
      fetch: async (request) => {
        seen.push(request.url);
        return Response.json({ id: ID });
      },
    });
    await client.GET('/v1/runs/{id}', { params: { path: { id: ID } } });
    expect(RUNFLOW_BASE_URL).toBe('https://api.runflow.io');
    expect(seen).toEqual([`https://api.runflow.io/v1/runs/${ID}`]);
  });

  it('should reject a batch id that is not a UUID before sending anything', async () => {
    const client = createRunflowClient({ apiKey: KEY, baseUrl: server.url });
    const attempt = client.GET('/v1/batches/{id}', { params: { path: { id: 'batch_01J0' } } });
    await expect(attempt).rejects.toBeInstanceOf(ValidationError);
    await expect(attempt).rejects.toMatchObject({ field: 'id', message: expect.stringContaining('UUID') });
    expect(server.requests).toHaveLength(0);
  });

  it('should reject a page size above 500 before sending anything', async () => {
    const client = createRunflowClient({ apiKey: KEY, baseUrl: server.url });
    await expect(
      client.GET('/v1/batches/{batch_id}/items', { params: { path: { batch_id: ID }, query: { limit: 501 } } }),
    ).rejects.toMatchObject({ name: 'ValidationError', field: 'limit' });
    expect(server.requests).toHaveLength(0);
  });

  it('should encode the cursor and page size of the items list', async () => {
    server.respond(() => ({ body: { items: [], next_pq: null, prev_pq: null } }));
    const client = createRunflowClient({ apiKey: KEY, baseUrl: server.url });
    await client.GET('/v1/batches/{batch_id}/items', {
      params: { path: { batch_id: ID }, query: { pq: 'abc/+=', limit: 50 } },
    });
    expect(server.requests[0]?.url).toBe(`/v1/batches/${ID}/items?pq=abc%2F%2B%3D&limit=50`);
  });

  it('should send the Idempotency-Key and the body when creating a batch', async () => {
    server.respond(() => ({ status: 201, body: { id: ID, status_code: 'queued', items_total: 2 } }));
    const client = createRunflowClient({ apiKey: KEY, baseUrl: server.url });
    const { data, response } = await client.POST('/v1/models/{owner}/{slug}/batches', {
      params: { path: { owner: 'acme', slug: 'upscale' }, header: { 'Idempotency-Key': 'k-1' } },
      body: { input: [{ image: 'a.png', client_ref: 'row-1' }, { image: 'b.png' }] },
    });
    expect(response.status).toBe(201);
    expect(data?.id).toBe(ID);
    const [req] = server.requests;
    expect(req?.method).toBe('POST');
    expect(req?.url).toBe('/v1/models/acme/upscale/batches');
    expect(req?.headers['idempotency-key']).toBe('k-1');
    expect(JSON.parse(req?.body ?? '')).toEqual({
      input: [{ image: 'a.png', client_ref: 'row-1' }, { image: 'b.png' }],
    });
  });

  it('should refuse a missing or blank key without echoing it', () => {
    expect(() => createRunflowClient({ apiKey: '' })).toThrow(ValidationError);
    expect(() => createRunflowClient({ apiKey: 'has space secret' })).toThrow(/apiKey/);
    try {
      createRunflowClient({ apiKey: 'has space secret' });
    } catch (e) {
      expect(String((e as Error).message)).not.toContain('secret');
    }
    expect(() => createRunflowClient({ apiKey: KEY, baseUrl: 'not a url' })).toThrow(/baseUrl/);
  });
});

describe('runflowBatch errors', () => {
  const cases = [
    {
      name: 'a flat 401',
      status: 401,
      body: { code: 'UNAUTHORIZED', message: 'Missing or invalid token.', errors: null },
      type: AuthenticationError,
      code: 'UNAUTHORIZED',
    },
    {
      name: 'a nested 404',
      status: 404,
      body: { error: { code: 'NOT_FOUND', message: 'Batch not found' } },
      type: NotFoundError,
      code: 'NOT_FOUND',
    },
    {
      name: 'a 422 with field errors',
      status: 422,
      body: { code: 'validation_error', message: 'Invalid input', errors: [{ loc: ['input', 0], msg: 'required' }] },
      type: BadRequestError,
      code: 'validation_error',
    },
    {
      name: 'a 409',
      status: 409,
      body: { code: 'CONFLICT', message: 'Key reused' },
      type: ConflictError,
      code: 'CONFLICT',
    },
    {
      name: 'a 429',
      status: 429,
      body: { code: 'RATE_LIMITED', message: 'Rate limit exceeded: 60/min' },
      headers: { 'Retry-After': '7' },
      type: RateLimitError,
      code: 'RATE_LIMITED',
    },
    { name: 'an HTML 503', status: 503, body: '<html><h1>503</h1></html>', type: ServerError, code: undefined },
  ];

  it.each(cases)('should turn $name into a typed error that keeps the body', async (c) => {
    server.respond(() => ({ status: c.status, body: c.body, headers: { 'x-request-id': 'req_9', ...c.headers } }));
    const source = runflowBatch(createRunflowClient({ apiKey: KEY, baseUrl: server.url }));
    const error = await source.fetchSnapshot(ID, ctx()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(c.type);
    expect(error).toMatchObject({
      status: c.status,
      code: c.code,
      provider: 'runflow',
      requestId: 'req_9',
      body: c.body,
    });
    expect(String((error as Error).message)).not.toContain(KEY);
    if (c.status === 429) expect((error as RateLimitError).retryAfterMs).toBe(7000);
  });

  it('should normalize a 200 body and pass Retry-After on as a hint', async () => {
    server.respond(() => ({
      headers: { 'Retry-After': '3', 'X-RateLimit-Remaining': '41' },
      body: {
        id: ID,
        status_code: 'running',
        items_total: 10,
        items_succeeded: 3,
        items_failed: 1,
        items_cancelled: 0,
      },
    }));
    const source = runflowBatch(createRunflowClient({ apiKey: KEY, baseUrl: server.url }));
    const { snapshot, hints } = await source.fetchSnapshot(ID, ctx());
    expect(snapshot).toMatchObject({
      status: 'running',
      progress: { completed: 4, failed: 1, total: 10, fraction: 0.4 },
    });
    expect(hints).toMatchObject({ retryAfterMs: 3000, rateLimit: { remaining: 41 }, httpStatus: 200 });
  });
});
