// The scheduler's shared budgets at their edges: option checks, concurrency caps counted in
// requests, the provider gate's request rate (also when timers fire late), the pause and probing
// after a 429, queued jobs that stop, and notifications across sources. scheduler.test.ts has the
// everyday cases.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createSnapshot } from '../src/client-kit/index.js';
import { AbortError, type JobSource, type PollEvent, RateLimitError, ValidationError } from '../src/index.js';
import { createJobScheduler, type JobSchedulerOptions } from '../src/scheduler.js';
import { fakeSource, type Step, track } from './helpers.js';

const backoff = { strategy: 'backoff', random: () => 0.999_999_9 } as const;
const running: Step = { status: 'running', completed: 1, total: 10 };

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

/** A source whose polls take `latencyMs` and cost `cost` requests; counts polls in flight. */
function slowSource(provider: string, latencyMs: number, cost?: number) {
  const stats = { inFlight: 0, maxInFlight: 0, calls: [] as { id: string; at: number }[] };
  const source: JobSource<null> = {
    provider,
    kind: 'job',
    ...(cost !== undefined && { requestsPerPoll: cost }),
    async fetchSnapshot(id, { now }) {
      stats.calls.push({ id, at: now() });
      stats.inFlight++;
      stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
      await new Promise((resolve) => setTimeout(resolve, latencyMs));
      stats.inFlight--;
      const snapshot = createSnapshot({
        provider,
        kind: 'job',
        id,
        status: 'running',
        rawStatus: 'running',
        progress: { completed: 1, total: 10 },
        observedAt: now(),
        raw: null,
      });
      return { snapshot, hints: {} };
    },
  };
  return { source, stats };
}

describe('createJobScheduler: options', () => {
  it.each<[string, JobSchedulerOptions, string]>([
    ['maxConcurrent 0', { maxConcurrent: 0 }, 'invalid maxConcurrent: expected an integer >= 1 or Infinity (got 0)'],
    [
      'maxConcurrent 2.5',
      { maxConcurrent: 2.5 },
      'invalid maxConcurrent: expected an integer >= 1 or Infinity (got 2.5)',
    ],
    [
      'requestsPerSecond 0',
      { perProvider: { acme: { requestsPerSecond: 0 } } },
      'invalid perProvider.acme.requestsPerSecond: expected a finite number > 0 (got 0)',
    ],
    [
      'requestsPerSecond Infinity',
      { perProvider: { acme: { requestsPerSecond: Number.POSITIVE_INFINITY } } },
      'invalid perProvider.acme.requestsPerSecond: expected a finite number > 0 (got Infinity)',
    ],
    [
      'requestsPerSecond as a string',
      { perProvider: { acme: { requestsPerSecond: '5' as unknown as number } } },
      'invalid perProvider.acme.requestsPerSecond: expected a finite number > 0 (got 5)',
    ],
    [
      'a provider maxConcurrent 0',
      { perProvider: { acme: { maxConcurrent: 0 } } },
      'invalid perProvider.acme.maxConcurrent: expected an integer >= 1 (got 0)',
    ],
  ])('should refuse %s, naming it', (_, options, message) => {
    expect(() => createJobScheduler(options)).toThrow(ValidationError);
    expect(() => createJobScheduler(options)).toThrow(message);
  });

  it('should accept the smallest limits and an unlimited maxConcurrent', async () => {
    for (const options of [
      { maxConcurrent: 1 },
      { maxConcurrent: Number.POSITIVE_INFINITY },
      { perProvider: { acme: { maxConcurrent: 1, requestsPerSecond: 0.001 } } },
    ]) {
      await createJobScheduler(options).close();
    }
  });
});

