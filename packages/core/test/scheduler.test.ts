import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createSnapshot } from '../src/client-kit/index.js';
import { AbortError, type JobSource, type PollEvent, RateLimitError, ValidationError } from '../src/index.js';
import { createJobScheduler } from '../src/scheduler.js';
import { type FakeSource, fakeSource, type Step, track } from './helpers.js';

const almostOne = () => 0.999_999_9;
/** Tests of the engine's mechanics pin the exponential backoff strategy, whose delays they assert. */
const backoff = { strategy: 'backoff', random: almostOne } as const;
const running: Step = { status: 'running', completed: 1, total: 10 };

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

/** A source whose requests take `latencyMs` and that counts how many are in flight at once. */
function slowSource(provider: string, latencyMs: number, doneAfter = 3) {
  const stats = { inFlight: 0, maxInFlight: 0, calls: 0 };
  const polls = new Map<string, number>();
  const source: JobSource<null> = {
    provider,
    kind: 'job',
    async fetchSnapshot(id, { now }) {
      stats.calls++;
      stats.inFlight++;
      stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
      await new Promise((resolve) => setTimeout(resolve, latencyMs));
      stats.inFlight--;
      const n = (polls.get(id) ?? 0) + 1;
      polls.set(id, n);
      const status = n >= doneAfter ? 'succeeded' : 'running';
      return {
        snapshot: createSnapshot({
          provider,
          kind: 'job',
          id,
          status,
          rawStatus: status,
          progress: { completed: n, total: doneAfter },
          observedAt: now(),
          raw: null,
        }),
        hints: {},
      };
    },
  };
  return { source, stats };
}

describe('createJobScheduler concurrency', () => {
  it('should keep at most maxConcurrent requests in flight; queued jobs hold no timer', async () => {
    const { source, stats } = slowSource('p', 100);
    const scheduler = createJobScheduler({ maxConcurrent: 2 });
    const watches = ['a', 'b', 'c', 'd', 'e'].map((id) => scheduler.watch(source, id));
    expect(scheduler.stats()).toEqual({ watching: 5, inFlight: 2, queued: 3, timers: 0 });
    await vi.advanceTimersByTimeAsync(30_000);
    await Promise.all(watches.map((w) => w.done));
    expect(stats.maxInFlight).toBe(2);
    expect(stats.calls).toBe(15);
    expect(scheduler.stats()).toEqual({ watching: 0, inFlight: 0, queued: 0, timers: 0 });
  });

  it('should apply a per-provider concurrency cap without blocking other providers', async () => {
    const a = slowSource('a', 100);
    const b = slowSource('b', 100);
    const scheduler = createJobScheduler({ perProvider: { a: { maxConcurrent: 1 } } });
    const watches = ['1', '2', '3'].flatMap((id) => [scheduler.watch(a.source, id), scheduler.watch(b.source, id)]);
    expect(scheduler.stats().inFlight).toBe(4);
    await vi.advanceTimersByTimeAsync(30_000);
    await Promise.all(watches.map((w) => w.done));
    expect(a.stats.maxInFlight).toBe(1);
    expect(b.stats.maxInFlight).toBe(3);
  });

  it('should space requests of a provider by its requestsPerSecond', async () => {
    const source = fakeSource([running]);
    const scheduler = createJobScheduler({ perProvider: { fake: { requestsPerSecond: 10 } } });
    for (const id of ['a', 'b', 'c', 'd']) scheduler.watch(source, id);
    await vi.advanceTimersByTimeAsync(500);
    expect(source.calls.map((c) => c.at)).toEqual([0, 100, 200, 300]);
    await scheduler.close();
  });

  it('should not bank rate slots missed while the event loop was blocked', async () => {
    // A clock whose timers fire late, all at once, as after a long synchronous stall.
    let now = 0;
    let timers: { at: number; fn: () => void; id: number }[] = [];
    let ids = 0;
    const clock = {
      now: () => now,
      setTimeout: (fn: () => void, ms: number) => {
        const id = ids++;
        timers.push({ at: now + ms, fn, id });
        return id;
      },
      clearTimeout: (id: unknown) => {
        timers = timers.filter((t) => t.id !== id);
      },
    };
    const runDue = async (at: number) => {
      now = at;
      for (;;) {
        const due = timers.filter((t) => t.at <= now).sort((x, y) => x.at - y.at);
        if (due.length === 0) break;
        timers = timers.filter((t) => !due.includes(t));
        for (const t of due) t.fn();
        await vi.advanceTimersByTimeAsync(0);
      }
    };
    const source = fakeSource([running]);
    const scheduler = createJobScheduler({ clock, perProvider: { fake: { requestsPerSecond: 10 } } });
    for (const id of ['a', 'b', 'c', 'd', 'e']) scheduler.watch(source, id);
    await runDue(0);
    expect(source.calls.map((c) => c.at)).toEqual([0]);
    // The loop stalls for 450 ms: four reserved slots (100..400) fall due during it.
    await runDue(450);
    await runDue(550);
    await runDue(650);
    await runDue(750);
    const sent = source.calls.map((c) => c.at);
    for (let i = 1; i < sent.length; i++)
      expect((sent[i] as number) - (sent[i - 1] as number)).toBeGreaterThanOrEqual(100);
    expect(sent).toEqual([0, 450, 550, 650, 750]);
    await scheduler.close();
  });
});

