// The rules of a described job kind (client-kit/kind.ts), one per case: how its counts, timestamps
// and failure are read from a raw body, how a results item reads, and what a read's request gives
// (the clock, the hints of its calls merged in call order).
import { describe, expect, it } from 'vitest';
import {
  type ApiResult,
  createJobSource,
  itemFromKind,
  type JobKind,
  type KindItem,
  type ParamRules,
  progressFromKind,
  snapshotFromKind,
} from '../src/client-kit/index.js';
import type { SourceContext } from '../src/index.js';
import { jobResults } from '../src/results/index.js';

interface Job {
  state?: string;
  done?: unknown;
  bad?: unknown;
  total?: unknown;
  created?: unknown;
  queued?: unknown;
  started?: unknown;
  ended?: unknown;
}

const paramRules: ParamRules = {
  'GET /jobs/{id}': [{ in: 'path', name: 'id', required: true, schema: { type: 'string' } }],
};

/** A kind with only what it must have: no failed count, no total, no timestamps, no failure. */
const bare: JobKind<null, Job> = {
  provider: 'acme',
  kind: 'job',
  operation: 'GET /jobs/{id}',
  idParam: 'id',
  paramRules,
  parseError: () => ({}),
  read: async () => ({ state: 'BUSY' }),
  status: { field: 'state', table: { BUSY: 'running', DONE: 'succeeded', BROKEN: 'failed' } },
  progress: { completed: 'done' },
};

/** What openapi-fetch resolves with for a 2xx answer. */
function answer(body: Job, headers: Record<string, string> = {}, status = 200): Promise<ApiResult<Job, unknown>> {
  return Promise.resolve({ data: body, response: new Response(JSON.stringify(body), { status, headers }) });
}

const context = (now = 1000): SourceContext => ({ signal: new AbortController().signal, now: () => now });

describe('progressFromKind: counts', () => {
  const counted: JobKind<null, Job> = {
    ...bare,
    progress: { completed: ['done', 'bad'], failed: 'bad', total: 'total' },
  };

  it.each<[string, Job, { completed: number; failed: number; total: number | null }]>([
    ['numbers add up', { done: 5, bad: 2, total: 9 }, { completed: 7, failed: 2, total: 9 }],
    ['a numeric string counts 0', { done: 5, bad: '2', total: 9 }, { completed: 5, failed: 0, total: 9 }],
    ['NaN counts 0', { done: 5, bad: Number.NaN }, { completed: 5, failed: 0, total: null }],
    ['Infinity counts 0', { done: Number.POSITIVE_INFINITY, bad: 3 }, { completed: 3, failed: 3, total: null }],
    ['null counts 0', { done: null, bad: 1, total: 0 }, { completed: 1, failed: 1, total: 0 }],
    ['a total that is a string is unknown', { done: 1, total: '9' }, { completed: 1, failed: 0, total: null }],
  ])('should read %s', (_, raw, progress) => {
    expect(progressFromKind(counted, raw)).toEqual(progress);
  });

  it('should count no failures and an unknown total when the kind names no such fields', () => {
    expect(progressFromKind(bare, { done: 4, bad: 9, total: 10 })).toEqual({ completed: 4, failed: 0, total: null });
  });

  it('should take computed progress as the function gives it', () => {
    const computed: JobKind<null, Job> = {
      ...bare,
      progress: (raw) => ({ completed: Number(raw.done), failed: 0, total: 8 }),
    };
    expect(progressFromKind(computed, { done: '2' })).toEqual({ completed: 2, failed: 0, total: 8 });
    expect(snapshotFromKind(computed, { state: 'BUSY', done: '2' }, 0, 'j1').progress).toEqual({
      completed: 2,
      failed: 0,
      total: 8,
      fraction: 0.25,
    });
  });
});

