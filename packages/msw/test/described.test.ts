// A provider of your own, served from its job-kind description: the scripted lifecycle, every end,
// faults and Retry-After, create and cancel, result pages, as msw handlers and from the local server.
import {
  HttpError,
  InvalidResponseError,
  type JobSnapshot,
  NotFoundError,
  RateLimitError,
  waitForJob,
} from '@batchwatch/core';
import { type ApiResult, createJobSource, type JobKind, type ParamRules } from '@batchwatch/core/client-kit';
import { jobResults } from '@batchwatch/core/results';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createMockProviders,
  defineMockProvider,
  type MockProviders,
  mockProviderHandlers,
  script,
} from '../src/index.js';
import { startMockProviderServer } from '../src/server.js';
import { context, rejection } from './helpers.js';

interface AcmeExport {
  id: string;
  state: string;
  table?: string;
  progress?: { total?: number; processed?: number; failed?: number };
  created_at?: string;
  started_at?: string;
  finished_at?: string;
}
interface AcmeRow {
  row_id: string;
  outcome: string;
  n: number;
}

const BASE = 'https://api.acme.example/v2';
/** A tiny client in openapi-fetch's result shape: `(method, path, signal) -> { data | error, response }`. */
type AcmeClient = (method: string, path: string, signal: AbortSignal) => Promise<ApiResult<never, unknown>>;

function acmeClient(send: (request: Request) => Promise<Response>, base = BASE): AcmeClient {
  return async (method, path, signal) => {
    const response = await send(new Request(`${base}${path}`, { method, signal }));
    const text = await response.text();
    const body = text === '' ? undefined : JSON.parse(text);
    return response.ok ? { data: body as never, response } : { error: body, response };
  };
}
const viaMock =
  (mock: MockProviders<'acme'>): AcmeClient =>
  (method, path, signal) =>
    acmeClient(async (request) => (await mock.handle(request)) ?? new Response('{}', { status: 599 }))(
      method,
      path,
      signal,
    );

const rule = {
  in: 'path',
  name: 'export_id',
  required: true,
  schema: { type: 'string', pattern: '^exp_[a-z0-9]+$' },
} as const;
const paramRules: ParamRules = {
  'GET /exports/{export_id}': [rule],
  'GET /exports/{export_id}/rows': [rule],
  'POST /exports/{export_id}/cancel': [rule],
};

const acmeExportKind: JobKind<AcmeClient, AcmeExport, AcmeRow> = {
  provider: 'acme',
  kind: 'export',
  operation: 'GET /exports/{export_id}',
  idParam: 'export_id',
  paramRules,
  parseError: (body) => {
    const e = (body as { error?: { code?: string; message?: string } } | undefined)?.error;
    return { ...(e?.code ? { code: e.code } : {}), ...(e?.message ? { message: e.message } : {}) };
  },
  read: ({ client, signal, call }, id) => call(client('GET', `/exports/${id}`, signal)),
  status: {
    field: 'state',
    table: {
      pending: 'queued',
      running: 'running',
      done: 'succeeded',
      failed: 'failed',
      expired: 'failed',
      cancelled: 'cancelled',
    },
    refine: (status, raw) =>
      status === 'succeeded' && (raw.progress?.failed ?? 0) > 0 ? 'partially_succeeded' : status,
  },
  progress: { completed: 'progress.processed', failed: 'progress.failed', total: 'progress.total' },
  timestamps: { createdAt: 'created_at', startedAt: 'started_at', finishedAt: 'finished_at' },
  cancel: ({ client, signal, call }, id) => call(client('POST', `/exports/${id}/cancel`, signal)),
  results: {
    operation: 'GET /exports/{export_id}/rows',
    paging: 'cursor',
    defaultPageSize: 4,
    maxPageSize: 10,
    read: ({ client, signal, call }, id, at) =>
      call(client('GET', `/exports/${id}/rows?limit=${at.limit}${at.cursor ? `&cursor=${at.cursor}` : ''}`, signal)),
    items: 'rows',
    next: 'next_cursor',
    item: {
      status: { field: 'outcome', table: { waiting: 'pending', ok: 'succeeded', error: 'failed', skipped: 'skipped' } },
      id: 'row_id',
      index: 'n',
    },
  },
};

const newId = (random: () => number) => `exp_${Math.floor(random() * 36 ** 8).toString(36)}`;
const acme = defineMockProvider({
  name: 'acme',
  baseUrl: BASE,
  kinds: [
    {
      kind: acmeExportKind,
      operations: { create: 'POST /exports', cancel: 'POST /exports/{export_id}/cancel' },
      newId,
      createStatus: 202,
      body: ({ request }) => ({ table: typeof request.table === 'string' ? request.table : 'events' }),
    },
  ],
});
const fast = { minIntervalMs: 1, initialIntervalMs: 1, maxIntervalMs: 5, timeoutMs: 10_000 };