describe('createJobScheduler rate limits', () => {
  it('should pause every job of a provider after a 429 until its Retry-After, leaving other providers alone', async () => {
    let first429 = true;
    const a = fakeSource([running]);
    const fetchA = a.fetchSnapshot.bind(a);
    a.fetchSnapshot = (id, context) => {
      if (id === 'a1' && context.now() === 1000 && first429) {
        first429 = false;
        a.calls.push({ at: context.now(), id, signal: context.signal });
        return Promise.reject(new RateLimitError({ status: 429, retryAfterMs: 10_000 }));
      }
      return fetchA(id, context);
    };
    const b = fakeSource([running], { provider: 'other' });
    const scheduler = createJobScheduler(backoff);
    for (const id of ['a1', 'a2', 'a3']) scheduler.watch(a, id);
    scheduler.watch(b, 'b1');
    await vi.advanceTimersByTimeAsync(15_000);
    const aTimes = a.calls.map((c) => c.at);
    expect(aTimes.filter((t) => t > 1000 && t < 11_000)).toEqual([]);
    expect(aTimes.filter((t) => t >= 11_000).length).toBeGreaterThanOrEqual(3);
    expect(b.calls.map((c) => c.at)).toEqual([0, 1000, 3000, 7000, 15_000]);
    await scheduler.close();
  });

  it('should probe with one request at a time after the pause, until one succeeds', async () => {
    const a = slowSource('a', 50, 99);
    const fetch = a.source.fetchSnapshot.bind(a.source);
    let rejected = false;
    a.source.fetchSnapshot = async (id, context) => {
      if (!rejected && id === 'j0') {
        rejected = true;
        throw new RateLimitError({ status: 429, retryAfterMs: 2000 });
      }
      return fetch(id, context);
    };
    const scheduler = createJobScheduler(backoff);
    for (const id of ['j0', 'j1', 'j2', 'j3']) scheduler.watch(a.source, id);
    await vi.advanceTimersByTimeAsync(1999);
    const before = a.stats.calls;
    a.stats.maxInFlight = 0;
    await vi.advanceTimersByTimeAsync(45);
    // Only the probe went out when the pause ended.
    expect(a.stats.calls).toBe(before + 1);
    expect(a.stats.maxInFlight).toBe(1);
    await scheduler.close();
  });

  it('should pause the provider for a backoff when a 429 has no Retry-After', async () => {
    const source = fakeSource([{ error: new RateLimitError({ status: 429 }) }, running]);
    const other = fakeSource([running]);
    // Same provider and kind: the second job is slowed by the first one's 429.
    const scheduler = createJobScheduler(backoff);
    scheduler.watch(source, 'a');
    await vi.advanceTimersByTimeAsync(0);
    scheduler.watch(other, 'b');
    await vi.advanceTimersByTimeAsync(1999);
    expect(other.calls).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    // A failed poll counts as unchanged: the backoff ceiling is already 2000.
    expect(source.calls.map((c) => c.at)).toEqual([0, 2000]);
    expect(other.calls.map((c) => c.at)).toEqual([2000]);
    await scheduler.close();
  });
});

