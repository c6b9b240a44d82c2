import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createSnapshot, mapStatus } from '../src/client-kit/index.js';
import { createJobHandle, pollOnce } from '../src/handles.js';
import {
  InvalidResponseError,
  isTerminalStatus,
  type JobSource,
  NetworkError,
  type ResultItem,
  type ResultPager,
  type StatusTable,
  watchJob,
} from '../src/index.js';
import { jobResults } from '../src/results/index.js';
import { createJobScheduler } from '../src/scheduler.js';
import { fakeSource, manualClock, type Step } from './helpers.js';

const TABLE: StatusTable<'QUEUED' | 'RUNNING' | 'SUCCESS' | 'FAILURE' | 'STOPPED'> = {
  QUEUED: 'queued',
  RUNNING: 'running',
  SUCCESS: 'succeeded',
  FAILURE: 'failed',
  STOPPED: 'cancelled',
};

/** (completed, total) pairs where the total never shrinks and may grow mid-job. */
const progressRun = fc
  .array(
    fc.record({ grow: fc.nat(50), done: fc.double({ min: 0, max: 1, noNaN: true }), unknownTotal: fc.boolean() }),
    { minLength: 1, maxLength: 25 },
  )
  .map((steps) => {
    let total = 1;
    return steps.map(({ grow, done, unknownTotal }): Step => {
      total += grow;
      return { status: 'running', completed: Math.floor(done * total), total: unknownTotal ? null : total };
    });
  });

function expectMonotonic(fractions: (number | null)[]): void {
  let max = Number.NEGATIVE_INFINITY;
  for (const f of fractions) {
    if (f === null) {
      expect(max).toBe(Number.NEGATIVE_INFINITY);
      continue;
    }
    expect(f).toBeGreaterThanOrEqual(max);
    max = f;
  }
}

describe('progress properties', () => {
  it('should never report a smaller fraction to a watcher, whatever the totals do', async () => {
    await fc.assert(
      fc.asyncProperty(progressRun, async (steps) => {
        const clock = manualClock();
        const fractions: (number | null)[] = [];
        const watch = watchJob(fakeSource([...steps, { status: 'succeeded' }]), 'j1', {
          clock,
          onSnapshot: (s) => fractions.push(s.progress.fraction),
        });
        await clock.advance(steps.length * 30_000);
        await watch.done;
        expectMonotonic(fractions);
        expect(fractions.at(-1)).toBe(1);
      }),
      { numRuns: 60 },
    );
  });

  it('should never report a smaller fraction across pollOnce steps', async () => {
    await fc.assert(
      fc.asyncProperty(progressRun, async (steps) => {
        const source = fakeSource(steps);
        let handle = createJobHandle(source, 'j1');
        const fractions: (number | null)[] = [];
        for (let i = 0; i < steps.length; i++) {
          const r = await pollOnce(source, JSON.stringify(handle));
          fractions.push(r.snapshot?.progress.fraction ?? null);
          handle = r.handle;
        }
        expectMonotonic(fractions);
      }),
    );
  });
});

describe('status properties', () => {
  const undocumented = fc.string().filter((s) => !Object.hasOwn(TABLE, s));

  it('should map any undocumented status string to unknown, which is never terminal', () => {
    fc.assert(
      fc.property(fc.oneof(undocumented, fc.constantFrom(...Object.keys(TABLE))), (raw) => {
        const status = mapStatus(TABLE, raw);
        if (!Object.hasOwn(TABLE, raw)) expect(status).toBe('unknown');
        if (status === 'unknown') expect(isTerminalStatus(status)).toBe(false);
      }),
    );
  });

  it('should keep polling a job whose raw statuses are undocumented', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(undocumented, { minLength: 1, maxLength: 10 }), async (raws) => {
        let n = 0;
        const source: JobSource<null> = {
          provider: 'p',
          kind: 'k',
          fetchSnapshot: async (id, { now }) => {
            const raw = raws[n++ % raws.length] as string;
            const status = mapStatus(TABLE, raw);
            return {
              snapshot: createSnapshot({
                provider: 'p',
                kind: 'k',
                id,
                status,
                rawStatus: raw,
                progress: { completed: 0, total: null },
                observedAt: now(),
                raw: null,
              }),
              hints: {},
            };
          },
        };
        let handle = createJobHandle(source, 'j1');
        for (let i = 0; i < raws.length + 2; i++) {
          const r = await pollOnce(source, handle);
          expect(r.done).toBe(false);
          expect(r.snapshot?.isTerminal).toBe(false);
          expect(r.delayMs).toBeGreaterThanOrEqual(1000);
          handle = r.handle;
        }
        const clock = manualClock();
        const reported: (string | null)[] = [];
        const watch = watchJob(source, 'j2', { clock, onUnknownStatus: (raw) => reported.push(raw) });
        await clock.advance(raws.length * 60_000);
        // Once per distinct raw string, whatever the order they come in.
        expect([...reported].sort()).toEqual([...new Set(raws)].sort());
        watch.stop();
        expect(clock.pending()).toBe(0);
      }),
      { numRuns: 40 },
    );
  });
});

