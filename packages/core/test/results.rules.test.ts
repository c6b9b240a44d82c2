// Result paging rules at their edges (core/results): offset cursors, what invalid options and
// pagers are told, the limits of toArray, what a page reports, abort and close, and which failures
// reach onPageError. results.test.ts streams whole jobs; these pin each rule.
import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { createSnapshot } from '../src/client-kit/index.js';
import {
  AbortError,
  AuthenticationError,
  InvalidResponseError,
  type ResultContext,
  type ResultItem,
  type ResultPage,
  type ResultPager,
  ValidationError,
} from '../src/index.js';
import {
  jobResults,
  mapItemStatus,
  offsetCursor,
  ResultLimitError,
  ResultsNotReadyError,
  type ResultsOptions,
} from '../src/results/index.js';
import { manualClock } from './helpers.js';

const item = (n: number): ResultItem<number> => ({ id: `r${n}`, index: n, status: 'succeeded', raw: n });

/** A pager answering with `pages` in order (cursor = page number); records each call's cursor and context. */
function pager(pages: Array<Partial<ResultPage<number>> | (() => Promise<ResultPage<number>>)>) {
  const calls: { cursor: string | null; context: ResultContext }[] = [];
  const p: ResultPager<number> & { calls: typeof calls } = {
    defaultPageSize: 2,
    maxPageSize: 10,
    calls,
    async fetchPage(_id, cursor, context) {
      calls.push({ cursor, context });
      const n = cursor === null ? 0 : Number(cursor);
      const page = pages[n];
      if (typeof page === 'function') return page();
      return { items: [], next: n + 1 < pages.length ? String(n + 1) : null, hints: {}, ...page } as ResultPage<number>;
    },
  };
  return p;
}

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('offsetCursor', () => {
  it('should read no cursor as offset 0 and up to 15 digits as the offset', () => {
    expect(offsetCursor(null)).toBe(0);
    expect(offsetCursor('0')).toBe(0);
    expect(offsetCursor('250')).toBe(250);
    expect(offsetCursor('999999999999999')).toBe(999_999_999_999_999);
  });

  it.each(['', '-1', '1.5', 'abc', '1'.repeat(16), ' 1', '1 ', '1e3', 'x1', '1x'])(
    'should refuse %j as a cursor, saying what it got',
    (cursor) => {
      expect(() => offsetCursor(cursor)).toThrow(ValidationError);
      expect(() => offsetCursor(cursor)).toThrow(`invalid cursor: expected an offset cursor (got ${cursor})`);
    },
  );
});

describe('mapItemStatus', () => {
  it('should look item statuses up, with unknown for anything undocumented', () => {
    const table = { ok: 'succeeded', bad: 'failed' } as const;
    expect(mapItemStatus(table, 'bad')).toBe('failed');
    expect(mapItemStatus(table, 'weird')).toBe('unknown');
    expect(mapItemStatus(table, null)).toBe('unknown');
    expect(() => mapItemStatus(table, 5 as unknown as string, 'state')).toThrow(
      'the state is a number, expected a string',
    );
  });
});

describe('result errors', () => {
  it('should name and explain a limit that was passed', () => {
    const error = new ResultLimitError(2);
    expect(error).toMatchObject({
      name: 'ResultLimitError',
      max: 2,
      message: 'the job has more than 2 results: iterate with for await (constant memory) or raise max',
    });
  });

  it('should say a job has no results yet, with its raw status when there is one', () => {
    const snapshot = createSnapshot({
      provider: 'acme',
      kind: 'query',
      id: 'q1',
      status: 'running',
      rawStatus: 'RUNNING',
      progress: { completed: 0, total: null },
      observedAt: 0,
      raw: null,
    });
    const error = new ResultsNotReadyError(snapshot);
    expect(error.name).toBe('ResultsNotReadyError');
    expect(error.snapshot).toBe(snapshot);
    expect(error.message).toBe('acme query q1 has no results yet (status RUNNING): wait for it to end first');
    expect(new ResultsNotReadyError({ ...snapshot, rawStatus: null }).message).toContain('(status running)');
  });
});