describe('createJobScheduler: the delay a watch reports is the delay applied', () => {
  /** Provider `fake`: a1's poll at 1000 gets a 429 with Retry-After 11 s; a2's requests take 200 ms. */
  function pausedProvider() {
    const a = fakeSource([running]);
    const fetchA = a.fetchSnapshot.bind(a);
    a.fetchSnapshot = async (id, context) => {
      if (id === 'a1' && context.now() === 1000) {
        a.calls.push({ at: context.now(), id, signal: context.signal });
        throw new RateLimitError({ status: 429, retryAfterMs: 11_000 });
      }
      if (id === 'a2') await new Promise((resolve) => setTimeout(resolve, 200));
      return fetchA(id, context);
    };
    return a;
  }

  it("should report a sibling's 429 pause as the delay ('rate-limit') when the pause began before the poll settled", async () => {
    const a = pausedProvider();
    const scheduler = createJobScheduler(backoff);
    const events: PollEvent[] = [];
    scheduler.watch(a, 'a1');
    await vi.advanceTimersByTimeAsync(900);
    // a2's first poll is in flight (900 -> 1100) when a1's 429 arrives at 1000.
    scheduler.watch(a, 'a2', { onPoll: (e) => events.push(e) });
    await vi.advanceTimersByTimeAsync(13_000);
    expect(events[0]).toMatchObject({ at: 900, durationMs: 200, delayMs: 10_900, delaySource: 'rate-limit' });
    // (a2's calls are recorded when its 200 ms requests are answered.)
    const a2 = a.calls.filter((c) => c.id === 'a2').map((c) => c.at);
    expect(a2.slice(0, 2)).toEqual([1100, 12_200]);
    expect(events[1]).toMatchObject({ at: 12_000 });
    expect(events[1]?.heldMs).toBeUndefined();
    await scheduler.close();
  });

  it("should report a hold that began after the poll settled on the next event (heldMs, heldBy 'rate-limit')", async () => {
    const a = pausedProvider();
    const scheduler = createJobScheduler(backoff);
    const events: PollEvent[] = [];
    scheduler.watch(a, 'a1');
    await vi.advanceTimersByTimeAsync(300);
    // a2 polls at 300 (settles at 500) and is told 1000 ms; at 1000 the provider is paused until 12 000.
    scheduler.watch(a, 'a2', { onPoll: (e) => events.push(e) });
    await vi.advanceTimersByTimeAsync(13_000);
    expect(events[0]).toMatchObject({ at: 300, delayMs: 1000, delaySource: 'backoff' });
    expect(events[1]).toMatchObject({ at: 12_000, heldMs: 10_500, heldBy: 'rate-limit' });
    await scheduler.close();
  });

  it("should report the wait for the provider's request budget ('budget') when the budget binds", async () => {
    const source = fakeSource([running]);
    const scheduler = createJobScheduler({ ...backoff, perProvider: { fake: { requestsPerSecond: 1 } } });
    const events = new Map<string, PollEvent[]>();
    for (const id of ['j1', 'j2', 'j3']) {
      events.set(id, []);
      scheduler.watch(source, id, { onPoll: (e) => events.get(id)?.push(e) });
    }
    await vi.advanceTimersByTimeAsync(20_000);
    for (const [id, list] of events) {
      const times = source.calls.filter((c) => c.id === id).map((c) => c.at);
      // Every reported delay is the time to this job's next request.
      list.slice(0, times.length - 1).forEach((e, i) => {
        expect(e.at + (e.delayMs ?? Number.NaN)).toBe(times[i + 1]);
      });
    }
    const all = [...events.values()].flat();
    expect(all.some((e) => e.delaySource === 'budget')).toBe(true);
    await scheduler.close();
  });
});

