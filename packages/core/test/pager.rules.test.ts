// The rules of a described job kind's result pager (client-kit/pager.ts), one per case: where each
// paging style asks a page, what it says when a page is too long, where a page's total, item
// positions and next cursor come from. Pages are read directly with `fetchPage`.
import { describe, expect, it } from 'vitest';
import {
  type ApiResult,
  createResultPager,
  type JobKind,
  type KindResults,
  type PageAt,
  type PageCount,
} from '../src/client-kit/index.js';
import type { ResultContext } from '../src/index.js';

interface Job {
  state?: string;
  size?: number;
}
interface Row {
  v?: number;
}
interface Page {
  rows?: Row[];
  list?: Row[];
  next?: unknown;
  count?: unknown;
}

type Results = KindResults<null, Page, Row>;

function ok<T>(body: T): Promise<ApiResult<T, unknown>> {
  return Promise.resolve({ data: body, response: new Response(JSON.stringify(body), { status: 200 }) });
}

/**
 * A pager whose pages are `page(at)`; `asked` records every `PageAt`, `jobReads` the job reads. The
 * job's progress is computed (it reads `size`), so it throws when given no job.
 */
function pagerOf(
  paging: Results['paging'],
  page: (at: PageAt) => Page,
  results: Partial<Results> = {},
  job: Job = { state: 'DONE', size: 3 },
) {
  const asked: PageAt[] = [];
  let jobReads = 0;
  const kind: JobKind<null, Job, Row> = {
    provider: 'acme',
    kind: 'job',
    operation: 'GET /jobs/{id}',
    idParam: 'id',
    paramRules: {},
    parseError: () => ({}),
    read: ({ call }) => {
      jobReads++;
      return call(ok(job));
    },
    status: { field: 'state', table: { DONE: 'succeeded' } },
    progress: (raw) => ({ completed: 0, failed: 0, total: raw.size ?? null }),
    results: {
      operation: 'GET /jobs/{id}/rows',
      paging,
      defaultPageSize: 2,
      maxPageSize: 10,
      read: ({ call }, _id, at) => {
        asked.push(at);
        return call(ok(page(at)));
      },
      items: 'rows',
      next: 'next',
      ...results,
    },
  };
  return { pager: createResultPager(kind, null), asked, jobReads: () => jobReads };
}

const ctx = (pageSize = 2, seen = 0): ResultContext => ({
  signal: new AbortController().signal,
  now: () => 0,
  pageSize,
  page: 0,
  seen,
});
const rows = (n: number): Row[] => Array.from({ length: n }, (_, v) => ({ v }));

describe('where a page is asked', () => {
  it.each<[Results['paging'], string | null, PageAt]>([
    ['offset', null, { cursor: null, offset: 0, page: 0, limit: 2 }],
    ['offset', '4', { cursor: '4', offset: 4, page: 0, limit: 2 }],
    ['page', '3', { cursor: '3', offset: 6, page: 3, limit: 2 }],
    ['cursor', 'c7', { cursor: 'c7', offset: 0, page: 0, limit: 2 }],
  ])('should ask a %s page at cursor %j as %j', async (paging, cursor, at) => {
    const { pager, asked } = pagerOf(paging, () => ({ rows: [] }));
    await pager.fetchPage('j1', cursor, ctx());
    expect(asked).toEqual([at]);
  });

  it('should shorten only an offset page to maxOffset: numbered pages keep the page size, or the pages would shift', async () => {
    const byOffset = pagerOf('offset', () => ({ rows: [] }), { maxOffset: 3 });
    await byOffset.pager.fetchPage('j1', '3', ctx(3));
    expect(byOffset.asked[0]).toMatchObject({ offset: 3, limit: 1 });
    const byPage = pagerOf('page', () => ({ rows: [] }), { maxOffset: 3 });
    await byPage.pager.fetchPage('j1', '1', ctx(3));
    expect(byPage.asked[0]).toMatchObject({ offset: 3, page: 1, limit: 3 });
  });
});

