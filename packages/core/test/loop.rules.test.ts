// The poll loop's state machine (internal/loop.ts) at its edges, through watchJob, resumeJob and the
// scheduler: what a poll event says (HTTP status, holds), what a stop or an end does to the request
// in flight and to the handle, cancel's shortcut to the next poll, which waits a notification may
// shorten, a host's hold that runs past the deadline, and what the loop asks of an injected clock.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createSnapshot } from '../src/client-kit/index.js';
import { resumeJob } from '../src/handles.js';
import {
  AbortError,
  type Clock,
  InvalidResponseError,
  JobCancelledError,
  type JobSource,
  NetworkError,
  type PollEvent,
  PollTimeoutError,
  RateLimitError,
  ServerError,
  watchJob,
} from '../src/index.js';
import { createJobScheduler } from '../src/scheduler.js';
import { fakeSource, flush, manualClock, type Step, track } from './helpers.js';

/** Exponential backoff with the top of its jitter: polls at 0, 1000, 3000, 7000, 15_000... while nothing changes. */
const backoff = { strategy: 'backoff', random: () => 0.999_999_9 } as const;
const running: Step = { status: 'running', completed: 1, total: 10 };
const about = (id: string) => ({ provider: 'fake', kind: 'job', id });

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

/** A source whose polls answer `latencyMs` after they are sent (or abort), with `status`, recording each signal. */
function slowSource(latencyMs: number, statuses: ('running' | 'succeeded')[] = ['running']) {
  const calls: { at: number; signal: AbortSignal }[] = [];
  const source: JobSource<null> = {
    provider: 'fake',
    kind: 'job',
    async fetchSnapshot(id, { now, signal }) {
      const n = calls.length;
      calls.push({ at: now(), signal });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, latencyMs);
        signal.addEventListener('abort', () => {
          clearTimeout(timer);
          reject(signal.reason);
        });
      });
      const status = statuses[Math.min(n, statuses.length - 1)] ?? 'running';
      const snapshot = createSnapshot({
        provider: 'fake',
        kind: 'job',
        id,
        status,
        rawStatus: status,
        progress: { completed: 1, total: 10 },
        observedAt: now(),
        raw: null,
      });
      return { snapshot, hints: {} };
    },
  };
  return { source, calls };
}

