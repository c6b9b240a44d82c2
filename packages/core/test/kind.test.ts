// A described job kind against a fake typed client: the builder's source and pager, for every
// paging style, without any provider code.
import { describe, expect, it } from 'vitest';
import {
  createJobSource,
  createResultPager,
  fieldAt,
  type JobKind,
  type ParamRules,
  snapshotFromKind,
  statusFromKind,
} from '../src/client-kit/index.js';
import {
  InvalidResponseError,
  NotFoundError,
  type ResultContext,
  type SourceContext,
  ValidationError,
} from '../src/index.js';
import { jobResults } from '../src/results/index.js';

interface Job {
  id?: string;
  state?: unknown;
  counts?: { done?: unknown; failed?: unknown; cancelled?: unknown; total?: unknown };
  created?: string | null;
  ended?: string | null;
  stopped?: string | null;
  error?: string;
}
interface Item {
  key?: string;
  state?: string;
  position?: number;
  reason?: string;
}
interface Page {
  items?: Item[] | null;
  next?: string | null;
  count?: number;
  more?: boolean;
}

type Body = Job & Page;
interface Call {
  path: string;
  query: Record<string, unknown>;
}
/** A client shaped like openapi-fetch's: answers come from `answer(path, query)`, calls are recorded. */
function fakeClient(
  answer: (
    path: string,
    query: Record<string, unknown>,
  ) => { status?: number; body: Body; headers?: Record<string, string> },
) {
  const calls: Call[] = [];
  return {
    calls,
    async GET(
      path: string,
      init: { params?: { path?: Record<string, string>; query?: Record<string, unknown> }; signal?: AbortSignal },
    ) {
      const query = init.params?.query ?? {};
      const id = init.params?.path?.id ?? '';
      calls.push({ path: path.replace('{id}', id), query });
      const { status = 200, body, headers = {} } = answer(path.replace('{id}', id), query);
      const response = new Response(JSON.stringify(body), { status, headers });
      return status < 400 ? { data: body, response } : { error: body, response };
    },
  };
}
type Client = ReturnType<typeof fakeClient>;

const rules: ParamRules = {
  'GET /jobs/{id}': [{ in: 'path', name: 'id', required: true, schema: { type: 'string', pattern: '^j[0-9]+$' } }],
};

function kind(
  paging: 'offset' | 'cursor' | 'page',
  extra: Partial<JobKind<Client, Job, Item>> = {},
): JobKind<Client, Job, Item> {
  return {
    provider: 'acme',
    kind: 'job',
    operation: 'GET /jobs/{id}',
    idParam: 'id',
    paramRules: rules,
    parseError: (body) => (typeof body === 'object' && body !== null ? { code: String((body as Job).error) } : {}),
    read: ({ client, signal, call }, id) => call(client.GET('/jobs/{id}', { params: { path: { id } }, signal })),
    status: {
      field: 'state',
      table: { WAITING: 'queued', BUSY: 'running', DONE: 'succeeded', BROKEN: 'failed', STOPPED: 'cancelled' },
      refine: (status, job) => (status === 'succeeded' && job.counts?.failed ? 'partially_succeeded' : status),
    },
    progress: { completed: ['counts.done', 'counts.failed'], failed: 'counts.failed', total: 'counts.total' },
    timestamps: { createdAt: 'created', finishedAt: ['ended', 'stopped'] },
    failure: (job, status) => (status === 'failed' ? { message: job.error ?? 'broken' } : undefined),
    results: {
      operation: 'GET /jobs/{id}/items',
      paging,
      defaultPageSize: 2,
      maxPageSize: 5,
      read: ({ client, signal, call }, id, at) =>
        call(client.GET('/jobs/{id}/items', { params: { path: { id }, query: { ...at } }, signal })),
      items: 'items',
      next: 'next',
      total: (page) => page.count,
      more: (page) => page.more,
      item: {
        status: { field: 'state', table: { ok: 'succeeded', bad: 'failed', waiting: 'pending' } },
        id: 'key',
        index: 'position',
        failure: (item, status) => (status === 'failed' ? { message: item.reason ?? 'no reason' } : undefined),
      },
    },
    ...extra,
  };
}

const context = (): SourceContext => ({ signal: new AbortController().signal, now: () => 1000 });
const pageContext = (pageSize = 2, seen = 0): ResultContext => ({ ...context(), pageSize, page: 0, seen });