describe('snapshotFromKind: timestamps and failure', () => {
  const timed: JobKind<null, Job> = {
    ...bare,
    timestamps: { createdAt: 'created', startedAt: ['created', 'queued', 'started'], finishedAt: ['ended'] },
  };

  it('should take the first field holding a time, skipping empty strings and values that are no time', () => {
    const s = snapshotFromKind(
      timed,
      { state: 'BUSY', created: '', queued: 0, started: '2026-01-01', ended: null },
      0,
      'j1',
    );
    expect(s.timestamps).toEqual({ startedAt: '2026-01-01' });
  });

  it('should leave out a timestamp none of whose fields holds a time', () => {
    const s = snapshotFromKind(timed, { state: 'DONE', created: { at: 'x' }, ended: 0 }, 0, 'j1');
    expect(s.timestamps).toEqual({});
  });

  // OpenAI and many others send Unix seconds; some send milliseconds. Snapshots carry ISO 8601.
  it.each([
    ['Unix seconds', 1_767_225_600, '2026-01-01T00:00:00.000Z'],
    ['Unix seconds with a fraction', 1_767_225_600.25, '2026-01-01T00:00:00.250Z'],
    ['the last seconds value below 1e11', 99_999_999_999, '5138-11-16T09:46:39.000Z'],
    ['1e11 as milliseconds', 1e11, '1973-03-03T09:46:40.000Z'],
    ['Unix milliseconds', 1_767_225_600_123, '2026-01-01T00:00:00.123Z'],
    ['the largest date', 8.64e15, '+275760-09-13T00:00:00.000Z'],
  ])('should read a number as a Unix time: %s', (_, created, iso) => {
    const s = snapshotFromKind(timed, { state: 'BUSY', created, queued: '2026-01-02' }, 0, 'j1');
    expect(s.timestamps).toEqual({ createdAt: iso, startedAt: iso });
  });

  it.each([
    ['0', 0],
    ['a negative number', -1],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['a number past the largest date', 8.64e15 + 1],
    // Not numbers, though `>` would coerce them to one.
    ['true', true],
    ['a list of one number', [1_767_225_600]],
  ])('should take %s for no time, and a later field then', (_, created) => {
    const s = snapshotFromKind(timed, { state: 'BUSY', created, queued: '2026-01-02' }, 0, 'j1');
    expect(s.timestamps).toEqual({ startedAt: '2026-01-02' });
  });

  it('should give no failure when the kind describes none, whatever the status', () => {
    const s = snapshotFromKind(bare, { state: 'BROKEN' }, 0, 'j1');
    expect(s.status).toBe('failed');
    expect('failure' in s).toBe(false);
  });
});

describe('itemFromKind', () => {
  interface Row {
    state?: string;
    key?: unknown;
    position?: unknown;
  }
  const described: KindItem<{ stale?: boolean }, Row> = {
    status: {
      field: 'state',
      table: { ok: 'succeeded', bad: 'failed' },
      refine: (status, _item, page) => (page?.stale && status === 'succeeded' ? 'pending' : status),
    },
    id: 'key',
    index: 'position',
  };

  it('should read every item as a succeeded row at its position without an item description', () => {
    expect(itemFromKind(undefined, { a: 1 }, 3)).toStrictEqual({
      id: '3',
      index: 3,
      status: 'succeeded',
      raw: { a: 1 },
    });
  });

  it('should use the position as id and index when the description names no such fields', () => {
    const item = itemFromKind(
      { status: { field: 'state', table: { ok: 'succeeded' } } },
      { state: 'ok', key: 'k9' },
      4,
    );
    // No failure description: no `failure` key either.
    expect(item).toStrictEqual({ id: '4', index: 4, status: 'succeeded', raw: { state: 'ok', key: 'k9' } });
  });

  it.each<[string, Row]>([
    ['an empty id', { state: 'ok', key: '', position: '7' }],
    ['a numeric id', { state: 'ok', key: 7, position: null }],
    ['no id', { state: 'ok' }],
  ])('should use the position for %s and for an index that is not a number', (_, raw) => {
    expect(itemFromKind(described, raw, 4)).toMatchObject({ id: '4', index: 4 });
  });

  it('should take the id and index fields when they hold a string and a number', () => {
    expect(itemFromKind(described, { state: 'ok', key: 'k1', position: 0 }, 4)).toMatchObject({ id: 'k1', index: 0 });
  });

  it('should refine the status with the item and its page', () => {
    expect(itemFromKind(described, { state: 'ok' }, 0, { stale: true }).status).toBe('pending');
    expect(itemFromKind(described, { state: 'bad' }, 0, { stale: true }).status).toBe('failed');
    expect(itemFromKind(described, { state: 'ok' }, 0).status).toBe('succeeded');
  });
});