describe('what a page holds', () => {
  it('should read the items with a function when the description gives one', async () => {
    const { pager } = pagerOf('offset', () => ({ list: rows(2) }), { items: (p: Page) => p.list ?? [] });
    const page = await pager.fetchPage('j1', null, ctx());
    expect(page.items.map((i) => i.raw)).toEqual(rows(2));
  });

  it.each<[Results['paging'], string | null, boolean, RegExp]>([
    ['cursor', null, true, /^acme sent 3 items for a page of 2$/],
    ['offset', '4', false, /^acme sent 3 rows for offsets 4-5$/],
    ['page', '1', false, /^acme sent 3 rows for offsets 2-3$/],
  ])(
    'should refuse a %s page (at %j) longer than asked, naming what was asked',
    async (paging, cursor, described, message) => {
      const item = described ? { item: { status: { field: 'v', table: {} } } as Results['item'] } : {};
      const { pager } = pagerOf(paging, () => ({ rows: rows(3) }), item);
      await expect(pager.fetchPage('j1', cursor, ctx())).rejects.toThrow(message);
    },
  );

  it('should number offset items from the offset asked and cursor items from the items seen', async () => {
    const byOffset = pagerOf('offset', () => ({ rows: rows(2) }));
    const resumed = await byOffset.pager.fetchPage('j1', '4', ctx(2, 0));
    expect(resumed.items.map((i) => [i.id, i.index])).toEqual([
      ['4', 4],
      ['5', 5],
    ]);
    const byCursor = pagerOf('cursor', () => ({ rows: rows(2), next: 'c' }));
    const later = await byCursor.pager.fetchPage('j1', 'c', ctx(2, 7));
    expect(later.items.map((i) => [i.id, i.index])).toEqual([
      ['7', 7],
      ['8', 8],
    ]);
  });
});

describe("a page's total", () => {
  it('should be unknown when the description says nothing of it', async () => {
    const { pager } = pagerOf('offset', () => ({ rows: rows(1), count: 5 }));
    expect((await pager.fetchPage('j1', null, ctx())).total).toBeNull();
  });

  it.each<[unknown, number | null]>([
    [5, 5],
    [0, 0],
    ['5', null],
    [undefined, null],
    [null, null],
  ])('should take a page total of %j as %j', async (count, total) => {
    const { pager } = pagerOf('offset', () => ({ rows: rows(1), count }), {
      total: (p: Page) => p.count as number | null | undefined,
    });
    expect((await pager.fetchPage('j1', null, ctx())).total).toBe(total);
  });

  it("should read the job's total with the first page only ('job'), later pages saying none", async () => {
    const { pager, jobReads } = pagerOf('cursor', () => ({ rows: rows(1), next: 'c' }), { total: 'job' });
    expect((await pager.fetchPage('j1', null, ctx())).total).toBe(3);
    expect((await pager.fetchPage('j1', 'c', ctx(2, 1))).total).toBeNull();
    expect(jobReads()).toBe(1);
  });
});

describe('the next cursor', () => {
  it.each<[unknown, string | null]>([
    ['c2', 'c2'],
    ['', null],
    [undefined, null],
    [null, null],
    [42, null],
  ])('should take a provider cursor of %j as %j', async (next, expected) => {
    const { pager } = pagerOf('cursor', () => ({ rows: rows(1), next }));
    expect((await pager.fetchPage('j1', null, ctx())).next).toBe(expected);
  });

  it('should end a cursor stream after one page when the description names no next field', async () => {
    const { pager } = pagerOf('cursor', () => ({ rows: rows(2), next: 'c2' }), { next: undefined });
    expect((await pager.fetchPage('j1', null, ctx())).next).toBeNull();
  });

  it.each<[string, number, number | undefined, string | null]>([
    ['an empty page ends the stream', 0, undefined, null],
    ['a page with items, total unknown, goes on', 2, undefined, '4'],
    ['a short page, total unknown, goes on', 1, undefined, '3'],
    ['a page below the total goes on', 2, 10, '4'],
    ['a page that reaches the total ends it', 2, 4, null],
    ['a page one short of the total goes on', 1, 4, '3'],
  ])('should follow the default rule when more is not said: %s', async (_, count, total, next) => {
    const { pager } = pagerOf('offset', () => ({ rows: rows(count), count: total }), {
      total: (p: Page) => p.count as number | undefined,
    });
    expect((await pager.fetchPage('j1', '2', ctx())).next).toBe(next);
  });

  it('should ask more with the page and where it started, and fall back to the default rule when it does not say', async () => {
    const told: PageCount[] = [];
    const { pager } = pagerOf('page', () => ({ rows: rows(1) }), {
      more: (_page: Page, at: PageCount) => {
        told.push(at);
        return undefined;
      },
    });
    const page = await pager.fetchPage('j1', '1', ctx());
    expect(told).toEqual([{ cursor: '1', offset: 2, page: 1, limit: 2, count: 1 }]);
    expect(page.next).toBe('2');
  });

  it('should let a page start at maxOffset but not after it', async () => {
    const { pager } = pagerOf('offset', (at) => ({ rows: rows(at.limit) }), { maxOffset: 4 });
    expect((await pager.fetchPage('j1', '2', ctx())).next).toBe('4');
    expect((await pager.fetchPage('j1', '4', ctx())).next).toBeNull();
  });
});