describe('createJobScheduler: concurrency caps count requests', () => {
  it('should fill a provider cap of 2 exactly', async () => {
    const { source, stats } = slowSource('acme', 100);
    const scheduler = createJobScheduler({ perProvider: { acme: { maxConcurrent: 2 } } });
    for (const id of ['a', 'b', 'c', 'd']) scheduler.watch(source, id);
    expect(scheduler.stats()).toMatchObject({ inFlight: 2, queued: 2 });
    await vi.advanceTimersByTimeAsync(5000);
    expect(stats.maxInFlight).toBe(2);
    await scheduler.close();
  });

  it('should not start a poll whose requests would pass the global cap, but always start one when idle', async () => {
    const two = slowSource('acme', 100, 2);
    const scheduler = createJobScheduler({ maxConcurrent: 3 });
    for (const id of ['a', 'b', 'c']) scheduler.watch(two.source, id);
    expect(scheduler.stats()).toMatchObject({ inFlight: 2, queued: 2 });
    await vi.advanceTimersByTimeAsync(5000);
    expect(two.stats.maxInFlight).toBe(1);
    await scheduler.close();

    const big = slowSource('acme', 100, 2);
    const narrow = createJobScheduler({ maxConcurrent: 1 });
    narrow.watch(big.source, 'a');
    expect(narrow.stats().inFlight).toBe(2);
    await narrow.close();
  });

  it('should start a queued poll as soon as a request slot frees', async () => {
    const { source, stats } = slowSource('acme', 100);
    const scheduler = createJobScheduler({ ...backoff, maxConcurrent: 1 });
    for (const id of ['a', 'b', 'c']) scheduler.watch(source, id);
    await vi.advanceTimersByTimeAsync(300);
    expect(stats.calls.map((c) => [c.id, c.at])).toEqual([
      ['a', 0],
      ['b', 100],
      ['c', 200],
    ]);
    await scheduler.close();
  });

  it('should drop a queued job that stops, and never poll it', async () => {
    const { source, stats } = slowSource('acme', 100);
    const scheduler = createJobScheduler({ maxConcurrent: 1 });
    const [, b, c] = ['a', 'b', 'c'].map((id) => scheduler.watch(source, id));
    expect(scheduler.stats().queued).toBe(2);
    b?.stop();
    expect(scheduler.stats().queued).toBe(1);
    c?.stop();
    expect(scheduler.stats().queued).toBe(0);
    await vi.advanceTimersByTimeAsync(5000);
    expect(stats.calls.map((x) => x.id).filter((id) => id !== 'a')).toEqual([]);
    await scheduler.close();
  });
});

describe('createJobScheduler: the request rate', () => {
  it('should not report a job alone within its rate as waiting for the budget', async () => {
    const source = fakeSource([running]);
    const events: PollEvent[] = [];
    const scheduler = createJobScheduler({
      strategy: 'backoff',
      random: () => 0,
      perProvider: { fake: { requestsPerSecond: 1 } },
    });
    scheduler.watch(source, 'j1', { onPoll: (e) => events.push(e) });
    await vi.advanceTimersByTimeAsync(4000);
    expect(source.calls.map((c) => c.at)).toEqual([0, 1000, 2000, 3000, 4000]);
    expect(events.map((e) => e.delaySource)).toEqual(['floor', 'floor', 'floor', 'floor', 'floor']);
    expect(events.some((e) => e.heldMs !== undefined)).toBe(false);
    await scheduler.close();
  });

  it('should report the first polls of jobs started together as held by the budget, each for its wait', async () => {
    const source = fakeSource([running]);
    const events = new Map<string, PollEvent[]>();
    const scheduler = createJobScheduler({ ...backoff, perProvider: { fake: { requestsPerSecond: 1 } } });
    for (const id of ['a', 'b', 'c']) {
      events.set(id, []);
      scheduler.watch(source, id, { onPoll: (e) => events.get(id)?.push(e) });
    }
    await vi.advanceTimersByTimeAsync(2000);
    expect(source.calls.map((c) => [c.id, c.at])).toEqual([
      ['a', 0],
      ['b', 1000],
      ['c', 2000],
    ]);
    expect(events.get('a')?.[0]?.heldMs).toBeUndefined();
    expect(events.get('b')?.[0]).toMatchObject({ heldMs: 1000, heldBy: 'budget' });
    expect(events.get('c')?.[0]).toMatchObject({ heldMs: 2000, heldBy: 'budget' });
    await scheduler.close();
  });

  it('should keep requests 1/requestsPerSecond apart after timers fired late, whenever it looks', async () => {
    // A clock whose timers fire late, all at once, as after a long synchronous stall.
    let now = 0;
    let timers: { at: number; fn: () => void; id: number }[] = [];
    let ids = 0;
    const clock = {
      now: () => now,
      setTimeout: (fn: () => void, ms: number) => {
        timers.push({ at: now + ms, fn, id: ids++ });
        return ids - 1;
      },
      clearTimeout: (id: unknown) => {
        timers = timers.filter((t) => t.id !== id);
      },
    };
    const source = fakeSource([running]);
    const held: Record<string, string | undefined> = {};
    const scheduler = createJobScheduler({ clock, perProvider: { fake: { requestsPerSecond: 10 } } });
    for (const id of ['a', 'b', 'c', 'd', 'e']) {
      scheduler.watch(source, id, {
        onPoll: (e) => {
          held[id] ??= e.heldBy ?? 'none';
        },
      });
    }
    for (const at of [0, 450, ...Array.from({ length: 40 }, (_, i) => 460 + i * 10)]) {
      now = at;
      for (;;) {
        const due = timers.filter((t) => t.at <= now).sort((x, y) => x.at - y.at);
        if (due.length === 0) break;
        timers = timers.filter((t) => !due.includes(t));
        for (const t of due) t.fn();
        await vi.advanceTimersByTimeAsync(0);
      }
    }
    const sent = source.calls.map((c) => c.at);
    expect(sent.slice(0, 5)).toEqual([0, 450, 550, 650, 750]);
    // Every first poll but a's waited for the budget, and says so.
    expect(held).toEqual({ a: 'none', b: 'budget', c: 'budget', d: 'budget', e: 'budget' });
    await scheduler.close();
  });
});