describe("a read's request", () => {
  it("should tell the watch's clock", async () => {
    const seen: number[] = [];
    const source = createJobSource(
      {
        ...bare,
        read: async ({ now, call }) => {
          seen.push(now());
          return call(answer({ state: 'BUSY' }));
        },
      },
      null,
    );
    await source.fetchSnapshot('j1', context(4321));
    expect(seen).toEqual([4321]);
  });

  /** A source whose read sends the given answers one after the other. */
  const sequential = (...answers: Record<string, string>[]) =>
    createJobSource(
      {
        ...bare,
        read: async ({ call }) => {
          const [first, ...rest] = answers.map((headers, i) => ({ headers, status: 200 + i }));
          const raw = await call(answer({ state: 'BUSY' }, first?.headers, first?.status));
          for (const r of rest) await call(answer({ state: 'BUSY' }, r.headers, r.status));
          return raw;
        },
      },
      null,
    );

  it.each<[string, Record<string, string>[], object]>([
    ['no wait when no answer says one', [{}, {}], { httpStatus: 200 }],
    ['the only wait, said by the first call', [{ 'retry-after': '3' }, {}], { retryAfterMs: 3000, httpStatus: 200 }],
    ['the only wait, said by a later call', [{}, { 'retry-after': '2' }], { retryAfterMs: 2000, httpStatus: 200 }],
    [
      "a later call's longer wait, with the first call's other hints",
      [
        { 'retry-after': '1', 'x-ratelimit-remaining': '9' },
        { 'retry-after': '4', 'x-ratelimit-remaining': '2' },
      ],
      { retryAfterMs: 4000, rateLimit: { remaining: 9 }, httpStatus: 200 },
    ],
    [
      "the first call's longer wait",
      [{ 'retry-after': '5' }, { 'retry-after': '1' }, {}],
      { retryAfterMs: 5000, httpStatus: 200 },
    ],
    ['no wait from a single call without one', [{}], { httpStatus: 200 }],
  ])('should give %s', async (_, headers, hints) => {
    const result = await sequential(...headers).fetchSnapshot('j1', context());
    expect(result.hints).toStrictEqual(hints);
  });
});

describe('createJobSource: results', () => {
  it('should give a source results exactly when its kind describes them', async () => {
    interface Row {
      name: string;
    }
    const listed: JobKind<null, Job, Row> = {
      ...bare,
      results: {
        operation: 'GET /jobs/{id}',
        paging: 'offset',
        defaultPageSize: 10,
        maxPageSize: 10,
        // Two rows on the first page, then an empty page.
        read: ({ call }, _id, at) =>
          call(
            Promise.resolve({
              data: { rows: at.offset === 0 ? [{ name: 'a' }, { name: 'b' }] : [] },
              response: new Response(null, { status: 200 }),
            }),
          ),
        items: 'rows',
      },
    };
    const items = await jobResults(createJobSource(listed, null), 'j1').toArray({ max: 10 });
    expect(items.map((item) => item.raw.name)).toEqual(['a', 'b']);
    expect('results' in createJobSource(bare, null)).toBe(false);
  });
});
