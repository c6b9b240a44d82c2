// The job status handler behind a real node:http server, polling a second real server that plays the provider.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSnapshot, headersToRecord, hintsFromHeaders, mapStatus } from '../src/client-kit/index.js';
import { createCallerGate } from '../src/http/caller-limit.js';
import {
  createJobStatusHandler,
  type JobRef,
  type JobStatusBody,
  type JobStatusErrorBody,
  type JobStatusHandler,
  remoteSource,
} from '../src/http/index.js';
import {
  AuthenticationError,
  BadRequestError,
  CancelNotSupportedError,
  type Clock,
  ConflictError,
  HttpError,
  InvalidResponseError,
  type JobSource,
  NetworkError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
  ServerError,
  type StatusTable,
  systemClock,
  ValidationError,
  waitForJob,
  watchJob,
} from '../src/index.js';

// The server's provider key: it must never show up in anything the handler sends.
const KEY = 'sk_live_TOPSECRET_4242';
const FAST = { minIntervalMs: 10, initialIntervalMs: 10, maxIntervalMs: 40, requestTimeoutMs: 2000 } as const;

// ---------------------------------------------------------------------------------------------
// node:http plumbing

/**
 * The adapter the README documents: node:http request -> Fetch `Request` -> handler -> `Response`
 * -> node:http response. `res.on('close')` aborts the request's signal when the client goes away.
 */
function toNodeListener(handler: (request: Request) => Promise<Response>) {
  return async (req: IncomingMessage, res: ServerResponse) => {
    const controller = new AbortController();
    res.on('close', () => controller.abort());
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    }
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD' && chunks.length > 0;
    const request = new Request(new URL(req.url ?? '/', `http://${req.headers.host}`), {
      method: req.method ?? 'GET',
      headers,
      body: hasBody ? Buffer.concat(chunks) : null,
      signal: controller.signal,
    });
    const response = await handler(request);
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
  };
}

async function listen(listener: (req: IncomingMessage, res: ServerResponse) => void): Promise<{
  server: Server;
  url: string;
  close(): Promise<void>;
}> {
  const server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `http://127.0.0.1:${port}`,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The provider: a scripted node:http server, and a hand-written source over fetch that sends the key.

interface ProviderAnswer {
  status?: number;
  headers?: Record<string, string>;
  /** An object is sent as JSON, a string as it is. */
  body?: unknown;
  hang?: boolean;
}
interface ProviderBody {
  status: string;
  done?: number;
  total?: number;
  secretNote?: string;
}
type Responder = (path: string, method: string, auth: string | undefined) => ProviderAnswer;

const TABLE: StatusTable<'QUEUED' | 'RUNNING' | 'DONE' | 'FAILED' | 'CANCELLED'> = {
  QUEUED: 'queued',
  RUNNING: 'running',
  DONE: 'succeeded',
  FAILED: 'failed',
  CANCELLED: 'cancelled',
};

/** What a provider client package does: key in a header, provider messages kept in the error (they may echo the key). */
function providerSource(base: () => string, options: { cancel?: boolean } = {}): JobSource<ProviderBody> {
  const call = async (path: string, method: string, signal: AbortSignal, now: () => number) => {
    let response: Response;
    let text: string;
    try {
      response = await fetch(`${base()}${path}`, { method, signal, headers: { authorization: `Bearer ${KEY}` } });
      text = await response.text();
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      throw new NetworkError(`acme request failed: ${(error as Error).message}`, { cause: error });
    }
    const hints = hintsFromHeaders(response.headers, now(), response.status);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (error) {
      if (response.ok) throw new InvalidResponseError('acme sent a body that is not JSON', { cause: error });
      body = text;
    }
    if (!response.ok) {
      const message = (body as { message?: string })?.message;
      throw HttpError.from({
        provider: 'acme',
        status: response.status,
        headers: headersToRecord(response.headers),
        body,
        ...(message && { message }),
        ...(hints.retryAfterMs !== undefined && { retryAfterMs: hints.retryAfterMs }),
      });
    }
    return { body: body as ProviderBody, hints };
  };
  const source: JobSource<ProviderBody> = {
    provider: 'acme',
    kind: 'export',
    validateId(id) {
      if (!/^[\w ./-]{1,40}$/.test(id))
        throw new ValidationError('id', '1-40 word characters, spaces, dots, dashes or slashes');
    },
    async fetchSnapshot(id, { signal, now }) {
      const { body, hints } = await call(`/exports/${encodeURIComponent(id)}`, 'GET', signal, now);
      const snapshot = createSnapshot({
        provider: 'acme',
        kind: 'export',
        id,
        status: mapStatus(TABLE, body.status),
        rawStatus: body.status,
        progress: { completed: body.done ?? 0, total: body.total ?? null },
        observedAt: now(),
        raw: body,
      });
      return { snapshot, hints };
    },
  };
  if (options.cancel) {
    source.cancel = async (id, { signal, now }) => {
      const { body, hints } = await call(`/exports/${encodeURIComponent(id)}/cancel`, 'POST', signal, now);
      const snapshot = createSnapshot({
        provider: 'acme',
        kind: 'export',
        id,
        status: mapStatus(TABLE, body.status),
        rawStatus: body.status,
        progress: { completed: body.done ?? 0, total: body.total ?? null },
        observedAt: now(),
        raw: body,
      });
      return { snapshot, hints };
    };
  }
  return source;
}

let provider: Awaited<ReturnType<typeof listen>>;
let respond: Responder = () => ({ body: { status: 'QUEUED' } });
const providerRequests: { path: string; method: string; auth: string | undefined }[] = [];

let app: Awaited<ReturnType<typeof listen>>;
let handler: JobStatusHandler;
const errors: { error: unknown; ref: JobRef | undefined }[] = [];
const authorized: JobRef[] = [];
let allow: (ref: JobRef, request: Request) => boolean | Promise<boolean> = () => true;
// Every response body the handler sent, to check for the key once at the end.
const seenBodies: string[] = [];
const seenHeaders: string[] = [];

function makeHandler(overrides: Partial<Parameters<typeof createJobStatusHandler>[0]> = {}): JobStatusHandler {
  return createJobStatusHandler({
    sources: {
      acme: {
        export: providerSource(() => provider.url, { cancel: true }),
        report: providerSource(() => provider.url),
      },
    },
    authorize: (request, ref) => {
      authorized.push(ref);
      return allow(ref, request);
    },
    basePath: '/api/batchwatch',
    requestTimeoutMs: 300,
    onError: (error, ref) => errors.push({ error, ref }),
    ...overrides,
  });
}

beforeAll(async () => {
  provider = await listen((req, res) => {
    const auth = req.headers.authorization;
    providerRequests.push({ path: req.url ?? '', method: req.method ?? 'GET', auth });
    const answer = respond(req.url ?? '', req.method ?? 'GET', auth);
    if (answer.hang) return;
    const text = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body ?? {});
    res.writeHead(answer.status ?? 200, { 'content-type': 'application/json', ...answer.headers });
    res.end(text);
  });
  handler = makeHandler();
  // The app server calls whatever `handler` is now, so a test can swap it.
  app = await listen(toNodeListener((request) => handler(request)));
});

