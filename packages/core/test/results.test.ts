import { describe, expect, it } from 'vitest';
import {
  AbortError,
  InvalidResponseError,
  NetworkError,
  NotFoundError,
  RateLimitError,
  type ResultContext,
  type ResultPage,
  type ResultPager,
  ServerError,
  ValidationError,
} from '../src/index.js';
import { jobResults, ResultLimitError } from '../src/results/index.js';
import { catchingUncaught, fakeSource, flush, manualClock, track } from './helpers.js';

interface Row {
  n: number;
}

type Answer = { items: number; total?: number | null; retryAfterMs?: number } | { error: unknown } | { hang: true };

interface FakePager extends ResultPager<Row> {
  calls: Array<{ cursor: string | null; at: number; context: ResultContext }>;
}

/**
 * A pager over numbered rows: page k holds `answers[k].items` rows following the previous pages.
 * Answers for a page are consumed in order, so `[{ error }, { items: 3 }]` at one page fails once.
 */
function fakePager(pages: Answer[][], now: () => number = () => 0): FakePager {
  const attempts = new Map<number, number>();
  const pager: FakePager = {
    defaultPageSize: 3,
    maxPageSize: 10,
    calls: [],
    fetchPage(_id, cursor, context) {
      pager.calls.push({ cursor, at: now(), context });
      const page = cursor === null ? 0 : Number(cursor);
      const n = attempts.get(page) ?? 0;
      attempts.set(page, n + 1);
      const list = pages[page] ?? [{ items: 0 }];
      const answer = list[Math.min(n, list.length - 1)] as Answer;
      if ('hang' in answer) {
        return new Promise((_, reject) => {
          context.signal.addEventListener('abort', () => reject(context.signal.reason), { once: true });
        });
      }
      if ('error' in answer) return Promise.reject(answer.error);
      let start = 0;
      for (let p = 0; p < page; p++) {
        const prev = (pages[p] ?? []).find((a) => 'items' in a) as { items: number } | undefined;
        start += prev?.items ?? 0;
      }
      const items = Array.from({ length: answer.items }, (_, i) => ({
        id: `r${start + i}`,
        index: start + i,
        status: 'succeeded' as const,
        raw: { n: start + i },
      }));
      const result: ResultPage<Row> = {
        items,
        next: page + 1 < pages.length ? String(page + 1) : null,
        hints: answer.retryAfterMs === undefined ? {} : { retryAfterMs: answer.retryAfterMs },
      };
      if (answer.total !== undefined) result.total = answer.total;
      return Promise.resolve(result);
    },
  };
  return pager;
}

/** One macrotask turn: every pending promise callback runs (the manual clock's timers are not touched). */
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
/** Settles pending work, moves the manual clock, then settles again. */
async function advance(clock: { advance(ms: number): Promise<void> }, ms: number): Promise<void> {
  await tick();
  await clock.advance(ms);
  await tick();
}

const ids = (items: Array<{ id: string }>) => items.map((i) => i.id);
const rows = (start: number, n: number) =>
  Array.from({ length: n }, (_, i) => ({
    id: `r${start + i}`,
    index: start + i,
    status: 'succeeded' as const,
    raw: { n: start + i },
  }));
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `r${from + i}`);
const FAST = { minIntervalMs: 10, initialIntervalMs: 10, maxIntervalMs: 40 } as const;