describe('abort properties', () => {
  const step: fc.Arbitrary<Step> = fc.oneof(
    fc.nat(10).map((completed): Step => ({ status: 'running', completed, total: 10 })),
    fc.constant<Step>({ status: 'queued' }),
    fc.constant<Step>({ error: new NetworkError('reset') }),
    fc.constant<Step>({ hang: true }),
    fc.nat(600_000).map((retryAfterMs): Step => ({ status: 'running', hints: { retryAfterMs } })),
  );

  it('should never send a request after abort, and leave no timer', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { minLength: 1, maxLength: 12 }),
        fc.nat(120_000),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        fc.boolean(),
        async (steps, abortAt, r, viaScheduler) => {
          const clock = manualClock();
          const controller = new AbortController();
          const source = fakeSource(steps);
          const late: number[] = [];
          const fetch = source.fetchSnapshot.bind(source);
          source.fetchSnapshot = (id, context) => {
            if (controller.signal.aborted) late.push(context.now());
            return fetch(id, context);
          };
          const options = {
            signal: controller.signal,
            random: () => r,
            requestTimeoutMs: 5000,
            maxConsecutiveErrors: Number.POSITIVE_INFINITY,
          };
          const scheduler = viaScheduler
            ? createJobScheduler({ clock, perProvider: { fake: { requestsPerSecond: 2 } } })
            : undefined;
          const watches = scheduler
            ? ['a', 'b', 'c'].map((id) => scheduler.watch(source, id, options))
            : [watchJob(source, 'j1', { ...options, clock })];
          await clock.advance(abortAt);
          const reason = new Error('aborted at random');
          controller.abort(reason);
          await clock.advance(10);
          expect(clock.pending()).toBe(0);
          await clock.advance(1_000_000);
          expect(late).toEqual([]);
          for (const watch of watches) await expect(watch.done).rejects.toBe(reason);
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('results properties', () => {
  interface Answer {
    items: number;
    next: number | null;
    total: number | null;
  }
  const answer = (cursors: number) =>
    fc.record({
      items: fc.nat(4),
      next: fc.option(fc.nat(cursors - 1), { nil: null }),
      total: fc.option(fc.nat(30), { nil: null, freq: 3 }),
    });
  const rowsFrom = (start: number, n: number): ResultItem<number>[] =>
    Array.from({ length: n }, (_, i) => ({
      id: String(start + i),
      index: start + i,
      status: 'succeeded',
      raw: start + i,
    }));

  /** Runs a stream to its end; a stream that is still asking after `limit` requests is a loop. */
  async function drain(pager: ResultPager<number>, limit: () => boolean) {
    let items = 0;
    try {
      for await (const _ of jobResults(pager, 'j', { maxConsecutiveErrors: 0 })) items++;
      return { items, error: undefined };
    } catch (error) {
      if (limit()) throw new Error('the stream kept asking: a loop');
      return { items, error };
    }
  }

  it('should end or fail with InvalidResponseError for any provider with finitely many cursors, never loop', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc
          .integer({ min: 1, max: 6 })
          .chain((n) => fc.tuple(fc.constant(n), fc.array(answer(n), { minLength: n + 1, maxLength: n + 1 }))),
        async ([cursors, answers]) => {
          // answers[0] answers the first page (cursor null), answers[k + 1] the cursor `c<k>`.
          let calls = 0;
          let smallest = Number.POSITIVE_INFINITY;
          const looped = () => calls > cursors + 1;
          const pager: ResultPager<number> = {
            defaultPageSize: 4,
            maxPageSize: 4,
            fetchPage: async (_id, cursor, context) => {
              calls++;
              if (looped()) throw new Error('loop');
              const a = answers[cursor === null ? 0 : Number(cursor.slice(1)) + 1] as Answer;
              if (a.total !== null) smallest = Math.min(smallest, a.total);
              return {
                items: rowsFrom(context.seen, a.items),
                next: a.next === null ? null : `c${a.next}`,
                total: a.total,
                hints: {},
              };
            },
          };
          const { items, error } = await drain(pager, looped);
          // A total reported late can only fail the stream; an ending stream never exceeded one.
          if (error !== undefined) expect(error).toBeInstanceOf(InvalidResponseError);
          else expect(items).toBeLessThanOrEqual(smallest);
          expect(calls).toBeLessThanOrEqual(cursors + 1);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('should deliver at most the total of the first page, with fresh cursors forever and any later totals', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat(40),
        fc.array(fc.record({ items: fc.nat(5), total: fc.option(fc.nat(1_000_000_000_000_000), { nil: null }) }), {
          minLength: 1,
          maxLength: 20,
        }),
        async (total, answers) => {
          let calls = 0;
          const looped = () => calls > total + 1;
          const pager: ResultPager<number> = {
            defaultPageSize: 5,
            maxPageSize: 5,
            fetchPage: async (_id, _cursor, context) => {
              const a = answers[calls % answers.length] as { items: number; total: number | null };
              calls++;
              if (looped()) throw new Error('loop');
              // A fresh cursor every time, an unending stream of pages.
              return {
                items: rowsFrom(context.seen, a.items),
                next: `fresh-${calls}`,
                total: calls === 1 ? total : a.total,
                hints: {},
              };
            },
          };
          const { items, error } = await drain(pager, looped);
          if (error !== undefined) expect(error).toBeInstanceOf(InvalidResponseError);
          expect(items).toBeLessThanOrEqual(total);
          expect(calls).toBeLessThanOrEqual(total + 1);
        },
      ),
      { numRuns: 300 },
    );
  });
});