describe('defineMockProvider: a lifecycle from the description', () => {
  it('should play queued -> running with progress -> succeeded in the fields the description reads', async () => {
    const mock = createMockProviders({ providers: [acme], seed: 5 });
    const id = mock.addJob('acme', 'export', { ...script.lifecycle({ queuedPolls: 1, progress: [0.5, 1] }), total: 8 });
    const seen: JobSnapshot<AcmeExport>[] = [];
    const source = createJobSource(acmeExportKind, viaMock(mock));
    const final = await waitForJob(source, id, { ...fast, onSnapshot: (s) => seen.push(s) });
    expect(seen.map((s) => [s.rawStatus, s.status, s.progress.completed, s.progress.total])).toEqual([
      ['pending', 'queued', 0, 8],
      ['running', 'running', 4, 8],
      ['running', 'running', 8, 8],
      ['done', 'succeeded', 8, 8],
    ]);
    expect(final.raw).toMatchObject({ id, table: 'events', progress: { total: 8, processed: 8, failed: 0 } });
    expect(final.timestamps).toEqual({
      createdAt: expect.stringMatching(/Z$/),
      startedAt: expect.stringMatching(/Z$/),
      finishedAt: expect.stringMatching(/Z$/),
    });
    expect(mock.job(id)).toMatchObject({ provider: 'acme', kind: 'export', state: 'succeeded' });
    expect(mock.requests.map((r) => `${r.provider} ${r.operationId} ${r.status}`)).toEqual(
      Array(4).fill('acme GET /exports/{export_id} 200'),
    );
  });

  it.each([
    ['partially_succeeded', {}, 'done', { processed: 10, failed: 2 }],
    ['failed', {}, 'failed', { processed: 10, failed: 10 }],
    ['failed', { endRaw: 'expired' }, 'expired', { processed: 10, failed: 10 }],
    ['cancelled', {}, 'cancelled', { processed: 0, failed: 0 }],
  ] as const)('should end %s (%o) showing %s', async (end, extra, raw, counts) => {
    const mock = createMockProviders({ providers: [acme] });
    const id = mock.addJob('acme', 'export', { phases: [], end, ...extra });
    const final = await waitForJob(createJobSource(acmeExportKind, viaMock(mock)), id, {
      ...fast,
      resolveOnUnsuccessful: true,
    });
    expect([final.status, final.rawStatus]).toEqual([end, raw]);
    expect(final.raw.progress).toMatchObject(counts);
  });

  it('should show another documented status through a phase, and an undocumented one for unknown', async () => {
    const mock = createMockProviders({ providers: [acme] });
    const id = mock.addJob('acme', 'export', {
      phases: [{ state: 'running', raw: 'pending', progress: 0.3 }, { state: 'unknown' }],
      end: 'succeeded',
    });
    const source = createJobSource(acmeExportKind, viaMock(mock));
    const raws: Array<string | null> = [];
    for (let i = 0; i < 3; i++) raws.push((await source.fetchSnapshot(id, context())).snapshot.rawStatus);
    expect(raws).toEqual(['pending', 'paused', 'done']);
  });

  it("should write each timestamp in the template's form, at the field the template fills", async () => {
    // OpenAI's way: Unix seconds, and one end field per end (`failed_at` for a failed batch).
    interface UnixExport extends Omit<AcmeExport, 'created_at'> {
      created_at?: number;
      completed_at?: number;
      failed_at?: number;
    }
    const { provider, kind, operation, idParam, parseError } = acmeExportKind;
    const unixKind: JobKind<AcmeClient, UnixExport> = {
      ...{ provider, kind, operation, idParam, paramRules, parseError },
      read: ({ client, signal, call }, id) => call(client('GET', `/exports/${id}`, signal)),
      status: { field: 'state', table: acmeExportKind.status.table },
      progress: { completed: 'progress.processed', failed: 'progress.failed', total: 'progress.total' },
      timestamps: { createdAt: 'created_at', startedAt: 'started_at', finishedAt: ['completed_at', 'failed_at'] },
    };
    const unix = defineMockProvider({
      name: 'acme',
      baseUrl: BASE,
      kinds: [
        {
          kind: unixKind,
          newId,
          body: ({ rawStatus }) => ({ created_at: 0, ...(rawStatus === 'failed' ? { failed_at: 0 } : {}) }),
        },
      ],
    });
    const mock = createMockProviders({ providers: [unix] });
    const id = mock.addJob('acme', 'export', { phases: [{ state: 'running', progress: 0.5 }], end: 'failed' });
    const source = createJobSource(unixKind, viaMock(mock));
    const running = (await source.fetchSnapshot(id, context())).snapshot;
    const failed = (await source.fetchSnapshot(id, context())).snapshot;
    const job = mock.job(id);
    const seconds = (ms: number | undefined) => Math.floor((ms ?? Number.NaN) / 1000);
    expect(running.raw.created_at).toBe(seconds(job?.createdAt));
    // No template value: the first field, in ISO 8601.
    expect(running.raw.started_at).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z$/);
    expect(failed.raw).toMatchObject({ failed_at: seconds(job?.finishedAt) });
    expect(failed.raw).not.toHaveProperty('completed_at');
    expect(failed.timestamps).toEqual({
      createdAt: new Date(seconds(job?.createdAt) * 1000).toISOString(),
      startedAt: running.raw.started_at,
      finishedAt: new Date(seconds(job?.finishedAt) * 1000).toISOString(),
    });
  });

  it('should refuse ends and statuses the description cannot show', () => {
    const mock = createMockProviders({ providers: [acme] });
    expect(() => mock.addJob('acme', 'export', { phases: [], end: 'failed', endRaw: 'done' })).toThrow(
      /an? acme export that ends failed shows failed or expired, not "done"/,
    );
    expect(() => mock.addJob('acme', 'report')).toThrow(/acme has no report jobs \(it has: export\)/);
    expect(() => mock.addJob('nope' as 'acme', 'export')).toThrow(
      /unknown provider nope \(the mock serves: supermetrics, runflow, check, acme\)/,
    );
    const plain = defineMockProvider({
      name: 'acme',
      baseUrl: BASE,
      kinds: [
        {
          kind: { ...acmeExportKind, status: { field: 'state', table: { pending: 'queued', done: 'succeeded' } } },
          newId,
        },
      ],
    });
    expect(() =>
      createMockProviders({ providers: [plain] }).addJob('acme', 'export', { phases: [], end: 'partially_succeeded' }),
    ).toThrow(/cannot end partially_succeeded \(it can: succeeded\)/);
  });
});