describe('jobResults', () => {
  it('should stream every item of every page in order and stop after the last page', async () => {
    const pager = fakePager([[{ items: 3 }], [{ items: 3 }], [{ items: 1 }]]);
    const seen = [];
    for await (const item of jobResults(pager, 'job-1')) seen.push(item);
    expect(ids(seen)).toEqual(range(0, 7));
    expect(seen.map((i) => i.index)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(pager.calls.map((c) => c.cursor)).toEqual([null, '1', '2']);
    expect(pager.calls.map((c) => [c.context.page, c.context.seen, c.context.pageSize])).toEqual([
      [0, 0, 3],
      [1, 3, 3],
      [2, 6, 3],
    ]);
  });

  it('should deliver an empty result as no items after one request', async () => {
    const pager = fakePager([[{ items: 0, total: 0 }]]);
    expect(await jobResults(pager, 'j').toArray({ max: 10 })).toEqual([]);
    expect(pager.calls).toHaveLength(1);
  });

  it('should report the total each page gave when it changes between pages', async () => {
    const pager = fakePager([[{ items: 2, total: 8 }], [{ items: 2, total: 6 }], [{ items: 2, total: 6 }]]);
    const pages = [];
    for await (const page of jobResults(pager, 'j').pages()) pages.push([page.page, page.total, ids(page.items)]);
    expect(pages).toEqual([
      [0, 8, ['r0', 'r1']],
      [1, 6, ['r2', 'r3']],
      [2, 6, ['r4', 'r5']],
    ]);
  });

  it('should stop at the total: a page that reaches it is the last, whatever its next cursor says', async () => {
    // A hostile provider: total 2, and the same next page forever.
    const pager: ResultPager<Row> & { calls: number } = {
      defaultPageSize: 2,
      maxPageSize: 2,
      calls: 0,
      fetchPage: async (_id, _cursor, context) => {
        if (++pager.calls > 10) throw new Error('a loop');
        return { items: rows(context.seen, 2), next: String(context.seen + 2), total: 2, hints: {} };
      },
    };
    const pages = [];
    for await (const page of jobResults(pager, 'j').pages()) pages.push([page.total, page.next, ids(page.items)]);
    expect(pages).toEqual([[2, null, ['r0', 'r1']]]);
    expect(pager.calls).toBe(1);
  });

  it('should never let a total that grows between pages raise the bound set by a smaller one', async () => {
    const pager = fakePager([[{ items: 2, total: 4 }], [{ items: 2, total: 6 }], [{ items: 2, total: 6 }]]);
    expect(ids(await jobResults(pager, 'j').toArray({ max: 10 }))).toEqual(range(0, 4));
    expect(pager.calls).toHaveLength(2);
  });

  it('should reject a page that brings more items than the job has', async () => {
    const pager = fakePager([[{ items: 3, total: 4 }], [{ items: 3, total: 4 }], [{ items: 1 }]]);
    const error = await jobResults(pager, 'j')
      .toArray({ max: 10 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidResponseError);
    expect((error as Error).message).toMatch(/page 1 .*6 items.* total of 4/);
  });

  it('should reject a page without items that names a next page (it moves nothing forward)', async () => {
    const pager = fakePager([[{ items: 3 }], [{ items: 0 }], [{ items: 3 }]]);
    const error = await jobResults(pager, 'j')
      .toArray({ max: 10 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidResponseError);
    expect((error as Error).message).toMatch(/page 1 had no items/);
    expect(pager.calls).toHaveLength(2);
  });

  it('should reject a cursor that comes back (a -> b -> a), after one request per cursor', async () => {
    const next: Record<string, string> = { start: 'a', a: 'b', b: 'a' };
    let calls = 0;
    const pager: ResultPager<Row> = {
      defaultPageSize: 2,
      maxPageSize: 2,
      fetchPage: async (_id, cursor, context) => {
        if (++calls > 10) throw new Error('a loop');
        return { items: rows(context.seen, 2), next: next[cursor ?? 'start'] ?? null, hints: {} };
      },
    };
    const seen: string[] = [];
    const error = await (async () => {
      for await (const item of jobResults(pager, 'j', { prefetch: 0 })) seen.push(item.id);
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidResponseError);
    expect((error as Error).message).toMatch(/cursor "a" came back after page 2/);
    expect(seen).toEqual(range(0, 4));
    expect(calls).toBe(3);
  });

  it('should fetch at most one page ahead of the consumer by default', async () => {
    const pager = fakePager([[{ items: 2 }], [{ items: 2 }], [{ items: 2 }], [{ items: 2 }]]);
    const it = jobResults(pager, 'j')[Symbol.asyncIterator]();
    await it.next();
    await flush();
    // Page 0 is being consumed, page 1 is buffered; page 2 waits until page 1 is taken.
    expect(pager.calls.map((c) => c.cursor)).toEqual([null, '1']);
    await it.next();
    await flush();
    expect(pager.calls).toHaveLength(2);
    await it.next();
    await flush();
    expect(pager.calls.map((c) => c.cursor)).toEqual([null, '1', '2']);
    await it.return?.();
  });

  it('should fetch only on demand with prefetch 0', async () => {
    const pager = fakePager([[{ items: 2 }], [{ items: 2 }], [{ items: 2 }]]);
    const it = jobResults(pager, 'j', { prefetch: 0 })[Symbol.asyncIterator]();
    await it.next();
    await it.next();
    await flush();
    expect(pager.calls).toHaveLength(1);
    await it.next();
    expect(pager.calls).toHaveLength(2);
    await it.return?.();
  });

  it('should retry a page that failed once at the same cursor: no duplicate, no gap', async () => {
    const clock = manualClock();
    const pager = fakePager(
      [[{ items: 3 }], [{ error: new ServerError({ status: 503 }) }, { items: 3 }], [{ items: 2 }]],
      clock.now,
    );
    const errors: unknown[] = [];
    const all = track(
      jobResults(pager, 'j', {
        clock,
        random: () => 1,
        ...FAST,
        onPageError: (error, info) => errors.push([error, info]),
      }).toArray({ max: 100 }),
    );
    await advance(clock, 5);
    expect(all.settled).toBe(false);
    await advance(clock, 10);
    expect(ids(all.value ?? [])).toEqual(range(0, 8));
    expect(pager.calls.map((c) => [c.cursor, c.at])).toEqual([
      [null, 0],
      ['1', 0],
      ['1', 10],
      ['2', 10],
    ]);
    expect(errors).toEqual([[expect.any(ServerError), { page: 1, attempt: 1, willRetry: true, delayMs: 10 }]]);
    expect(clock.pending()).toBe(0);
  });

  it('should go on when onPageError throws, without an uncaught exception', async () => {
    await catchingUncaught(async (uncaught) => {
      const clock = manualClock();
      const pager = fakePager([[{ error: new ServerError({ status: 503 }) }, { items: 2 }], [{ items: 1 }]], clock.now);
      const all = track(
        jobResults(pager, 'j', {
          ...FAST,
          clock,
          random: () => 1,
          onPageError: () => {
            throw new Error('logger bug');
          },
        }).toArray({ max: 10 }),
      );
      await advance(clock, 10);
      expect(ids(all.value ?? [])).toEqual(range(0, 3));
      expect(uncaught).toEqual([]);
    });
  });

  it('should honour Retry-After on a 429 before asking for the page again', async () => {
    const clock = manualClock();
    const limited = new RateLimitError({ status: 429, retryAfterMs: 2_000 });
    const pager = fakePager([[{ items: 1 }], [{ error: limited }, { items: 1 }]], clock.now);
    const all = track(jobResults(pager, 'j', { clock, ...FAST }).toArray({ max: 10 }));
    await advance(clock, 1_999);
    expect(pager.calls).toHaveLength(2);
    await advance(clock, 1);
    expect(pager.calls.map((c) => [c.cursor, c.at])).toEqual([
      [null, 0],
      ['1', 0],
      ['1', 2_000],
    ]);
    expect(ids(all.value ?? [])).toEqual(['r0', 'r1']);
  });

  it('should wait for a Retry-After sent with a successful page before the next page', async () => {
    const clock = manualClock();
    const pager = fakePager([[{ items: 1, retryAfterMs: 500 }], [{ items: 1 }]], clock.now);
    const all = track(jobResults(pager, 'j', { clock }).toArray({ max: 10 }));
    await advance(clock, 600);
    expect(pager.calls.map((c) => c.at)).toEqual([0, 500]);
    expect(all.value).toHaveLength(2);
  });

  it('should reject at once on a fatal error without retrying', async () => {
    const pager = fakePager([[{ items: 1 }], [{ error: new NotFoundError({ status: 404 }) }]]);
    await expect(jobResults(pager, 'j').toArray({ max: 10 })).rejects.toBeInstanceOf(NotFoundError);
    expect(pager.calls).toHaveLength(2);
  });

  it('should give up after maxConsecutiveErrors failures in a row with the last error', async () => {
    const clock = manualClock();
    const pager = fakePager([[{ error: new NetworkError('reset') }]], clock.now);
    const all = track(jobResults(pager, 'j', { clock, ...FAST, maxConsecutiveErrors: 2 }).toArray({ max: 10 }));
    await advance(clock, 1_000);
    expect(all.error).toBeInstanceOf(NetworkError);
    expect(pager.calls).toHaveLength(3);
    expect(clock.pending()).toBe(0);
  });

  it('should stop on abort mid-stream: reject with the reason, cancel the request, send nothing after it', async () => {
    const clock = manualClock();
    const controller = new AbortController();
    const pager = fakePager([[{ items: 2 }], [{ hang: true }], [{ items: 2 }]], clock.now);
    const it = jobResults(pager, 'j', { clock, signal: controller.signal })[Symbol.asyncIterator]();
    expect((await it.next()).value?.id).toBe('r0');
    await flush();
    expect(pager.calls).toHaveLength(2);
    const reason = new Error('user stopped');
    controller.abort(reason);
    await expect(it.next()).rejects.toBe(reason);
    expect(pager.calls[1]?.context.signal.aborted).toBe(true);
    await advance(clock, 60_000);
    expect(pager.calls).toHaveLength(2);
    expect(clock.pending()).toBe(0);
    expect(await it.next()).toEqual({ done: true, value: undefined });
  });

  it('should cancel a retry wait on abort and leave no timer', async () => {
    const clock = manualClock();
    const controller = new AbortController();
    const pager = fakePager([[{ error: new ServerError({ status: 500 }) }]], clock.now);
    const all = track(jobResults(pager, 'j', { clock, signal: controller.signal, ...FAST }).toArray({ max: 1 }));
    await flush();
    expect(clock.pending()).toBe(1);
    controller.abort(new AbortError('stop'));
    await flush();
    expect(all.error).toBeInstanceOf(AbortError);
    expect(clock.pending()).toBe(0);
    expect(pager.calls).toHaveLength(1);
  });

  it('should reject at once when the signal is already aborted, without a request', async () => {
    const pager = fakePager([[{ items: 1 }]]);
    const controller = new AbortController();
    controller.abort(new Error('early'));
    await expect(jobResults(pager, 'j', { signal: controller.signal }).toArray({ max: 5 })).rejects.toThrow('early');
    expect(pager.calls).toHaveLength(0);
  });

  it('should cancel the prefetch in flight when the consumer breaks out', async () => {
    const pager = fakePager([[{ items: 2 }], [{ hang: true }]]);
    for await (const item of jobResults(pager, 'j')) {
      expect(item.id).toBe('r0');
      await flush();
      break;
    }
    expect(pager.calls).toHaveLength(2);
    expect(pager.calls[1]?.context.signal.aborted).toBe(true);
  });

  it('should refuse to collect more than max items and stop fetching', async () => {
    const pager = fakePager([[{ items: 3 }], [{ items: 3 }], [{ items: 3 }], [{ items: 3 }]]);
    const error = await jobResults(pager, 'j', { prefetch: 0 })
      .toArray({ max: 4 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResultLimitError);
    expect((error as ResultLimitError).max).toBe(4);
    expect(pager.calls).toHaveLength(2);
    expect(await jobResults(pager, 'j').toArray({ max: 12 })).toHaveLength(12);
    await expect(jobResults(pager, 'j').toArray({ max: 11 })).rejects.toBeInstanceOf(ResultLimitError);
    expect(await jobResults(pager, 'j').toArray({ max: Number.POSITIVE_INFINITY })).toHaveLength(12);
  });

  it('should collect like toArray: every item, refusing more than max', async () => {
    const pager = fakePager([[{ items: 3 }], [{ items: 2 }], [{ items: 0 }]]);
    expect(ids(await jobResults(pager, 'j').collect({ max: 5 }))).toEqual(['r0', 'r1', 'r2', 'r3', 'r4']);
    await expect(jobResults(pager, 'j').collect({ max: 4 })).rejects.toBeInstanceOf(ResultLimitError);
    await expect(jobResults(pager, 'j').collect({} as { max: number })).rejects.toBeInstanceOf(ValidationError);
  });

  it('should require max in toArray', async () => {
    const stream = jobResults(fakePager([[{ items: 1 }]]), 'j');
    await expect(stream.toArray({} as { max: number })).rejects.toBeInstanceOf(ValidationError);
    await expect(stream.toArray({ max: -1 })).rejects.toBeInstanceOf(ValidationError);
  });

  it('should start over from the first page on each iteration', async () => {
    const pager = fakePager([[{ items: 1 }], [{ items: 1 }]]);
    const stream = jobResults(pager, 'j');
    expect(ids(await stream.toArray({ max: 5 }))).toEqual(['r0', 'r1']);
    expect(ids(await stream.toArray({ max: 5 }))).toEqual(['r0', 'r1']);
    expect(pager.calls.map((c) => c.cursor)).toEqual([null, '1', null, '1']);
  });

  it('should reject a cursor that does not advance', async () => {
    const pager: ResultPager<Row> = {
      defaultPageSize: 1,
      maxPageSize: 1,
      fetchPage: async () => ({ items: [], next: 'same', hints: {} }),
    };
    await expect(jobResults(pager, 'j').toArray({ max: 5 })).rejects.toBeInstanceOf(InvalidResponseError);
  });

  it('should validate the source, id and options before any request', () => {
    const pager = fakePager([[{ items: 1 }]]);
    expect(() => jobResults(pager, 'j', { pageSize: 11 })).toThrow(/pageSize: expected an integer from 1 to 10/);
    expect(() => jobResults(pager, 'j', { pageSize: 0 })).toThrow(ValidationError);
    expect(() => jobResults(pager, 'j', { prefetch: 9 })).toThrow(/prefetch/);
    expect(() => jobResults(pager, 'j', { maxConsecutiveErrors: -1 })).toThrow(/maxConsecutiveErrors/);
    expect(() => jobResults(pager, '')).toThrow(ValidationError);
    const noResults = fakeSource([{ status: 'succeeded' }]);
    expect(() => jobResults(noResults, 'j')).toThrow(/a JobSource with results \(fake job jobs have none\)/);
    const withResults = Object.assign(fakeSource([{ status: 'succeeded' }]), {
      results: pager,
      validateId: (id: string) => {
        if (id !== 'ok') throw new ValidationError('id', 'ok');
      },
    });
    expect(() => jobResults(withResults, 'nope')).toThrow(ValidationError);
    expect(pager.calls).toHaveLength(0);
  });

  it('should use source.results and time out a page that never answers, then retry it', async () => {
    const clock = manualClock();
    const pager = fakePager([[{ hang: true }, { items: 2 }]], clock.now);
    const source = Object.assign(fakeSource([{ status: 'succeeded' }]), { results: pager });
    const all = track(
      jobResults(source, 'j', { clock, requestTimeoutMs: 1_000, random: () => 0, ...FAST }).toArray({ max: 5 }),
    );
    await advance(clock, 1_010);
    expect(ids(all.value ?? [])).toEqual(['r0', 'r1']);
    expect(pager.calls.map((c) => c.at)).toEqual([0, 1_010]);
    expect(clock.pending()).toBe(0);
  });
});