afterEach(() => {
  respond = () => ({ body: { status: 'QUEUED' } });
  allow = () => true;
  handler = makeHandler();
  errors.length = 0;
  authorized.length = 0;
  providerRequests.length = 0;
  Reflect.deleteProperty(globalThis, 'location');
});

afterAll(async () => {
  await app.close();
  await provider.close();
  // One check over everything every test received.
  expect(seenBodies.length).toBeGreaterThan(30);
  for (const text of [...seenBodies, ...seenHeaders]) expect(text).not.toContain(KEY);
});

async function get(path: string, init: RequestInit = {}): Promise<{ status: number; headers: Headers; body: any }> {
  const response = await fetch(`${app.url}${path}`, init);
  const text = await response.text();
  seenBodies.push(text);
  seenHeaders.push(JSON.stringify([...response.headers]));
  return { status: response.status, headers: response.headers, body: text === '' ? undefined : JSON.parse(text) };
}

const JOB = '/api/batchwatch/jobs/acme/export/exp_1';

// ---------------------------------------------------------------------------------------------

describe('createJobStatusHandler', () => {
  it('should answer a snapshot without raw and with no-store JSON headers', async () => {
    respond = () => ({ body: { status: 'RUNNING', done: 3, total: 10, secretNote: 'internal' } });
    const res = await get(JOB);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('retry-after')).toBeNull();
    const body = res.body as JobStatusBody;
    expect(body.hints).toEqual({});
    expect(body.snapshot).toMatchObject({
      provider: 'acme',
      kind: 'export',
      id: 'exp_1',
      status: 'running',
      rawStatus: 'RUNNING',
      isTerminal: false,
      progress: { completed: 3, failed: 0, total: 10, fraction: 0.3 },
    });
    expect(body.snapshot).not.toHaveProperty('raw');
    expect(JSON.stringify(body)).not.toContain('internal');
    expect(providerRequests).toEqual([{ path: '/exports/exp_1', method: 'GET', auth: `Bearer ${KEY}` }]);
  });

  it('should include raw when includeRaw says so, per job', async () => {
    respond = () => ({ body: { status: 'DONE', done: 1, total: 1 } });
    handler = makeHandler({ includeRaw: (ref) => ref.kind === 'export' });
    expect((await get(JOB)).body.snapshot.raw).toEqual({ status: 'DONE', done: 1, total: 1 });
    expect((await get('/api/batchwatch/jobs/acme/report/r1')).body.snapshot).not.toHaveProperty('raw');
    handler = makeHandler({ includeRaw: true });
    expect((await get('/api/batchwatch/jobs/acme/report/r1')).body.snapshot.raw).toEqual({
      status: 'DONE',
      done: 1,
      total: 1,
    });
  });

  it("should forward the provider's Retry-After as a header and as hints", async () => {
    respond = () => ({ headers: { 'retry-after': '7' }, body: { status: 'RUNNING' } });
    const before = Date.now();
    const res = await get(JOB);
    expect(res.status).toBe(200);
    expect(res.headers.get('retry-after')).toBe('7');
    expect(res.body.hints.retryAfterMs).toBe(7000);
    expect(res.body.hints.nextPollAt).toBeGreaterThanOrEqual(before + 7000);
    expect(res.body.hints.nextPollAt).toBeLessThanOrEqual(Date.now() + 7000);
  });

  it('should pass authorize the request and a decoded ref, and answer 403 when it says no', async () => {
    const id = 'team 7/exp.1';
    allow = (ref, request) => request.headers.get('x-user') === 'ann' && ref.id === id;
    const path = `/api/batchwatch/jobs/acme/export/${encodeURIComponent(id)}`;
    expect((await get(path, { headers: { 'x-user': 'ann' } })).status).toBe(200);
    expect(providerRequests.map((r) => r.path)).toEqual([`/exports/${encodeURIComponent(id)}`]);
    const denied = await get(path, { headers: { 'x-user': 'bob' } });
    expect(denied.status).toBe(403);
    expect((denied.body as JobStatusErrorBody).error.code).toBe('forbidden');
    expect(authorized).toEqual([
      { provider: 'acme', kind: 'export', id, action: 'read' },
      { provider: 'acme', kind: 'export', id, action: 'read' },
    ]);
    // Denied callers cause no provider request.
    expect(providerRequests).toHaveLength(1);
  });

  it('should answer with a Response that authorize throws, and 500 for anything else it throws', async () => {
    allow = () => {
      throw new Response('log in first', { status: 401 });
    };
    const res = await fetch(`${app.url}${JOB}`);
    expect([res.status, await res.text()]).toEqual([401, 'log in first']);
    allow = async () => {
      throw new Error(`database down (${KEY})`);
    };
    const failed = await get(JOB);
    expect(failed.status).toBe(500);
    expect(failed.body.error).toEqual({ code: 'internal_error', message: 'authorization failed' });
    expect(errors).toHaveLength(1);
    // Only `true` allows, and only a thrown Response is an answer: one returned (untyped code) is a no.
    allow = (() => new Response('ok', { status: 200 })) as unknown as typeof allow;
    expect((await get(JOB)).status).toBe(403);
    expect(providerRequests).toHaveLength(0);
  });

  it('should not let a synchronous authorize throw escape either', async () => {
    allow = () => {
      throw new TypeError('boom');
    };
    expect((await get(JOB)).status).toBe(500);
  });

  it.each([
    ['/api/batchwatch/jobs/nope/export/x', 'provider', 'unknown provider "nope"'],
    ['/api/batchwatch/jobs/__proto__/export/x', 'provider', 'unknown provider "__proto__"'],
    ['/api/batchwatch/jobs/acme/toString/x', 'kind', 'unknown kind "toString" for provider "acme"'],
    ['/api/batchwatch/jobs/acme/export/', 'id', 'the id is empty'],
    ['/api/batchwatch/jobs/acme/export/%E0%A4%A', 'id', 'the id is not validly percent-encoded'],
    [
      `/api/batchwatch/jobs/acme/export/${'x'.repeat(41)}`,
      'id',
      'invalid acme export id: expected 1-40 word characters, spaces, dots, dashes or slashes',
    ],
  ])('should answer 400 naming the field for %s', async (path, field, message) => {
    const res = await get(path);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: { code: 'bad_request', message, field } });
    expect(authorized).toHaveLength(0);
    expect(providerRequests).toHaveLength(0);
  });

  it.each([
    [{ status: 404, body: { message: 'no export exp_1' } }, 404, 'not_found', undefined],
    [{ status: 400, body: { message: 'bad id' } }, 400, 'bad_request', undefined],
    [{ status: 409, body: { message: 'busy' } }, 409, 'conflict', undefined],
    [{ status: 429, headers: { 'retry-after': '3' }, body: { message: 'slow down' } }, 429, 'rate_limited', '3'],
    [{ status: 429, body: { message: 'slow down' } }, 429, 'rate_limited', null],
    [{ status: 500, body: { message: 'oops' } }, 502, 'upstream_error', null],
    [{ status: 503, headers: { 'retry-after': '2' }, body: { message: 'maintenance' } }, 502, 'upstream_error', '2'],
    [{ status: 200, body: '{"status": "RUNN' }, 502, 'upstream_error', null],
    [{ status: 401, body: { message: `invalid key ${KEY}` } }, 502, 'upstream_auth', null],
    [{ status: 403, body: { message: `key ${KEY} may not read exports` } }, 502, 'upstream_auth', null],
  ] as const)('should map provider answer %j to %i %s', async (answer, status, code, retryAfter) => {
    respond = () => answer;
    const res = await get(JOB);
    expect(res.status).toBe(status);
    expect(res.body.error.code).toBe(code);
    if (retryAfter !== undefined) expect(res.headers.get('retry-after')).toBe(retryAfter);
    if (retryAfter) expect(res.body.error.retryAfterMs).toBe(Number(retryAfter) * 1000);
    // Provider messages are not passed on: they may echo keys, emails or internal ids.
    expect(JSON.stringify(res.body)).not.toMatch(
      /oops|maintenance|slow down|invalid key|may not|busy|bad id|no export/,
    );
  });

  it('should answer 502 with a generic message for a 401 and report the detail to onError only', async () => {
    respond = () => ({ status: 401, body: { message: `invalid key ${KEY}` } });
    const res = await get(JOB);
    expect(res.body).toEqual({
      error: { code: 'upstream_auth', message: 'the server could not authenticate with the provider' },
    });
    expect(errors).toHaveLength(1);
    expect(errors[0]?.error).toBeInstanceOf(AuthenticationError);
    expect(errors[0]?.ref).toEqual({ provider: 'acme', kind: 'export', id: 'exp_1', action: 'read' });
  });

  it('should answer 502 when the provider cannot be reached and 504 when it does not answer in time', async () => {
    const closed = await listen(() => {});
    const closedUrl = closed.url;
    await closed.close();
    handler = makeHandler({
      sources: { acme: { export: providerSource(() => closedUrl) } },
    });
    const unreachable = await get(JOB);
    expect([unreachable.status, unreachable.body.error.code]).toEqual([502, 'upstream_error']);
    expect(errors[0]?.error).toBeInstanceOf(NetworkError);

    handler = makeHandler();
    respond = () => ({ hang: true });
    const slow = await get(JOB);
    expect([slow.status, slow.body.error.code]).toEqual([504, 'upstream_timeout']);
  });

  it('should answer 500 without detail when a source breaks its contract', async () => {
    handler = makeHandler({
      sources: {
        acme: {
          export: {
            provider: 'acme',
            kind: 'export',
            fetchSnapshot: async () => {
              throw new TypeError(`cannot read ${KEY}`);
            },
          },
          report: { provider: 'acme', kind: 'report', fetchSnapshot: async () => ({}) as never },
        },
      },
    });
    const thrown = await get(JOB);
    expect(thrown.body).toEqual({ error: { code: 'internal_error', message: 'the job status could not be read' } });
    expect((await get('/api/batchwatch/jobs/acme/report/r1')).status).toBe(500);
    expect(errors).toHaveLength(2);
  });

  it('should answer 404 for other paths and 405 with Allow for other methods', async () => {
    for (const path of [
      '/api/batchwatch',
      '/api/batchwatch/jobs/acme/export',
      '/api/other/jobs/acme/export/x',
      '/jobs/acme/export/x',
      `${JOB}/cancel/now`,
      `${JOB}/pause`,
    ]) {
      const res = await get(path);
      expect([path, res.status, res.body.error.code]).toEqual([path, 404, 'not_found']);
    }
    const post = await get(JOB, { method: 'POST' });
    expect([post.status, post.headers.get('allow'), post.body.error.code]).toEqual([405, 'GET', 'method_not_allowed']);
    const del = await get(JOB, { method: 'DELETE' });
    expect(del.status).toBe(405);
    const getCancel = await get(`${JOB}/cancel`);
    expect([getCancel.status, getCancel.headers.get('allow')]).toEqual([405, 'POST']);
  });

  it('should cancel through POST .../cancel, authorized as a cancel', async () => {
    respond = (_path, method) =>
      method === 'POST' ? { body: { status: 'CANCELLED', done: 2, total: 4 } } : { body: { status: 'RUNNING' } };
    const res = await get(`${JOB}/cancel`, { method: 'POST' });
    expect(res.status).toBe(200);
    expect(res.body.snapshot).toMatchObject({ status: 'cancelled', progress: { completed: 2, total: 4 } });
    expect(providerRequests).toEqual([{ path: '/exports/exp_1/cancel', method: 'POST', auth: `Bearer ${KEY}` }]);
    expect(authorized.map((r) => r.action)).toEqual(['cancel']);

    allow = (ref) => ref.action === 'read';
    expect((await get(`${JOB}/cancel`, { method: 'POST' })).status).toBe(403);
  });

  it('should answer 405 cancel_not_supported for a source without cancel', async () => {
    const res = await get('/api/batchwatch/jobs/acme/report/r1/cancel', { method: 'POST' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET');
    expect(res.body).toEqual({
      error: { code: 'cancel_not_supported', message: 'acme report jobs cannot be cancelled' },
    });
    expect(providerRequests).toHaveLength(0);
  });

  it('should mount at the root without a basePath', async () => {
    handler = makeHandler({ basePath: undefined });
    expect((await get('/jobs/acme/export/exp_1')).status).toBe(200);
    expect((await get(JOB)).status).toBe(404);
  });

  it('should refuse to be created without authorize or with a bad basePath', () => {
    const sources = { acme: { export: providerSource(() => provider.url) } };
    // @ts-expect-error authorize is required
    expect(() => createJobStatusHandler({ sources })).toThrow(ValidationError);
    expect(() => createJobStatusHandler({ sources, authorize: () => true, basePath: 'api' })).toThrow(/basePath/);
    expect(() => createJobStatusHandler({ sources: null as never, authorize: () => true })).toThrow(/sources/);
  });
});