describe('defineMockProvider: faults as for our providers', () => {
  it('should answer 429 with Retry-After, a JSON 503, a cut body, then the step the faulted reads would have got', async () => {
    const mock = createMockProviders({ providers: [acme] });
    const id = mock.addJob('acme', 'export', {
      ...script.lifecycle({ queuedPolls: 1, progress: [1] }),
      faults: [
        { kind: 'rate-limit', at: 1, retryAfter: 7 },
        { kind: 'server-error', at: 2, status: 503 },
        { kind: 'malformed', at: 3 },
      ],
    });
    const source = createJobSource(acmeExportKind, viaMock(mock));
    expect((await source.fetchSnapshot(id, context())).snapshot.rawStatus).toBe('pending');
    const limited = await rejection(source.fetchSnapshot(id, context()));
    expect(limited).toBeInstanceOf(RateLimitError);
    expect(limited).toMatchObject({ status: 429, retryAfterMs: 7000, code: 'rate_limited' });
    const down = await rejection(source.fetchSnapshot(id, context()));
    expect(down).toBeInstanceOf(HttpError);
    expect(down).toMatchObject({ status: 503, code: 'service_unavailable' });
    const cut = await rejection(source.fetchSnapshot(id, context()));
    expect(cut).toBeInstanceOf(InvalidResponseError);
    const next = (await source.fetchSnapshot(id, context())).snapshot;
    expect([next.rawStatus, next.progress.completed]).toEqual(['running', 10]);
  });

  it('should answer an unknown id with a JSON 404', async () => {
    const mock = createMockProviders({ providers: [acme] });
    const error = await rejection(createJobSource(acmeExportKind, viaMock(mock)).fetchSnapshot('exp_none', context()));
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error).toMatchObject({
      code: 'not_found',
      message: expect.stringContaining('No export found with id "exp_none"'),
    });
  });
});