describe('createJobScheduler: after a 429', () => {
  it('should pause the provider for the floor when a 429 without Retry-After ends its watch', async () => {
    const limited = fakeSource([{ error: new RateLimitError({ status: 429 }) }]);
    const other = fakeSource([running]);
    const scheduler = createJobScheduler({ ...backoff, minIntervalMs: 500, maxConsecutiveErrors: 0 });
    const ended = track(scheduler.watch(limited, 'a').done);
    await vi.advanceTimersByTimeAsync(0);
    expect(ended.error).toBeInstanceOf(RateLimitError);
    scheduler.watch(other, 'b');
    await vi.advanceTimersByTimeAsync(499);
    expect(other.calls).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(other.calls.map((c) => c.at)).toEqual([500]);
    await scheduler.close();
  });

  it("should report a poll held by the probing after a 429 as held by 'rate-limit'", async () => {
    const { source, stats } = slowSource('acme', 100);
    const fetch = source.fetchSnapshot.bind(source);
    let limited = false;
    source.fetchSnapshot = async (id, context) => {
      if (id === 'a' && !limited) {
        limited = true;
        throw new RateLimitError({ status: 429, retryAfterMs: 1000 });
      }
      return fetch(id, context);
    };
    const events: PollEvent[] = [];
    const scheduler = createJobScheduler(backoff);
    scheduler.watch(source, 'a');
    await vi.advanceTimersByTimeAsync(0);
    // b arrives during the pause; when it ends, a probes alone and b waits for it.
    scheduler.watch(source, 'b', { onPoll: (e) => events.push(e) });
    await vi.advanceTimersByTimeAsync(1200);
    expect(stats.calls.map((c) => [c.id, c.at])).toEqual([
      ['a', 1000],
      ['b', 1100],
    ]);
    expect(events[0]).toMatchObject({ at: 1100, heldBy: 'rate-limit' });
    await scheduler.close();
  });

  it('should not report a poll due exactly when the pause ends as held', async () => {
    const limited = fakeSource([{ error: new RateLimitError({ status: 429, retryAfterMs: 2000 }) }, running]);
    const other = fakeSource([running]);
    const events: PollEvent[] = [];
    const scheduler = createJobScheduler({
      strategy: 'backoff',
      random: () => 0,
      minIntervalMs: 2000,
      maxIntervalMs: 2000,
    });
    scheduler.watch(limited, 'a');
    scheduler.watch(other, 'b', { onPoll: (e) => events.push(e) });
    await vi.advanceTimersByTimeAsync(0);
    // b's first poll went out before a's 429 came back; its next one is due at 2000, when the pause ends.
    expect(events[0]).toMatchObject({ at: 0, delayMs: 2000, delaySource: 'floor' });
    await scheduler.close();
  });

  it('should go back to concurrent requests once a probe sent after the 429 succeeds', async () => {
    const { source, stats } = slowSource('acme', 100);
    const fetch = source.fetchSnapshot.bind(source);
    let limited = false;
    source.fetchSnapshot = async (id, context) => {
      if (id === 'a' && !limited) {
        limited = true;
        throw new RateLimitError({ status: 429, retryAfterMs: 1000 });
      }
      return fetch(id, context);
    };
    const scheduler = createJobScheduler(backoff);
    for (const id of ['a', 'b', 'c']) scheduler.watch(source, id);
    await vi.advanceTimersByTimeAsync(1150);
    stats.maxInFlight = 0;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(stats.maxInFlight).toBeGreaterThan(1);
    await scheduler.close();
  });

  it("should report a poll held by a provider's concurrency cap as held by 'budget'", async () => {
    const { source } = slowSource('acme', 100);
    const events: PollEvent[] = [];
    const scheduler = createJobScheduler({ ...backoff, perProvider: { acme: { maxConcurrent: 1 } } });
    scheduler.watch(source, 'a');
    scheduler.watch(source, 'b', { onPoll: (e) => events.push(e) });
    await vi.advanceTimersByTimeAsync(250);
    // Its first poll was due at 0: held for 100 ms.
    expect(events[0]).toMatchObject({ at: 100, heldMs: 100, heldBy: 'budget' });
    await scheduler.close();
  });

  it("should report a poll held by the scheduler's own concurrency cap as held by 'budget', for as long as it waited", async () => {
    const { source } = slowSource('acme', 100);
    const events: PollEvent[] = [];
    const scheduler = createJobScheduler({ ...backoff, maxConcurrent: 1 });
    scheduler.watch(source, 'a');
    scheduler.watch(source, 'b', { onPoll: (e) => events.push(e) });
    await vi.advanceTimersByTimeAsync(250);
    expect(events[0]).toMatchObject({ at: 100, heldMs: 100, heldBy: 'budget' });
    await scheduler.close();
  });
});