/** A clock whose `now` the test moves; timers are real (request timeouts). */
function movableClock(start = 1_000_000) {
  let now = start;
  return {
    now: () => now,
    setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms),
    clearTimeout: (handle: unknown) => clearTimeout(handle as ReturnType<typeof setTimeout>),
    move: (ms: number) => {
      now += ms;
    },
  };
}

describe('createJobStatusHandler: one upstream poll for many viewers', () => {
  it('should send one provider request for 50 concurrent reads of a job, each one authorized', async () => {
    respond = () => ({ hang: true });
    handler = makeHandler();
    const reads = Array.from({ length: 50 }, () => get(JOB));
    while (providerRequests.length === 0) await new Promise((r) => setTimeout(r, 5));
    // Let every read reach the handler while the provider still thinks.
    while (authorized.length < 50) await new Promise((r) => setTimeout(r, 5));
    expect(providerRequests).toHaveLength(1);
    // The provider hangs: every read waits for the one request, which times out (300 ms) for all of them.
    const answers = await Promise.all(reads);
    expect(answers.map((a) => a.status)).toEqual(Array(50).fill(504));
    expect(providerRequests).toHaveLength(1);
  });

  it('should answer concurrent reads with the one snapshot it read', async () => {
    let release = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    handler = makeHandler({
      sources: {
        acme: {
          export: {
            ...providerSource(() => provider.url),
            async fetchSnapshot(id, context) {
              await released;
              return providerSource(() => provider.url).fetchSnapshot(id, context);
            },
          },
        },
      },
    });
    respond = () => ({ body: { status: 'RUNNING', done: 4, total: 8 } });
    const reads = Array.from({ length: 20 }, () => get(JOB));
    while (authorized.length < 20) await new Promise((r) => setTimeout(r, 5));
    release();
    const answers = await Promise.all(reads);
    expect(new Set(answers.map((a) => JSON.stringify(a.body))).size).toBe(1);
    expect(answers[0]?.body.snapshot).toMatchObject({ status: 'running', progress: { completed: 4 } });
    expect(providerRequests).toHaveLength(1);
  });

  it('should serve a snapshot younger than cacheMs from memory, and read the provider again after it', async () => {
    const clock = movableClock();
    handler = makeHandler({ clock, cacheMs: 2_000 });
    respond = () => ({ body: { status: 'RUNNING', done: providerRequests.length, total: 10 } });
    expect((await get(JOB)).body.snapshot.progress.completed).toBe(1);
    clock.move(1_999);
    expect((await get(JOB)).body.snapshot.progress.completed).toBe(1);
    expect(providerRequests).toHaveLength(1);
    clock.move(1);
    expect((await get(JOB)).body.snapshot.progress.completed).toBe(2);
    expect(providerRequests).toHaveLength(2);
    // Another job is its own entry.
    await get('/api/batchwatch/jobs/acme/export/exp_2');
    expect(providerRequests).toHaveLength(3);
  });

  it('should keep a snapshot for 1 s by default and until a Retry-After runs out, forwarding what is left of it', async () => {
    const clock = movableClock();
    handler = makeHandler({ clock });
    respond = () => ({ body: { status: 'RUNNING' } });
    await get(JOB);
    clock.move(999);
    await get(JOB);
    expect(providerRequests).toHaveLength(1);
    clock.move(1);
    await get(JOB);
    expect(providerRequests).toHaveLength(2);

    respond = () => ({ headers: { 'retry-after': '7' }, body: { status: 'RUNNING' } });
    clock.move(1_000);
    await get(JOB);
    clock.move(5_000);
    const cached = await get(JOB);
    expect(providerRequests).toHaveLength(3);
    expect(cached.body.hints).toEqual({ retryAfterMs: 2_000, nextPollAt: clock.now() + 2_000 });
    expect(cached.headers.get('retry-after')).toBe('2');
    clock.move(2_000);
    await get(JOB);
    expect(providerRequests).toHaveLength(4);
  });

  it('should keep a terminal snapshot for a minute', async () => {
    const clock = movableClock();
    handler = makeHandler({ clock });
    respond = () => ({ body: { status: 'DONE', done: 3, total: 3 } });
    await get(JOB);
    clock.move(59_999);
    expect((await get(JOB)).body.snapshot.status).toBe('succeeded');
    expect(providerRequests).toHaveLength(1);
    clock.move(1);
    await get(JOB);
    expect(providerRequests).toHaveLength(2);
  });

  it('should still authorize every read and apply includeRaw per read on a snapshot from memory', async () => {
    handler = makeHandler({ includeRaw: (ref) => ref.id === 'exp_1', cacheMs: 60_000 });
    respond = () => ({ body: { status: 'RUNNING', secretNote: 'n' } });
    expect((await get(JOB)).body.snapshot.raw).toEqual({ status: 'RUNNING', secretNote: 'n' });
    allow = () => false;
    expect((await get(JOB)).status).toBe(403);
    expect(providerRequests).toHaveLength(1);
  });

  it('should not keep errors, and forget a job it cancelled', async () => {
    handler = makeHandler({ cacheMs: 60_000 });
    respond = () => ({ status: 503, body: { message: 'down' } });
    expect((await get(JOB)).status).toBe(502);
    respond = (_path, method) =>
      method === 'POST' ? { body: { status: 'RUNNING' } } : { body: { status: 'RUNNING', done: 1, total: 2 } };
    expect((await get(JOB)).status).toBe(200);
    expect(providerRequests).toHaveLength(2);
    await get(`${JOB}/cancel`, { method: 'POST' });
    await get(JOB);
    expect(providerRequests.map((r) => r.method)).toEqual(['GET', 'GET', 'POST', 'GET']);
  });

  it('should not let one caller going away abort the request the others wait for', async () => {
    let release = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    respond = () => ({ body: { status: 'RUNNING' } });
    const base = providerSource(() => provider.url);
    handler = makeHandler({
      sources: {
        acme: {
          export: {
            ...base,
            async fetchSnapshot(id, context) {
              await released;
              return base.fetchSnapshot(id, context);
            },
          },
        },
      },
    });
    const gone = new AbortController();
    const first = handler(new Request(`${app.url}${JOB}`, { signal: gone.signal }));
    const second = handler(new Request(`${app.url}${JOB}`));
    while (authorized.length < 2) await new Promise((r) => setTimeout(r, 5));
    gone.abort();
    release();
    expect((await first).status).toBe(499);
    expect((await second).status).toBe(200);
    expect(providerRequests).toHaveLength(1);
  });

  it('should validate cacheMs', () => {
    expect(() => makeHandler({ cacheMs: -1 })).toThrow(/cacheMs/);
  });
});