describe('createJobScheduler budgets count HTTP requests, not polls', () => {
  /** A source whose every poll sends two requests (as a Supermetrics batch poll does). */
  function twoRequestSource(latencyMs: number) {
    const made = slowSource('two', latencyMs, 99);
    const source: JobSource<null> = { ...made.source, requestsPerPoll: 2 };
    return { source, stats: made.stats };
  }

  it('should keep maxConcurrent requests in flight, counting each poll as its requestsPerPoll', async () => {
    const { source, stats } = twoRequestSource(100);
    const scheduler = createJobScheduler({ maxConcurrent: 4 });
    for (const id of ['a', 'b', 'c', 'd', 'e']) scheduler.watch(source, id);
    expect(scheduler.stats().inFlight).toBe(4);
    await vi.advanceTimersByTimeAsync(1);
    // Two polls in flight: four requests.
    expect(stats.inFlight).toBe(2);
    await vi.advanceTimersByTimeAsync(5000);
    expect(stats.maxInFlight).toBe(2);
    await scheduler.close();
  });

  it('should hold a provider to requestsPerSecond requests, not polls', async () => {
    const { source, stats } = twoRequestSource(1);
    const scheduler = createJobScheduler({ ...backoff, perProvider: { two: { requestsPerSecond: 10 } } });
    for (const id of Array.from({ length: 40 }, (_, i) => `j${i}`)) scheduler.watch(source, id);
    await vi.advanceTimersByTimeAsync(10_000);
    // 10 requests a second are 5 polls a second (2 requests each): about 50 polls in 10 s.
    expect(stats.calls).toBeGreaterThanOrEqual(45);
    expect(stats.calls).toBeLessThanOrEqual(51);
    await scheduler.close();
  });

  it('should always let one poll through an idle provider even when it costs more than maxConcurrent', async () => {
    const { source } = twoRequestSource(10);
    const scheduler = createJobScheduler({ perProvider: { two: { maxConcurrent: 1 } } });
    scheduler.watch(source, 'a');
    expect(scheduler.stats().inFlight).toBe(2);
    await scheduler.close();
  });

  it.each([0, -1, 1.5, Number.NaN])(
    'should reject a source with requestsPerPoll %s before any request',
    async (cost) => {
      const { source, stats } = twoRequestSource(1);
      const scheduler = createJobScheduler();
      const watch = scheduler.watch({ ...source, requestsPerPoll: cost }, 'a');
      await expect(watch.done).rejects.toMatchObject({
        name: 'ValidationError',
        field: 'source.requestsPerPoll',
        message: `invalid source.requestsPerPoll: expected an integer >= 1 (got ${cost})`,
      });
      expect(stats.calls).toBe(0);
      await scheduler.close();
    },
  );

  it('should charge a source with requestsPerPoll 1 one request a poll', async () => {
    const { source, stats } = twoRequestSource(10);
    const scheduler = createJobScheduler({ perProvider: { two: { maxConcurrent: 1 } } });
    scheduler.watch({ ...source, requestsPerPoll: 1 }, 'a');
    expect(scheduler.stats().inFlight).toBe(1);
    await vi.advanceTimersByTimeAsync(10);
    expect(stats.calls).toBe(1);
    await scheduler.close();
  });
});