describe('snapshotFromKind', () => {
  it('should read the status, add up counts, take the first timestamp and refine', () => {
    const s = snapshotFromKind(
      kind('offset'),
      {
        state: 'DONE',
        counts: { done: 7, failed: 3, total: 10 },
        created: '2026-01-01T00:00:00Z',
        ended: null,
        stopped: '2026-01-01T01:00:00Z',
      },
      5,
      'j1',
    );
    expect(s).toMatchObject({
      provider: 'acme',
      kind: 'job',
      id: 'j1',
      status: 'partially_succeeded',
      rawStatus: 'DONE',
      isTerminal: true,
      progress: { completed: 10, failed: 3, total: 10, fraction: 1 },
      timestamps: { createdAt: '2026-01-01T00:00:00Z', finishedAt: '2026-01-01T01:00:00Z' },
      observedAt: 5,
    });
  });

  it('should count what is not a finite number as 0 and an unknown total as null', () => {
    const s = snapshotFromKind(kind('offset'), { state: 'BUSY', counts: { done: '7', failed: Number.NaN } }, 0, 'j1');
    expect(s.progress).toEqual({ completed: 0, failed: 0, total: null, fraction: null });
  });

  it('should map an undocumented status to unknown and refuse a body without a status string', () => {
    expect(statusFromKind(kind('offset'), { state: 'PAUSED' })).toBe('unknown');
    expect(() => statusFromKind(kind('offset'), {})).toThrow(/acme sent no state, expected a status string/);
    expect(() => statusFromKind(kind('offset'), { state: { s: 1 } })).toThrow(InvalidResponseError);
  });

  it('should call failure with the status and the raw status', () => {
    expect(snapshotFromKind(kind('offset'), { state: 'BROKEN', error: 'disk full' }, 0, 'j1').failure).toEqual({
      message: 'disk full',
    });
  });
});

describe('fieldAt', () => {
  it('should read own properties only', () => {
    expect(fieldAt({ a: { b: 1 } }, 'a.b')).toBe(1);
    expect(fieldAt({ a: null }, 'a.b')).toBeUndefined();
    expect(fieldAt({}, 'constructor')).toBeUndefined();
    expect(fieldAt({ a: 'text' }, 'a.length')).toBeUndefined();
  });
});

describe('createJobSource', () => {
  it('should poll through the typed call and keep the response hints', async () => {
    const client = fakeClient(() => ({ body: { state: 'BUSY' }, headers: { 'retry-after': '3' } }));
    const source = createJobSource(kind('offset'), client);
    const { snapshot, hints } = await source.fetchSnapshot('j1', context());
    expect(snapshot).toMatchObject({ status: 'running', id: 'j1', observedAt: 1000 });
    expect(hints).toMatchObject({ retryAfterMs: 3000, httpStatus: 200 });
    expect(client.calls).toEqual([{ path: '/jobs/j1', query: {} }]);
  });

  it('should validate the id from the spec rules and turn error bodies into batchwatch errors', async () => {
    const client = fakeClient(() => ({ status: 404, body: { error: 'gone' } }));
    const source = createJobSource(kind('offset'), client);
    expect(() => source.validateId?.('x 1')).toThrow(ValidationError);
    const error = await source.fetchSnapshot('j1', context()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error).toMatchObject({ provider: 'acme', code: 'gone' });
  });

  it('should have cancel and requestsPerPoll only when the kind has them', async () => {
    const client = fakeClient(() => ({ body: { state: 'BUSY' } }));
    const plain = createJobSource(kind('offset'), client);
    expect('cancel' in plain).toBe(false);
    expect('requestsPerPoll' in plain).toBe(false);
    const withCancel = createJobSource(
      kind('offset', {
        requestsPerPoll: 2,
        cancel: ({ client: c, signal, call }, id) =>
          call(c.GET('/jobs/{id}/cancel', { params: { path: { id } }, signal })),
      }),
      client,
    );
    expect(withCancel.requestsPerPoll).toBe(2);
    await expect(withCancel.cancel?.('j1', context())).resolves.toBeUndefined();
    expect(client.calls.at(-1)?.path).toBe('/jobs/j1/cancel');
  });

  it('should merge the hints of several calls in call order, keeping the longest wait', async () => {
    const client = fakeClient((path) =>
      path.endsWith('/a')
        ? { body: { state: 'BUSY' }, headers: { 'retry-after': '1', 'x-ratelimit-remaining': '9' } }
        : { body: {}, status: 202, headers: { 'retry-after': '4', 'x-ratelimit-remaining': '2' } },
    );
    const source = createJobSource(
      kind('offset', {
        async read({ client: c, signal, call }, id) {
          // The second call answers first: the order of the calls, not of the answers, decides.
          const b = call(c.GET('/jobs/{id}/b', { params: { path: { id } }, signal }));
          const a = await call(c.GET('/jobs/{id}/a', { params: { path: { id } }, signal }));
          await b;
          return a as Job;
        },
      }),
      client,
    );
    const { hints } = await source.fetchSnapshot('j1', context());
    expect(hints).toEqual({ retryAfterMs: 4000, rateLimit: { remaining: 2 }, httpStatus: 202 });
  });

  it('should pass the options to read', async () => {
    const seen: unknown[] = [];
    const k: JobKind<Client, Job, never, { verbose?: boolean }> = {
      ...kind('offset'),
      results: undefined,
      read: ({ client, signal, call, options }, id) => {
        seen.push(options);
        return call(client.GET('/jobs/{id}', { params: { path: { id } }, signal }));
      },
    };
    const client = fakeClient(() => ({ body: { state: 'BUSY' } }));
    await createJobSource(k, client, { verbose: true }).fetchSnapshot('j1', context());
    await createJobSource(k, client).fetchSnapshot('j1', context());
    expect(seen).toEqual([{ verbose: true }, {}]);
  });
});