describe('createJobStatusHandler: per-caller limits', () => {
  const as = (user: string, init: RequestInit = {}) => ({ ...init, headers: { 'x-user': user } });
  const byUser = (request: Request) => request.headers.get('x-user') ?? undefined;
  const job = (id: string) => `/api/batchwatch/jobs/acme/export/${id}`;

  it("should answer 429 with Retry-After past a caller's limit, send nothing, and leave other callers alone", async () => {
    const clock = movableClock();
    handler = makeHandler({ clock, cacheMs: 0, perCaller: { key: byUser, requestsPerSecond: 0.5, burst: 2 } });
    expect((await get(job('exp_1'), as('ann'))).status).toBe(200);
    expect((await get(job('exp_2'), as('ann'))).status).toBe(200);
    const refused = await get(job('exp_3'), as('ann'));
    expect(refused.status).toBe(429);
    expect(refused.body.error).toEqual({
      code: 'rate_limited',
      message: 'too many requests from this caller',
      retryAfterMs: 2000,
    });
    expect(refused.headers.get('retry-after')).toBe('2');
    expect(providerRequests).toHaveLength(2);
    // Bob has a bucket of his own.
    expect((await get(job('exp_3'), as('bob'))).status).toBe(200);
    expect(providerRequests).toHaveLength(3);
    // Half a request came back in a second; a whole one in two.
    clock.move(1_000);
    expect((await get(job('exp_3'), as('ann'))).body.error.retryAfterMs).toBe(1000);
    clock.move(1_000);
    expect((await get(job('exp_3'), as('ann'))).status).toBe(200);
    expect(providerRequests).toHaveLength(4);
  });

  it('should not count reads answered from memory, and count every cancel', async () => {
    const clock = movableClock();
    handler = makeHandler({ clock, cacheMs: 5_000, perCaller: { key: byUser, requestsPerSecond: 1, burst: 1 } });
    for (let i = 0; i < 5; i++) expect((await get(job('exp_1'), as('ann'))).status).toBe(200);
    expect(providerRequests).toHaveLength(1);
    expect((await get(job('exp_2'), as('ann'))).status).toBe(429);
    clock.move(1_000);
    expect((await get(`${job('exp_1')}/cancel`, as('ann', { method: 'POST' }))).status).toBe(200);
    expect((await get(`${job('exp_1')}/cancel`, as('ann', { method: 'POST' }))).status).toBe(429);
    expect(providerRequests.map((r) => r.method)).toEqual(['GET', 'POST']);
  });

  it('should leave a request the key calls undefined unlimited, and answer what key throws as authorize does', async () => {
    handler = makeHandler({
      cacheMs: 0,
      perCaller: {
        key: (request) => {
          const user = request.headers.get('x-user');
          if (user === 'anonymous') throw new Response('sign in first', { status: 401 });
          if (user === 'broken') throw new Error('session store down');
          return user ?? undefined;
        },
        requestsPerSecond: 1,
        burst: 1,
      },
    });
    for (let i = 0; i < 3; i++) expect((await get(job(`exp_${i}`))).status).toBe(200);
    const anonymous = await fetch(`${app.url}${job('exp_9')}`, as('anonymous'));
    expect([anonymous.status, await anonymous.text()]).toEqual([401, 'sign in first']);
    const broken = await get(job('exp_9'), as('broken'));
    expect(broken.status).toBe(500);
    expect(broken.body.error).toEqual({ code: 'internal_error', message: 'the caller could not be identified' });
    expect(errors.map((e) => (e.error as Error).message)).toEqual(['session store down']);
    expect(providerRequests).toHaveLength(3);
  });

  it('should refuse a bad perCaller when the handler is made', () => {
    const make = (perCaller: unknown) => () => makeHandler({ perCaller: perCaller as never });
    for (const bad of [null, 5, { requestsPerSecond: 1 }]) {
      expect(make(bad)).toThrow('invalid perCaller.key: expected a function');
    }
    const rate = (got: string) => `invalid perCaller.requestsPerSecond: expected a finite number > 0 (got ${got})`;
    expect(make({ key: byUser, requestsPerSecond: 0 })).toThrow(rate('0'));
    expect(make({ key: byUser, requestsPerSecond: Number.POSITIVE_INFINITY })).toThrow(rate('Infinity'));
    expect(make({ key: byUser, requestsPerSecond: '5' })).toThrow(rate('5'));
    const burst = (got: string) => `invalid perCaller.burst: expected a finite number >= 1 (got ${got})`;
    expect(make({ key: byUser, requestsPerSecond: 5, burst: 0.5 })).toThrow(burst('0.5'));
    expect(make({ key: byUser, requestsPerSecond: 5, burst: Number.POSITIVE_INFINITY })).toThrow(burst('Infinity'));
    expect(make({ key: byUser, requestsPerSecond: 5, burst: '5' })).toThrow(burst('5'));
    expect(make({ key: byUser, requestsPerSecond: 0.1 })).not.toThrow();
  });

  it('should remember at most 10,000 callers, forgetting the one seen longest ago', async () => {
    const gate = createCallerGate({ key: byUser, requestsPerSecond: 1, burst: 1 }, movableClock(), () => {});
    const ref = { provider: 'acme', kind: 'export', id: 'exp_1', action: 'read' } as const;
    const from = (user: string) => gate(new Request('http://127.0.0.1/', as(user)), ref);
    expect(await from('first')).toBeUndefined();
    expect((await from('first'))?.status).toBe(429);
    for (let i = 0; i < 9_999; i++) await from(`user${i}`);
    // 10,000 remembered: "first" (seen before them all) is still limited, and moves to the end.
    expect((await from('first'))?.status).toBe(429);
    await from('one more');
    // That forgot user0, seen longest ago: its bucket starts full again. "first" is remembered.
    expect(await from('user0')).toBeUndefined();
    expect((await from('first'))?.status).toBe(429);
  });
});