describe('jobResults: what bad input is told, before any request', () => {
  const p = pager([{ items: [item(0)] }]);

  it.each<[string, () => unknown, string]>([
    ['an empty id', () => jobResults(p, ''), 'invalid id: expected a non-empty string (got "")'],
    [
      'an id that is not a string',
      () => jobResults(p, 7 as unknown as string),
      'invalid id: expected a non-empty string (got number)',
    ],
    [
      'a source without results',
      () => jobResults({ provider: 'acme', kind: 'query', fetchSnapshot: async () => ({}) as never }, 'q1'),
      'invalid source: expected a JobSource with results (acme query jobs have none)',
    ],
    ['no source', () => jobResults(null as never, 'q1'), 'invalid source: expected a JobSource with fetchSnapshot()'],
    [
      'options that are not an object',
      () => jobResults(p, 'j', 'fast' as never),
      'invalid options: expected an object',
    ],
    ['null options', () => jobResults(p, 'j', null as never), 'invalid options: expected an object'],
    [
      'pageSize 0',
      () => jobResults(p, 'j', { pageSize: 0 }),
      'invalid pageSize: expected an integer from 1 to 10 (got 0)',
    ],
    [
      'pageSize 11',
      () => jobResults(p, 'j', { pageSize: 11 }),
      'invalid pageSize: expected an integer from 1 to 10 (got 11)',
    ],
    [
      'prefetch -1',
      () => jobResults(p, 'j', { prefetch: -1 }),
      'invalid prefetch: expected an integer from 0 to 8 (got -1)',
    ],
    [
      'prefetch 9',
      () => jobResults(p, 'j', { prefetch: 9 }),
      'invalid prefetch: expected an integer from 0 to 8 (got 9)',
    ],
    [
      'prefetch 0.5',
      () => jobResults(p, 'j', { prefetch: 0.5 }),
      'invalid prefetch: expected an integer from 0 to 8 (got 0.5)',
    ],
    [
      'a signal that is not one',
      () => jobResults(p, 'j', { signal: {} as AbortSignal }),
      'invalid signal: expected an AbortSignal',
    ],
    [
      'a signal without addEventListener',
      () => jobResults(p, 'j', { signal: { aborted: false } as unknown as AbortSignal }),
      'invalid signal: expected an AbortSignal',
    ],
    [
      'a signal without aborted',
      () => jobResults(p, 'j', { signal: { addEventListener() {} } as unknown as AbortSignal }),
      'invalid signal: expected an AbortSignal',
    ],
    [
      'an onPageError that is not a function',
      () => jobResults(p, 'j', { onPageError: 'log' as never }),
      'invalid onPageError: expected a function',
    ],
  ])('should refuse %s', (_, call, message) => {
    expect(call).toThrow(ValidationError);
    expect(call).toThrow(message);
    expect(p.calls).toHaveLength(0);
  });

  it('should accept the edges: pageSize 1 and 10, prefetch 0 and 8, a real signal', () => {
    for (const options of [
      { pageSize: 1 },
      { pageSize: 10 },
      { prefetch: 0 },
      { prefetch: 8 },
      { signal: new AbortController().signal },
      { onPageError: () => {} },
    ] satisfies ResultsOptions[]) {
      expect(() => jobResults(p, 'j', options)).not.toThrow();
    }
  });
});

describe('toArray', () => {
  it('should require max: an integer >= 0 or Infinity', async () => {
    const stream = jobResults(pager([{ items: [] }]), 'j');
    for (const options of [undefined, {}, { max: -1 }, { max: 1.5 }, { max: '5' }, { max: Number.NaN }]) {
      await expect(stream.toArray(options as never)).rejects.toThrow(
        'invalid max: expected an integer >= 0 or Infinity (required: how many items you allow in memory)',
      );
    }
    await expect(stream.toArray({} as never)).rejects.toBeInstanceOf(ValidationError);
    await expect(stream.toArray({ max: -1 })).rejects.toThrow('(got -1)');
  });

  it('should take max 0 for a job without results, and refuse the first item beyond it', async () => {
    await expect(jobResults(pager([{ items: [] }]), 'j').toArray({ max: 0 })).resolves.toEqual([]);
    await expect(jobResults(pager([{ items: [item(0)] }]), 'j').toArray({ max: 0 })).rejects.toBeInstanceOf(
      ResultLimitError,
    );
    await expect(
      jobResults(pager([{ items: [item(0), item(1)] }]), 'j').toArray({ max: Number.POSITIVE_INFINITY }),
    ).resolves.toHaveLength(2);
  });
});

describe('pages: what each page reports', () => {
  it('should report a total of null when the provider gives none, and the cursors of each page', async () => {
    const infos = [];
    for await (const info of jobResults(pager([{ items: [item(0)] }, { items: [item(1)], total: 2 }]), 'j').pages()) {
      infos.push({ ...info, items: info.items.length });
    }
    expect(infos).toEqual([
      { page: 0, items: 1, total: null, cursor: null, next: '1' },
      { page: 1, items: 1, total: 2, cursor: '1', next: null },
    ]);
  });

  it('should fetch the next page at once after no hints or a Retry-After of 0', async () => {
    const clock = manualClock();
    const stream = jobResults(
      pager([{ items: [item(0)] }, { items: [item(1)], hints: { retryAfterMs: 0 } }, { items: [item(2)] }]),
      'j',
      { clock },
    );
    // The clock never moves: nothing may wait on it.
    await expect(stream.toArray({ max: 10 })).resolves.toHaveLength(3);
    const noHints = pager([{ items: [item(0)] }, { items: [item(1)] }]);
    noHints.fetchPage = async (_id, cursor) =>
      ({ items: [item(Number(cursor ?? 0))], next: cursor === null ? '1' : null }) as ResultPage<number>;
    await expect(jobResults(noHints, 'j', { clock }).toArray({ max: 10 })).resolves.toHaveLength(2);
    expect(clock.pending()).toBe(0);
  });

  it('should name a cursor that comes back by its first 40 characters only', async () => {
    const long = `c${'x'.repeat(59)}`;
    const p = pager([]);
    p.fetchPage = async (_id, cursor) => ({ items: [item(cursor === null ? 0 : 1)], next: long, hints: {} });
    await expect(jobResults(p, 'j').toArray({ max: 10 })).rejects.toThrow(
      new InvalidResponseError(
        `the results cursor ${JSON.stringify(long.slice(0, 40))} came back after page 1: the pages go round in a cycle`,
      ),
    );
  });
});