describe('createJobScheduler dedupe', () => {
  it('should share one poll loop between watchers of the same job', async () => {
    const source = fakeSource([running, running, { status: 'succeeded' }]);
    const scheduler = createJobScheduler(backoff);
    const w1 = scheduler.watch(source, 'j1');
    await vi.advanceTimersByTimeAsync(0);
    const w2 = scheduler.watch(source, 'j1', { resolveOnUnsuccessful: true });
    expect(w2.getSnapshot()?.status).toBe('running');
    expect(scheduler.stats().watching).toBe(1);
    await vi.advanceTimersByTimeAsync(10_000);
    const [a, b] = await Promise.all([w1.done, w2.done]);
    expect(a).toBe(b);
    expect(source.calls).toHaveLength(3);
  });

  it('should not share a poll between two source objects (e.g. two tenants with their own keys)', async () => {
    const tenantA = fakeSource([running, { status: 'succeeded' }]);
    const tenantB = fakeSource([running, { status: 'succeeded' }]);
    const scheduler = createJobScheduler(backoff);
    const a = scheduler.watch(tenantA, 'j1');
    const b = scheduler.watch(tenantB, 'j1');
    expect(scheduler.stats().watching).toBe(2);
    await vi.advanceTimersByTimeAsync(10_000);
    await Promise.all([a.done, b.done]);
    expect(tenantA.calls).toHaveLength(2);
    expect(tenantB.calls).toHaveLength(2);
  });

  it('should keep polling for the other watchers when one stops, and stop with the last', async () => {
    const source = fakeSource([running]);
    const scheduler = createJobScheduler(backoff);
    const w1 = scheduler.watch(source, 'j1');
    const w2 = scheduler.watch(source, 'j1');
    const other = scheduler.watch(source, 'j2');
    await vi.advanceTimersByTimeAsync(0);
    w1.stop();
    await expect(w1.done).rejects.toBeInstanceOf(AbortError);
    await vi.advanceTimersByTimeAsync(1000);
    expect(source.calls.filter((c) => c.id === 'j1')).toHaveLength(2);
    w2.stop();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(source.calls.filter((c) => c.id === 'j1')).toHaveLength(2);
    expect(scheduler.stats()).toMatchObject({ watching: 1, timers: 1 });
    other.stop();
    expect(scheduler.stats()).toEqual({ watching: 0, inFlight: 0, queued: 0, timers: 0 });
  });
});

describe('createJobScheduler close', () => {
  it('should stop every watch, abort requests in flight and leave no timer', async () => {
    const sleeping = fakeSource([running]);
    const hanging: FakeSource = fakeSource([{ hang: true }], { provider: 'slow' });
    const scheduler = createJobScheduler({ perProvider: { fake: { requestsPerSecond: 1 } } });
    const watches = [scheduler.watch(sleeping, 'a'), scheduler.watch(sleeping, 'b'), scheduler.watch(hanging, 'c')];
    const results = watches.map((w) => track(w.done));
    await vi.advanceTimersByTimeAsync(10);
    await scheduler.close();
    expect(results.map((r) => (r.error as Error).name)).toEqual(['AbortError', 'AbortError', 'AbortError']);
    expect(hanging.calls[0]?.signal.aborted).toBe(true);
    expect(scheduler.stats()).toEqual({ watching: 0, inFlight: 0, queued: 0, timers: 0 });
    expect(vi.getTimerCount()).toBe(0);
    const late = sleeping.calls.length;
    await expect(scheduler.watch(sleeping, 'd').done).rejects.toThrow('the scheduler is closed');
    expect(sleeping.calls).toHaveLength(late);
  });
});

describe('createJobScheduler options', () => {
  it('should use its poll options as defaults for every watch', async () => {
    const source = fakeSource([running]);
    const scheduler = createJobScheduler({ minIntervalMs: 5000, strategy: 'backoff', random: () => 0 });
    scheduler.watch(source, 'j1');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(source.calls.map((c) => c.at)).toEqual([0, 5000, 10_000]);
    await scheduler.close();
  });

  it.each([
    ['maxConcurrent', { maxConcurrent: 0 }],
    ['perProvider.x.requestsPerSecond', { perProvider: { x: { requestsPerSecond: -1 } } }],
    ['perProvider.x.maxConcurrent', { perProvider: { x: { maxConcurrent: 1.5 } } }],
    ['minIntervalMs', { minIntervalMs: -1 }],
  ])('should reject an invalid %s', (field, options) => {
    expect(() => createJobScheduler(options)).toThrow(ValidationError);
    expect(() => createJobScheduler(options)).toThrow(expect.objectContaining({ field }));
  });

  it('should resume a handle on the scheduler', async () => {
    const source = fakeSource([{ status: 'succeeded' }]);
    const scheduler = createJobScheduler();
    const watch = scheduler.resume(source, {
      v: 1,
      provider: 'fake',
      kind: 'job',
      id: 'j9',
      nextPollAt: 2000,
      attempt: 4,
      startedAt: 0,
      deadline: null,
    });
    await vi.advanceTimersByTimeAsync(2000);
    await expect(watch.done).resolves.toMatchObject({ id: 'j9', status: 'succeeded' });
    expect(source.calls.map((c) => c.at)).toEqual([2000]);
  });
});