describe('remoteSource', () => {
  const base = () => `${app.url}/api/batchwatch`;
  const source = () => remoteSource(base(), { provider: 'acme', kind: 'export' });

  it('should follow a job to the end through the handler with waitForJob', async () => {
    const steps = [
      { status: 'QUEUED' },
      { status: 'RUNNING', done: 2, total: 8 },
      { status: 'RUNNING', done: 6, total: 8 },
      { status: 'DONE', done: 8, total: 8 },
    ];
    let n = 0;
    respond = () => ({ body: steps[Math.min(n++, steps.length - 1)] });
    const seen: string[] = [];
    const final = await waitForJob(source(), 'exp_1', {
      ...FAST,
      onSnapshot: (s) => seen.push(`${s.status}:${s.progress.fraction}`),
    });
    expect(seen).toEqual(['queued:null', 'running:0.25', 'running:0.75', 'succeeded:1']);
    expect(final).toMatchObject({
      provider: 'acme',
      kind: 'export',
      id: 'exp_1',
      status: 'succeeded',
      isTerminal: true,
    });
    expect(final.raw).toBeUndefined();
  });

  it("should carry the server's exact Retry-After into the schedule", async () => {
    const sources = {
      acme: {
        export: {
          provider: 'acme',
          kind: 'export',
          n: 0,
          async fetchSnapshot(id: string, { now }: { now: () => number }) {
            this.n++;
            const snapshot = createSnapshot({
              provider: 'acme',
              kind: 'export',
              id,
              status: this.n >= 2 ? 'succeeded' : 'running',
              rawStatus: null,
              progress: { completed: 0, total: null },
              observedAt: now(),
              raw: null,
            });
            return { snapshot, hints: { retryAfterMs: 250 } };
          },
        },
      },
    };
    // The handler's clock stands still, so no millisecond passes between the provider's answer and
    // the handler's (a Retry-After counts down by the time in between); every read is fresh.
    const still: Clock = { ...systemClock, now: () => 1_000_000 };
    handler = makeHandler({ sources, clock: still, cacheMs: 0 });
    const delays: unknown[] = [];
    await waitForJob(source(), 'exp_1', { ...FAST, onPoll: (e) => delays.push([e.delayMs, e.delaySource]) });
    expect(delays).toEqual([
      [250, 'server'],
      [null, null],
    ]);
  });

  it('should retry a 429 after its Retry-After and then finish', async () => {
    let n = 0;
    respond = () =>
      n++ === 0
        ? { status: 429, headers: { 'retry-after': '1' }, body: { message: 'slow down' } }
        : { body: { status: 'DONE' } };
    const events: unknown[] = [];
    const started = Date.now();
    await waitForJob(source(), 'exp_1', { ...FAST, onPollError: (e, info) => events.push([(e as Error).name, info]) });
    expect(events).toEqual([['RateLimitError', { attempt: 1, willRetry: true, delayMs: 1000 }]]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(990);
  });

  it.each([
    [{ status: 400, body: { message: 'x' } }, BadRequestError, 400],
    [{ status: 404, body: { message: 'x' } }, NotFoundError, 404],
    [{ status: 409, body: { message: 'x' } }, ConflictError, 409],
    [{ status: 500, body: { message: 'x' } }, ServerError, 502],
    [{ status: 401, body: { message: KEY } }, ServerError, 502],
  ] as const)('should map %j through the handler to %o', async (answer, Class, status) => {
    respond = () => answer;
    const error = await source()
      .fetchSnapshot('exp_1', { signal: new AbortController().signal, now: Date.now })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Class);
    expect((error as HttpError).status).toBe(status);
    expect((error as HttpError).provider).toBe('acme');
    expect(String((error as Error).message)).not.toContain(KEY);
  });

  it('should stop at once on a 403 from authorize', async () => {
    allow = () => false;
    await expect(waitForJob(source(), 'exp_1', FAST)).rejects.toBeInstanceOf(PermissionDeniedError);
    expect(authorized).toHaveLength(1);
  });

  it('should map a 429 to RateLimitError with retryAfterMs', async () => {
    respond = () => ({ status: 429, headers: { 'retry-after': '4' }, body: {} });
    const error = await source()
      .fetchSnapshot('exp_1', { signal: new AbortController().signal, now: Date.now })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitError);
    expect((error as RateLimitError).retryAfterMs).toBe(4000);
    expect((error as RateLimitError).code).toBe('rate_limited');
  });

  // Fetch injected, as a test of your own would do.
  const ctx = () => ({ signal: new AbortController().signal, now: () => 1_000 });
  const stub = (response: Response | Error) => async (request: Request) => {
    calls.push(request);
    if (response instanceof Error) throw response;
    return response;
  };
  const calls: Request[] = [];
  afterEach(() => {
    calls.length = 0;
  });

  it('should map 401 to AuthenticationError, a failed fetch to NetworkError and a non-JSON 200 to InvalidResponseError', async () => {
    const at = (fetch: (r: Request) => Promise<Response>) =>
      remoteSource('https://app.test/api/bw', { provider: 'acme', kind: 'export', fetch })
        .fetchSnapshot('e1', ctx())
        .catch((e: unknown) => e);
    const unauth = await at(
      stub(Response.json({ error: { code: 'unauthenticated', message: 'log in' } }, { status: 401 })),
    );
    expect(unauth).toBeInstanceOf(AuthenticationError);
    expect((unauth as HttpError).code).toBe('unauthenticated');
    expect(await at(stub(new TypeError('fetch failed')))).toBeInstanceOf(NetworkError);
    const html = await at(stub(new Response('<html>', { status: 200 })));
    expect(html).toBeInstanceOf(InvalidResponseError);
    const noStatus = await at(stub(Response.json({ snapshot: { status: 'paused', progress: {} }, hints: {} })));
    expect(noStatus).toBeInstanceOf(InvalidResponseError);
    const gateway = await at(stub(new Response('<html>502</html>', { status: 502, headers: { 'retry-after': '2' } })));
    expect(gateway).toBeInstanceOf(ServerError);
    expect((gateway as ServerError).retryAfterMs).toBe(2000);
  });

  it('should rebuild the snapshot on its own clock and encode the id', async () => {
    const body: JobStatusBody = {
      snapshot: {
        provider: 'acme',
        kind: 'export',
        id: 'a/b?c',
        status: 'partially_succeeded',
        rawStatus: 'DONE',
        isTerminal: true,
        progress: { completed: 4, failed: 1, total: 4, fraction: 1 },
        timestamps: { createdAt: '2026-01-01T00:00:00Z' },
        failure: { code: 'item_failures', message: '1 of 4 failed' },
        observedAt: 99,
      },
      hints: { retryAfterMs: 1234, nextPollAt: 5 },
    };
    const source = remoteSource('https://app.test/api/bw/', {
      provider: 'acme',
      kind: 'export',
      fetch: stub(Response.json(body, { headers: { 'retry-after': '2' } })),
      headers: () => ({ 'x-csrf': 'tok' }),
    });
    const result = await source.fetchSnapshot('a/b?c', ctx());
    expect(calls[0]?.url).toBe('https://app.test/api/bw/jobs/acme/export/a%2Fb%3Fc');
    expect(calls[0]?.headers.get('x-csrf')).toBe('tok');
    expect(calls[0]?.headers.get('accept')).toBe('application/json');
    expect(result.snapshot).toEqual({ ...body.snapshot, observedAt: 1_000, raw: undefined });
    expect(result.hints.retryAfterMs).toBe(1234);
  });

  it("should take the hints from the body, else from a Retry-After header (a proxy's), with the status", async () => {
    const snapshot = { status: 'running', progress: { completed: 1, failed: 0, total: 4 } };
    const hintsOf = async (body: unknown, headers: Record<string, string> = {}) => {
      const fetch = stub(Response.json(body, { headers }));
      const source = remoteSource('https://app.test/api/bw', { provider: 'acme', kind: 'export', fetch });
      return (await source.fetchSnapshot('e1', ctx())).hints;
    };
    expect(await hintsOf({ snapshot, hints: { retryAfterMs: 1500 } }, { 'retry-after': '2' })).toEqual({
      httpStatus: 200,
      retryAfterMs: 1500,
    });
    expect(await hintsOf({ snapshot, hints: {} }, { 'retry-after': '2' })).toEqual({
      httpStatus: 200,
      retryAfterMs: 2000,
    });
    expect(await hintsOf({ snapshot }, { 'x-ratelimit-remaining': '3' })).toEqual({ httpStatus: 200 });
  });

  it('should resolve a relative base URL against the page location', async () => {
    respond = () => ({ body: { status: 'DONE' } });
    Object.defineProperty(globalThis, 'location', {
      value: { href: `${app.url}/dashboard/jobs?tab=1` },
      configurable: true,
    });
    const api = remoteSource('/api/batchwatch');
    const final = await waitForJob(api('acme', 'export'), 'exp_1', FAST);
    expect(final.status).toBe('succeeded');
  });

  it('should reject a relative base URL where there is no page', async () => {
    const relative = remoteSource('/api/batchwatch', { provider: 'acme', kind: 'export' });
    const error = await waitForJob(relative, 'exp_1', FAST).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).field).toBe('baseUrl');
  });

  it('should cancel through the handler and keep polling to the end with watch.cancel()', async () => {
    let cancelled = false;
    respond = (_path, method) => {
      if (method === 'POST') cancelled = true;
      return { body: { status: cancelled ? 'CANCELLED' : 'RUNNING', done: 1, total: 4 } };
    };
    const watch = watchJob(source(), 'exp_1', { ...FAST, resolveOnUnsuccessful: true });
    const final = await watch.cancel();
    expect(final.status).toBe('cancelled');
    expect(providerRequests.some((r) => r.method === 'POST' && r.path === '/exports/exp_1/cancel')).toBe(true);
  });

  it('should reject with CancelNotSupportedError for a source the server cannot cancel', async () => {
    const report = remoteSource(base(), { provider: 'acme', kind: 'report' });
    await expect(report.cancel?.('r1', ctx())).rejects.toBeInstanceOf(CancelNotSupportedError);
    expect(remoteSource(base(), { provider: 'acme', kind: 'report', cancellable: false }).cancel).toBeUndefined();
  });

  it('should validate its arguments', () => {
    expect(() => remoteSource('', { provider: 'acme', kind: 'export' })).toThrow(ValidationError);
    expect(() => remoteSource('/x', { provider: '', kind: 'export' })).toThrow(/provider/);
    expect(() => remoteSource('/x')('acme', '')).toThrow(/kind/);
  });
});