describe('createJobScheduler: notify and close', () => {
  it('should still reach the watch of one source after the same job stopped on another', async () => {
    const tenantA = fakeSource([running]);
    const tenantB = fakeSource([running]);
    const scheduler = createJobScheduler({ ...backoff, minIntervalMs: 10 });
    const a = scheduler.watch(tenantA, 'j1');
    scheduler.watch(tenantB, 'j1');
    await vi.advanceTimersByTimeAsync(100);
    a.stop();
    expect(scheduler.notify({ provider: 'fake', kind: 'job', id: 'j1' })).toBe(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(tenantB.calls.map((c) => c.at)).toEqual([0, 100]);
    await scheduler.close();
    expect(scheduler.notify({ provider: 'fake', kind: 'job', id: 'j1' })).toBe(false);
  });

  it('should ignore something that is not a notification', async () => {
    const scheduler = createJobScheduler();
    scheduler.watch(fakeSource([running]), 'j1');
    for (const bad of [
      null,
      undefined,
      'j1',
      { provider: 'fake', kind: 'job' },
      { provider: 'fake', kind: 'job', id: 1 },
    ]) {
      expect(scheduler.notify(bad as never)).toBe(false);
    }
    await scheduler.close();
  });

  it('should end every watch with an AbortError that says the scheduler was closed', async () => {
    const scheduler = createJobScheduler();
    const done = track(scheduler.watch(fakeSource([running]), 'j1').done);
    await scheduler.close();
    expect(done.error).toBeInstanceOf(AbortError);
    expect((done.error as Error).message).toBe('the scheduler was closed');
  });

  it('should give a resume of an unreadable handle a handle of no job', async () => {
    const scheduler = createJobScheduler();
    const watch = scheduler.resume(fakeSource([running]), '{not json');
    await expect(watch.done).rejects.toThrow('job handle is not valid JSON');
    expect(watch.toHandle()).toMatchObject({ provider: 'fake', kind: 'job', id: '' });
    await scheduler.close();
  });
});