describe('the poll event: HTTP status', () => {
  it('should carry the HTTP status the source reported with a snapshot, and leave it out when there was none', async () => {
    const events: PollEvent[] = [];
    watchJob(fakeSource([{ ...running, hints: { httpStatus: 200 } }, running]), 'j1', {
      ...backoff,
      onPoll: (e) => events.push(e),
    });
    await vi.advanceTimersByTimeAsync(1000);
    expect(events[0]?.httpStatus).toBe(200);
    expect(events[1]).not.toHaveProperty('httpStatus');
  });

  it.each<[string, unknown, number | undefined]>([
    ['an HTTP error', new ServerError({ status: 503 }), 503],
    ['an unreadable body', new InvalidResponseError('bad json', { status: 502 }), 502],
    ['an unreadable body without a status', new InvalidResponseError('bad json'), undefined],
    ['a network error', new NetworkError('reset'), undefined],
    // A foreign error's `status` (a gRPC-like SDK's 'UNAVAILABLE') is not an HTTP status.
    [
      'an error from elsewhere with a status field',
      Object.assign(new Error('sdk'), { status: 'UNAVAILABLE' }),
      undefined,
    ],
  ])('should report the HTTP status of a poll that failed with %s only when it is one', async (_, error, status) => {
    const events: PollEvent[] = [];
    const watch = watchJob(fakeSource([{ error }, running]), 'j1', {
      ...backoff,
      maxConsecutiveErrors: 3,
      onPoll: (e) => events.push(e),
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(events[0]?.error).toBe(error);
    if (status === undefined) expect(events[0]).not.toHaveProperty('httpStatus');
    else expect(events[0]?.httpStatus).toBe(status);
    watch.stop();
  });
});

describe('the poll event: holds', () => {
  it('should never report a hold for a watch of its own (no scheduler)', async () => {
    const events: PollEvent[] = [];
    watchJob(fakeSource([running]), 'j1', { ...backoff, onPoll: (e) => events.push(e) });
    await vi.advanceTimersByTimeAsync(7000);
    expect(events.map((e) => e.at)).toEqual([0, 1000, 3000, 7000]);
    for (const event of events) {
      expect(event).not.toHaveProperty('heldMs');
      expect(event).not.toHaveProperty('heldBy');
    }
  });

  it('should not report a poll whose timer fired late (a blocked event loop) as held', async () => {
    const inner = manualClock();
    // Every timer fires 300 ms after it was due.
    const clock: Clock = { ...inner, setTimeout: (fn, ms) => inner.setTimeout(fn, ms + 300) };
    const events: PollEvent[] = [];
    const watch = watchJob(fakeSource([running]), 'j1', { ...backoff, clock, onPoll: (e) => events.push(e) });
    await inner.advance(1300);
    expect(events.map((e) => [e.at, e.delayMs])).toEqual([
      [0, 1000],
      [1300, 2000],
    ]);
    expect(events[1]).not.toHaveProperty('heldMs');
    expect(events[1]).not.toHaveProperty('heldBy');
    watch.stop();
  });

  it('should not report a job queued behind a request that answered at once as held', async () => {
    const source = fakeSource([running]);
    const events = new Map<string, PollEvent[]>([
      ['a', []],
      ['b', []],
    ]);
    const scheduler = createJobScheduler({ ...backoff, maxConcurrent: 1 });
    for (const id of ['a', 'b']) scheduler.watch(source, id, { onPoll: (e) => events.get(id)?.push(e) });
    await vi.advanceTimersByTimeAsync(0);
    // b waited in the queue for a's request, which took no time: it went when it was due.
    expect(source.calls.map((c) => [c.id, c.at])).toEqual([
      ['a', 0],
      ['b', 0],
    ]);
    expect(events.get('b')?.[0]).not.toHaveProperty('heldMs');
    expect(events.get('b')?.[0]).not.toHaveProperty('heldBy');
    await scheduler.close();
  });
});

describe('stopping and ending', () => {
  it('should abort the request in flight when the last watcher stops, saying so', async () => {
    const { source, calls } = slowSource(500);
    const watch = watchJob(source, 'j1', backoff);
    const done = track(watch.done);
    await vi.advanceTimersByTimeAsync(100);
    watch.stop('bye');
    await flush();
    expect(done.error).toBeInstanceOf(AbortError);
    expect(calls[0]?.signal.aborted).toBe(true);
    expect(calls[0]?.signal.reason).toEqual(new AbortError('every watcher stopped'));
    expect(calls[0]?.signal.reason).toBeInstanceOf(AbortError);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('should not count the poll a stop aborted: the handle is the one from before the stop', async () => {
    const { source } = slowSource(500);
    const watch = watchJob(source, 'j1', backoff);
    // The first poll answered at 500; the second, sent at 1500, is in flight at 1600.
    await vi.advanceTimersByTimeAsync(1600);
    const before = watch.toHandle();
    expect(before).toMatchObject({ attempt: 1, errors: 0 });
    watch.stop();
    await vi.advanceTimersByTimeAsync(1000);
    expect(watch.toHandle()).toEqual(before);
  });

  it('should send no more polls and hold no timer after a watch stops itself from onPoll', async () => {
    const source = fakeSource([running]);
    const events: PollEvent[] = [];
    const watch = watchJob(source, 'j1', {
      ...backoff,
      onPoll: (e) => {
        events.push(e);
        if (e.attempt === 2) watch.stop();
      },
    });
    const done = track(watch.done);
    await vi.advanceTimersByTimeAsync(1000);
    expect(done.error).toBeInstanceOf(AbortError);
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(source.calls.map((c) => c.at)).toEqual([0, 1000]);
    expect(events).toHaveLength(2);
  });
});

describe('cancel', () => {
  it('should end at once on a terminal answer to the cancel, aborting the poll in flight because the job finished', async () => {
    const { source, calls } = slowSource(1000);
    const cancelled = createSnapshot({
      provider: 'fake',
      kind: 'job',
      id: 'j1',
      status: 'cancelled',
      rawStatus: 'cancelled',
      progress: { completed: 1, total: 10 },
      observedAt: 0,
      raw: null,
    });
    source.cancel = async () => ({ snapshot: cancelled, hints: {} });
    const watch = watchJob(source, 'j1', backoff);
    const done = track(watch.done);
    await vi.advanceTimersByTimeAsync(100);
    const final = await watch.cancel();
    expect(final).toMatchObject({ status: 'cancelled' });
    expect(done.error).toBeInstanceOf(JobCancelledError);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.signal.reason).toEqual(new AbortError('the job finished'));
    expect(calls[0]?.signal.reason).toBeInstanceOf(AbortError);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(calls).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('should look again after the floor when the cancel answers nothing, and resolve with what that poll sees', async () => {
    const source = fakeSource([running], { afterCancel: [{ status: 'cancelled' }] });
    const watch = watchJob(source, 'j1', backoff);
    await vi.advanceTimersByTimeAsync(7000);
    // Polls at 0, 1000, 3000, 7000; the next is due at 15_000. The cancel is sent at 8000.
    await vi.advanceTimersByTimeAsync(1000);
    const result = track(watch.cancel());
    await vi.advanceTimersByTimeAsync(999);
    expect(result.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(result.value).toMatchObject({ status: 'cancelled' });
    expect(source.calls.map((c) => c.at)).toEqual([0, 1000, 3000, 7000, 9000]);
  });

  it('should not put off a poll due sooner than the floor after the cancel', async () => {
    const source = fakeSource([running], { afterCancel: [running] });
    const watch = watchJob(source, 'j1', { ...backoff, minIntervalMs: 1000 });
    // Polls at 0 and 1000; the next is due at 3000. A cancel at 2500 must not move it to 3500.
    await vi.advanceTimersByTimeAsync(2500);
    track(watch.cancel());
    await vi.advanceTimersByTimeAsync(500);
    expect(source.calls.map((c) => c.at)).toEqual([0, 1000, 3000]);
    watch.stop();
  });

  it('should let a poll in flight during the cancel settle, and follow the schedule from it', async () => {
    const { source, calls } = slowSource(300);
    source.cancel = async () => undefined;
    const events: PollEvent[] = [];
    const watch = watchJob(source, 'j1', { ...backoff, onPoll: (e) => events.push(e) });
    await vi.advanceTimersByTimeAsync(100);
    track(watch.cancel());
    await vi.advanceTimersByTimeAsync(200);
    // The first poll answered at 300, counted; the next follows the backoff restarted by the cancel.
    expect(events.map((e) => [e.at, e.durationMs])).toEqual([[0, 300]]);
    expect(watch.getSnapshot()).toMatchObject({ status: 'running' });
    await vi.advanceTimersByTimeAsync(1000);
    expect(calls.map((c) => c.at)).toEqual([0, 1300]);
    watch.stop();
  });
});

describe("cancel: the provider's waits hold", () => {
  it.each<[string, Step]>([
    ['a Retry-After the last answer gave', { ...running, hints: { retryAfterMs: 20_000 } }],
    ["a 429's pause", { error: new RateLimitError({ status: 429, retryAfterMs: 20_000 }) }],
  ])('should not look again inside %s', async (_, first) => {
    const source = fakeSource([first], { afterCancel: [running] });
    const watch = watchJob(source, 'j1', backoff);
    await vi.advanceTimersByTimeAsync(5000);
    track(watch.cancel());
    await vi.advanceTimersByTimeAsync(14_999);
    expect(source.calls.map((c) => c.at)).toEqual([0]);
    await vi.advanceTimersByTimeAsync(1);
    expect(source.calls.map((c) => c.at)).toEqual([0, 20_000]);
    watch.stop();
  });
});

describe('notifications: which waits they shorten', () => {
  it('should bring forward a retry after a failed poll (only a 429 backoff holds)', async () => {
    const source = fakeSource([running, { error: new ServerError({ status: 503 }) }, running]);
    const watch = watchJob(source, 'j1', { ...backoff, maxConsecutiveErrors: 3 });
    await vi.advanceTimersByTimeAsync(1000);
    // The poll at 1000 failed; its retry is due at 3000. A notification at 2000 brings it to 2000.
    await vi.advanceTimersByTimeAsync(1000);
    expect(watch.notify(about('j1'))).toBe(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(source.calls.map((c) => c.at)).toEqual([0, 1000, 2000]);
    watch.stop();
  });

  it('should bring forward the first poll of a resumed watch', async () => {
    const first = watchJob(fakeSource([running]), 'j1', backoff);
    await vi.advanceTimersByTimeAsync(0);
    const handle = { ...first.toHandle(), nextPollAt: 30_000 };
    first.stop();
    const source = fakeSource([running]);
    const watch = resumeJob(source, handle, backoff);
    await vi.advanceTimersByTimeAsync(5000);
    expect(source.calls).toHaveLength(0);
    expect(watch.notify(about('j1'))).toBe(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(source.calls.map((c) => c.at)).toEqual([5000]);
    watch.stop();
  });

  it('should deliver the answer of the poll in flight when a notification arrives, then poll once more', async () => {
    const { source, calls } = slowSource(300);
    const events: PollEvent[] = [];
    const watch = watchJob(source, 'j1', { ...backoff, minIntervalMs: 1000, onPoll: (e) => events.push(e) });
    await vi.advanceTimersByTimeAsync(100);
    expect(watch.notify(about('j1'))).toBe(true);
    await vi.advanceTimersByTimeAsync(200);
    expect(events.map((e) => [e.at, e.durationMs, e.delaySource])).toEqual([[0, 300, 'notify']]);
    expect(watch.getSnapshot()).toMatchObject({ status: 'running' });
    await vi.advanceTimersByTimeAsync(1000);
    expect(calls.map((c) => c.at)).toEqual([0, 1000]);
    watch.stop();
  });

  it("should not shorten a wait for the provider's pause after another job's 429", async () => {
    const limited = fakeSource([{ error: new RateLimitError({ status: 429, retryAfterMs: 10_000 }) }, running]);
    const other = fakeSource([running]);
    const scheduler = createJobScheduler({ ...backoff, maxConsecutiveErrors: 3 });
    const events: PollEvent[] = [];
    scheduler.watch(other, 'b', { onPoll: (e) => events.push(e) });
    await vi.advanceTimersByTimeAsync(500);
    scheduler.watch(limited, 'a');
    await vi.advanceTimersByTimeAsync(0);
    // b's poll due at 1000 is held by the pause until 10_500.
    await vi.advanceTimersByTimeAsync(1500);
    expect(other.calls.map((c) => c.at)).toEqual([0]);
    expect(scheduler.notify(about('b'))).toBe(true);
    await vi.advanceTimersByTimeAsync(8499);
    expect(other.calls.map((c) => c.at)).toEqual([0]);
    await vi.advanceTimersByTimeAsync(1);
    expect(other.calls.map((c) => c.at)).toEqual([0, 10_500]);
    // The pause, not the notification, decided when it went.
    expect(events[1]).toMatchObject({ at: 10_500, heldBy: 'rate-limit' });
    expect(events[1]).not.toHaveProperty('notified');
    await scheduler.close();
  });

  it('should not shorten a wait for a slot of the request budget', async () => {
    const source = fakeSource([running]);
    const events: PollEvent[] = [];
    const scheduler = createJobScheduler({ ...backoff, perProvider: { fake: { requestsPerSecond: 0.1 } } });
    scheduler.watch(source, 'a');
    scheduler.watch(source, 'b', { onPoll: (e) => events.push(e) });
    // a goes at 0; b's first poll waits for the next slot, at 10_000.
    await vi.advanceTimersByTimeAsync(2000);
    expect(scheduler.notify(about('b'))).toBe(true);
    await vi.advanceTimersByTimeAsync(7999);
    expect(source.calls.map((c) => [c.id, c.at])).toEqual([['a', 0]]);
    await vi.advanceTimersByTimeAsync(1);
    expect(source.calls.map((c) => [c.id, c.at])).toEqual([
      ['a', 0],
      ['b', 10_000],
    ]);
    expect(events[0]).toMatchObject({ at: 10_000, heldBy: 'budget' });
    expect(events[0]).not.toHaveProperty('notified');
    await scheduler.close();
  });
});

describe('a hold past the deadline', () => {
  it('should end a watch whose own 429 pauses the provider past its deadline at the deadline, without another poll', async () => {
    const source = fakeSource([{ error: new RateLimitError({ status: 429, retryAfterMs: 60_000 }) }, running]);
    const events: PollEvent[] = [];
    const scheduler = createJobScheduler({ ...backoff, maxConsecutiveErrors: 3 });
    const done = track(scheduler.watch(source, 'j1', { timeoutMs: 10_000, onPoll: (e) => events.push(e) }).done);
    await vi.advanceTimersByTimeAsync(9999);
    expect(done.settled).toBe(false);
    expect(events.map((e) => [e.delayMs, e.delaySource])).toEqual([[10_000, 'rate-limit']]);
    await vi.advanceTimersByTimeAsync(1);
    expect(done.error).toBeInstanceOf(PollTimeoutError);
    expect(done.error).toMatchObject({ attempts: 1, message: 'job not finished after 10000 ms and 1 polls' });
    expect(source.calls).toHaveLength(1);
    await scheduler.close();
  });

  it('should end a watch that comes due during a pause running past its deadline at the deadline, never polled', async () => {
    const limited = fakeSource([{ error: new RateLimitError({ status: 429, retryAfterMs: 60_000 }) }]);
    const late = fakeSource([running]);
    const scheduler = createJobScheduler({ ...backoff, maxConsecutiveErrors: 3 });
    scheduler.watch(limited, 'a');
    await vi.advanceTimersByTimeAsync(1000);
    const done = track(scheduler.watch(late, 'b', { timeoutMs: 5000 }).done);
    await vi.advanceTimersByTimeAsync(4999);
    expect(done.settled).toBe(false);
    expect(scheduler.stats().timers).toBe(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(done.error).toBeInstanceOf(PollTimeoutError);
    expect(done.error).toMatchObject({ attempts: 0, message: 'job not finished after 5000 ms and 0 polls' });
    expect(late.calls).toHaveLength(0);
    await scheduler.close();
  });
});

describe('what the loop asks of an injected clock', () => {
  it('should only clear timers the clock made', async () => {
    const inner = manualClock();
    const made = new Set<unknown>();
    const cleared: unknown[] = [];
    const clock: Clock = {
      now: inner.now,
      setTimeout: (fn, ms) => {
        const handle = inner.setTimeout(fn, ms);
        made.add(handle);
        return handle;
      },
      clearTimeout: (handle) => {
        cleared.push(handle);
        inner.clearTimeout(handle);
      },
    };
    const source = fakeSource([running]);
    const watch = watchJob(source, 'j1', { ...backoff, clock });
    await inner.advance(3500);
    watch.notify(about('j1'));
    await inner.advance(2000);
    watch.stop();
    expect(source.calls.map((c) => c.at)).toEqual([0, 1000, 3000, 4000]);
    expect(cleared.length).toBeGreaterThan(0);
    for (const handle of cleared) expect(made.has(handle)).toBe(true);
  });

  it('should poll just the same with a clock that cannot cancel its timers', async () => {
    const run = async (clock: Clock & { advance(ms: number): Promise<void> }) => {
      const source = fakeSource([running]);
      const watch = watchJob(source, 'j1', { ...backoff, clock });
      await clock.advance(8000);
      // Due at 15_000; the notification brings it to 8000. The timer for 15_000 stays with such a clock.
      watch.notify(about('j1'));
      await clock.advance(12_000);
      watch.stop();
      return source.calls.map((c) => c.at);
    };
    const cancelling = manualClock();
    const stubborn = manualClock();
    const expected = await run(cancelling);
    expect(expected).toEqual([0, 1000, 3000, 7000, 8000, 10_000, 14_000]);
    expect(await run({ ...stubborn, clearTimeout: () => {} })).toEqual(expected);
  });
});