describe('defineMockProvider: create, cancel and results', () => {
  it('should create a job from the request body and cancel it once', async () => {
    const mock = createMockProviders({ providers: [acme] });
    mock.nextScript('acme', script.lifecycle({ queuedPolls: 3 }));
    const created = await mock.handle(
      new Request(`${BASE}/exports`, { method: 'POST', body: JSON.stringify({ table: 'orders' }) }),
    );
    expect(created?.status).toBe(202);
    const body = (await created?.json()) as AcmeExport;
    expect(body).toMatchObject({ id: expect.stringMatching(/^exp_/), state: 'pending', table: 'orders' });
    const source = createJobSource(acmeExportKind, viaMock(mock));
    await source.cancel?.(body.id, context());
    expect((await source.fetchSnapshot(body.id, context())).snapshot).toMatchObject({
      status: 'cancelled',
      rawStatus: 'cancelled',
    });
    const again = await rejection(source.cancel?.(body.id, context()) ?? Promise.resolve());
    expect(again).toMatchObject({ status: 409, code: 'conflict' });
    const bad = await mock.handle(new Request(`${BASE}/exports`, { method: 'POST', body: 'not json' }));
    expect(bad?.status).toBe(400);
  });

  it('should page the items at results.items with results.next, each item status from the item table', async () => {
    const mock = createMockProviders({ providers: [acme] });
    const id = mock.addJob('acme', 'export', { phases: [], end: 'partially_succeeded', total: 10, failureRate: 0.3 });
    const source = createJobSource(acmeExportKind, viaMock(mock));
    await source.fetchSnapshot(id, context());
    const items = [];
    for await (const item of jobResults(source, id)) items.push(item);
    expect(items).toHaveLength(10);
    expect(items.map((i) => i.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(items.filter((i) => i.status === 'failed')).toHaveLength(3);
    expect(items[0]).toMatchObject({ id: `${id}-1`, raw: { row_id: `${id}-1`, n: 0 } });
    // Three pages of at most 4 (the default page size): the cursors the mock made came back.
    expect(mock.requests.filter((r) => r.operationId === 'GET /exports/{export_id}/rows')).toHaveLength(3);
  });
});

describe('defineMockProvider: as msw handlers', () => {
  const mock = createMockProviders({ providers: [acme] });
  const server = setupServer(...mockProviderHandlers(mock, acme));
  beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
  afterEach(() => mock.reset());
  afterAll(() => server.close());

  it('should answer fetch at the production base URL through msw', async () => {
    const id = mock.addJob('acme', 'export', script.lifecycle({ queuedPolls: 0, progress: [] }));
    const final = await waitForJob(
      createJobSource(
        acmeExportKind,
        acmeClient((r) => fetch(r)),
      ),
      id,
      fast,
    );
    expect(final).toMatchObject({ provider: 'acme', status: 'succeeded', rawStatus: 'done' });
  });
});

describe('defineMockProvider: from the local server', () => {
  it('should serve the provider on /<name> of the loopback server, beside the three', async () => {
    const local = await startMockProviderServer({
      providers: [acme],
      jobs: [{ provider: 'acme', kind: 'export', script: script.lifecycle({ progress: [0.5] }) }],
    });
    try {
      expect(local.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(local.urls.acme).toBe(`${local.url}/acme`);
      expect(local.urls.check).toBe(`${local.url}/check`);
      const [job] = local.jobs;
      const source = createJobSource(
        acmeExportKind,
        acmeClient((r) => fetch(r), local.urls.acme),
      );
      const final = await waitForJob(source, job?.id ?? '', fast);
      expect(final.status).toBe('succeeded');
      expect(local.mock.job(job?.id ?? '')?.provider).toBe('acme');
    } finally {
      await local.close();
    }
  });
});

describe('defineMockProvider: bad definitions', () => {
  it('should name what is wrong', () => {
    expect(() => defineMockProvider({ name: 'other', baseUrl: BASE, kinds: [acmeExportKind] })).toThrow(
      /the export kind is of provider acme, not other/,
    );
    // The default ids (export_...) break the spec's ^exp_ rule: the client would refuse them.
    expect(() => defineMockProvider({ name: 'acme', baseUrl: BASE, kinds: [acmeExportKind] })).toThrow(
      /acme export: the mock's ids look like export_[a-z0-9]{24}, which GET \/exports\/\{export_id\} refuses .*: pass newId/,
    );
    const noCancel = {
      ...acmeExportKind,
      status: { field: 'state' as const, table: { pending: 'queued', done: 'succeeded' } as const },
    };
    expect(() =>
      defineMockProvider({
        name: 'acme',
        baseUrl: BASE,
        kinds: [{ kind: noCancel, newId, operations: { cancel: 'POST /exports/{export_id}/cancel' } }],
      }),
    ).toThrow(/operations.cancel is set but no documented status reads as cancelled/);
    expect(() => defineMockProvider({ name: 'Acme', baseUrl: BASE, kinds: [] })).toThrow(
      /name: expected a lower-case provider name/,
    );
    expect(() => defineMockProvider({ name: 'acme', baseUrl: '/v2', kinds: [] })).toThrow(
      /baseUrl: expected the provider's absolute/,
    );
    expect(() =>
      createMockProviders({ providers: [defineMockProvider({ name: 'check', baseUrl: BASE, kinds: [] })] }),
    ).toThrow(/two mock providers are named check/);
  });
});