describe('a pager that breaks its contract', () => {
  it.each<[string, unknown, string]>([
    ['nothing', undefined, 'a ResultPager must resolve with { items, next, hints }'],
    ['null', null, 'a ResultPager must resolve with { items, next, hints }'],
    ['a string', 'page', 'a ResultPager must resolve with { items, next, hints }'],
    [
      'items that are not an array',
      { items: 'x', next: null },
      'a ResultPager must resolve with { items, next, hints }',
    ],
    ['a numeric next', { items: [], next: 2 }, 'a ResultPager must give next as a string cursor or null'],
    ['no next', { items: [] }, 'a ResultPager must give next as a string cursor or null'],
  ])('should fail the stream at once on %s, without a retry', async (_, answer, message) => {
    const p = pager([() => Promise.resolve(answer as ResultPage<number>)]);
    const errors: unknown[] = [];
    const error = await jobResults(p, 'j', { onPageError: (e) => errors.push(e) })
      .toArray({ max: 10 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toBe(message);
    expect(p.calls).toHaveLength(1);
    expect(errors).toEqual([error]);
  });
});

describe('onPageError', () => {
  it('should be told of a failure that ends the stream: no retry, no delay', async () => {
    const fatal = new AuthenticationError({ status: 401 });
    const infos: unknown[] = [];
    const p = pager([() => Promise.reject(fatal)]);
    await expect(jobResults(p, 'j', { onPageError: (_e, info) => infos.push(info) }).toArray({ max: 10 })).rejects.toBe(
      fatal,
    );
    expect(infos).toEqual([{ page: 0, attempt: 1, willRetry: false, delayMs: null }]);
  });

  it('should not be told of an abort', async () => {
    const controller = new AbortController();
    const errors: unknown[] = [];
    const p = pager([
      () =>
        new Promise((_, reject) => {
          const signal = p.calls[0]?.context.signal as AbortSignal;
          signal.addEventListener('abort', () => reject(new Error('the request was cut')), { once: true });
        }),
    ]);
    const done = jobResults(p, 'j', { signal: controller.signal, onPageError: (e) => errors.push(e) }).toArray({
      max: 10,
    });
    await settle();
    const reason = new AbortError('user left');
    controller.abort(reason);
    await expect(done).rejects.toBe(reason);
    expect(errors).toEqual([]);
  });
});

describe('abort and close', () => {
  it('should not start a page run for an already aborted signal, page by page either', async () => {
    const controller = new AbortController();
    controller.abort(new AbortError('gone'));
    const p = pager([{ items: [item(0)] }]);
    const pages = jobResults(p, 'j', { signal: controller.signal }).pages();
    await expect(pages.next()).rejects.toThrow('gone');
    expect(p.calls).toHaveLength(0);
  });

  it('should stop delivering at once on abort, even pages already fetched', async () => {
    const controller = new AbortController();
    const p = pager([{ items: [item(0)] }, { items: [item(1)] }, { items: [item(2)] }]);
    const pages = jobResults(p, 'j', { signal: controller.signal, prefetch: 1 }).pages();
    expect((await pages.next()).value?.page).toBe(0);
    await settle();
    expect(p.calls.map((c) => c.cursor)).toEqual([null, '1']);
    const reason = new AbortError('enough');
    controller.abort(reason);
    await expect(pages.next()).rejects.toBe(reason);
  });

  it('should tell the request in flight that the stream was closed when the consumer stops', async () => {
    let signal: AbortSignal | undefined;
    const p = pager([
      { items: [item(0)] },
      () =>
        new Promise((_, reject) => {
          signal = p.calls[1]?.context.signal;
          signal?.addEventListener('abort', () => reject(signal?.reason), { once: true });
        }),
    ]);
    for await (const _ of jobResults(p, 'j', { prefetch: 1 })) {
      await settle();
      break;
    }
    if (!signal) throw new Error('the second page was never asked for');
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBeInstanceOf(AbortError);
    expect((signal.reason as Error).message).toBe('the result stream was closed');
  });

  it("should leave no listener on the caller's signal once the stream ends", async () => {
    const controller = new AbortController();
    await jobResults(pager([{ items: [item(0)] }, { items: [item(1)] }]), 'j', { signal: controller.signal }).toArray({
      max: 10,
    });
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });
});