describe('createResultPager', () => {
  const items = (n: number, from = 0): Item[] =>
    Array.from({ length: n }, (_, i) => ({ key: `k${from + i}`, state: i === 1 ? 'bad' : 'ok' }));

  it('should page by offset, normalize items and follow the total', async () => {
    const client = fakeClient((_, q) => {
      const offset = Number(q.offset);
      return { body: { items: items(Math.min(2, 5 - offset), offset), count: 5 } };
    });
    const pager = createResultPager(kind('offset'), client);
    const all = await jobResults(pager, 'j1').toArray({ max: 10 });
    expect(all.map((i) => i.id)).toEqual(['k0', 'k1', 'k2', 'k3', 'k4']);
    expect(all.map((i) => i.index)).toEqual([0, 1, 2, 3, 4]);
    expect(all[1]).toMatchObject({ status: 'failed', failure: { message: 'no reason' } });
    expect(client.calls.map((c) => c.query.offset)).toEqual([0, 2, 4]);
  });

  it('should page by page number', async () => {
    const client = fakeClient((_, q) => ({
      body: { items: Number(q.page) < 2 ? items(2) : [], more: Number(q.page) < 1 },
    }));
    const all = await jobResults(createResultPager(kind('page'), client), 'j1').toArray({ max: 10 });
    expect(all).toHaveLength(4);
    expect(all.map((i) => i.index)).toEqual([0, 1, 2, 3]);
    expect(client.calls.map((c) => [c.query.page, c.query.offset, c.query.limit])).toEqual([
      [0, 0, 2],
      [1, 2, 2],
    ]);
  });

  it('should page by the provider cursor, positions counted from the items seen', async () => {
    const client = fakeClient((_, q) =>
      q.cursor === null
        ? { body: { items: [{ state: 'ok' }, { state: 'ok' }], next: 'c2' } }
        : { body: { items: [{ state: 'waiting', position: 9 }], next: '' } },
    );
    const all = await jobResults(createResultPager(kind('cursor'), client), 'j1').toArray({ max: 10 });
    expect(all.map((i) => [i.id, i.index, i.status])).toEqual([
      ['0', 0, 'succeeded'],
      ['1', 1, 'succeeded'],
      ['2', 9, 'pending'],
    ]);
  });

  it("should read the job's own total with the first page when total is 'job'", async () => {
    const base = kind('cursor');
    const k: JobKind<Client, Job, Item> = { ...base, results: { ...base.results!, total: 'job' } };
    const client = fakeClient((path) =>
      path === '/jobs/j1'
        ? { body: { state: 'DONE', counts: { total: 3 } } }
        : { body: { items: items(2), next: 'again' } },
    );
    const pager = createResultPager(k, client);
    const first = await pager.fetchPage('j1', null, pageContext());
    expect(first.total).toBe(3);
    const second = await pager.fetchPage('j1', 'again', pageContext(2, 2));
    expect(second.total).toBeNull();
    expect(client.calls.filter((c) => c.path === '/jobs/j1')).toHaveLength(1);
  });

  it('should refuse a page with more items than asked for, and items that are not a list of objects', async () => {
    const pager = createResultPager(
      kind('offset'),
      fakeClient(() => ({ body: { items: items(3) } })),
    );
    await expect(pager.fetchPage('j1', null, pageContext())).rejects.toThrow(/acme sent 3 items for offsets 0-1/);
    const odd = createResultPager(
      kind('offset'),
      fakeClient(() => ({ body: { items: [null] as never } })),
    );
    await expect(odd.fetchPage('j1', null, pageContext())).rejects.toThrow(/items\[0\] as null/);
  });

  it('should not start a page past maxOffset and ask no more than up to it', async () => {
    const base = kind('offset');
    const k: JobKind<Client, Job, Item> = { ...base, results: { ...base.results!, maxOffset: 3 } };
    const client = fakeClient(() => ({ body: { items: items(1), more: true } }));
    const pager = createResultPager(k, client);
    const page = await pager.fetchPage('j1', '3', pageContext());
    expect(client.calls[0]?.query).toMatchObject({ offset: 3, limit: 1 });
    expect(page.next).toBeNull();
  });

  it('should use another results description of the kind with its own options', async () => {
    const base = kind('offset');
    const client = fakeClient(() => ({ body: { items: items(1) } }));
    const pager = createResultPager(
      base,
      client,
      { only: 'bad' },
      {
        ...base.results!,
        read: ({ client: c, signal, call, options }, id, at) =>
          call(c.GET('/jobs/{id}/items', { params: { path: { id }, query: { ...at, ...options } }, signal })),
      },
    );
    await pager.fetchPage('j1', null, pageContext());
    expect(client.calls[0]?.query.only).toBe('bad');
    expect(() => createResultPager({ ...base, results: undefined }, client)).toThrow(/acme job jobs have no results/);
  });
});
