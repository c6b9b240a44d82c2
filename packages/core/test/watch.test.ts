import { getEventListeners } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  AbortError,
  AuthenticationError,
  CancelNotSupportedError,
  InvalidResponseError,
  JobCancelledError,
  JobFailedError,
  NetworkError,
  NotFoundError,
  type PollEvent,
  PollTimeoutError,
  RateLimitError,
  RequestTimeoutError,
  ServerError,
  ValidationError,
  waitForJob,
  watchJob,
} from '../src/index.js';
import { catchingUncaught, fakeSource, flush, manualClock, type Step, track } from './helpers.js';

const almostOne = () => 0.999_999_9;
/** Tests of the engine's mechanics pin the exponential backoff strategy, whose delays they assert. */
const backoff = { strategy: 'backoff', random: almostOne } as const;
const running = (completed: number, total: number | null = 10): Step => ({ status: 'running', completed, total });

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('watchJob done', () => {
  it('should send the first poll at once and resolve with the terminal snapshot', async () => {
    const source = fakeSource([{ status: 'queued' }, running(5), { status: 'succeeded', completed: 10, total: 10 }]);
    const watch = watchJob(source, 'j1', backoff);
    expect(source.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(10_000);
    const final = await watch.done;
    expect(final).toMatchObject({ status: 'succeeded', isTerminal: true, id: 'j1', progress: { fraction: 1 } });
    expect(source.calls.map((c) => c.at)).toEqual([0, 1000, 2000]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('should resolve on partially_succeeded unless failOnPartial is set', async () => {
    const partial: Step = { status: 'partially_succeeded', completed: 10, failed: 2, total: 10 };
    await expect(waitForJob(fakeSource([partial]), 'j1')).resolves.toMatchObject({ status: 'partially_succeeded' });
    await expect(waitForJob(fakeSource([partial]), 'j1', { failOnPartial: true })).rejects.toBeInstanceOf(
      JobFailedError,
    );
  });

  it('should reject with JobFailedError on failed and JobCancelledError on cancelled, carrying the snapshot', async () => {
    const failed = waitForJob(fakeSource([{ status: 'failed', failure: { code: 'E1', message: 'boom' } }]), 'j1');
    await expect(failed).rejects.toThrow(JobFailedError);
    await expect(failed).rejects.toMatchObject({ snapshot: { status: 'failed', failure: { code: 'E1' } } });
    await expect(waitForJob(fakeSource([{ status: 'cancelled' }]), 'j1')).rejects.toThrow(JobCancelledError);
  });

  it('should resolve failed and cancelled snapshots as values with resolveOnUnsuccessful', async () => {
    await expect(
      waitForJob(fakeSource([{ status: 'failed' }]), 'j1', { resolveOnUnsuccessful: true }),
    ).resolves.toMatchObject({ status: 'failed' });
    await expect(
      waitForJob(fakeSource([{ status: 'cancelled' }]), 'j1', { resolveOnUnsuccessful: true }),
    ).resolves.toMatchObject({
      status: 'cancelled',
    });
  });

  it('should land the last poll on the deadline and then reject with PollTimeoutError', async () => {
    const source = fakeSource([running(1)]);
    const events: PollEvent[] = [];
    const watch = watchJob(source, 'j1', { timeoutMs: 10_000, ...backoff, onPoll: (e) => events.push(e) });
    const result = track(watch.done);
    await vi.advanceTimersByTimeAsync(20_000);
    expect(source.calls.map((c) => c.at)).toEqual([0, 1000, 3000, 7000, 10_000]);
    expect(events.map((e) => e.delaySource)).toEqual(['backoff', 'backoff', 'backoff', 'deadline', null]);
    expect(result.error).toBeInstanceOf(PollTimeoutError);
    expect(result.error).toMatchObject({ attempts: 5, snapshot: { status: 'running' } });
    expect(vi.getTimerCount()).toBe(0);
  });

  it.each([
    [401, AuthenticationError],
    [404, NotFoundError],
  ])('should fail fast on HTTP %i with exactly one request', async (status, cls) => {
    const source = fakeSource([{ error: new cls({ status }) }, { status: 'succeeded' }]);
    const result = track(watchJob(source, 'j1').done);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(result.error).toBeInstanceOf(cls);
    expect(source.calls).toHaveLength(1);
  });

  it('should retry transient errors and reject with the last one once the budget is spent', async () => {
    const errors = [new ServerError({ status: 503 }), new NetworkError('reset'), new InvalidResponseError('bad json')];
    const source = fakeSource([...errors.map((error) => ({ error })), { error: new ServerError({ status: 502 }) }]);
    const result = track(watchJob(source, 'j1', { maxConsecutiveErrors: 3 }).done);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(source.calls).toHaveLength(4);
    expect(result.error).toMatchObject({ name: 'ServerError', status: 502 });
  });

  it('should count only consecutive errors against the budget', async () => {
    const fail: Step = { error: new NetworkError('reset') };
    const source = fakeSource([fail, fail, running(1), fail, fail, { status: 'succeeded' }]);
    await vi.advanceTimersByTimeAsync(0);
    const done = waitForJob(source, 'j1', { maxConsecutiveErrors: 2 });
    await vi.advanceTimersByTimeAsync(120_000);
    await expect(done).resolves.toMatchObject({ status: 'succeeded' });
  });

  it('should not cause an unhandled rejection when nobody awaits done', async () => {
    vi.useRealTimers();
    const unhandled = vi.fn();
    process.on('unhandledRejection', unhandled);
    try {
      watchJob(fakeSource([{ error: new AuthenticationError({ status: 401 }) }]), 'j1');
      watchJob(fakeSource([{ status: 'failed' }]), 'j2');
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(unhandled).not.toHaveBeenCalled();
    } finally {
      process.off('unhandledRejection', unhandled);
    }
  });
});

describe('watchJob iteration', () => {
  it('should yield only changed snapshots and end after the terminal one', async () => {
    const source = fakeSource([
      { status: 'queued' },
      { status: 'queued' },
      running(1),
      running(1),
      running(5),
      { status: 'succeeded', completed: 10, total: 10 },
    ]);
    const watch = watchJob(source, 'j1');
    const seen: string[] = [];
    const loop = (async () => {
      for await (const s of watch) seen.push(`${s.status}:${s.progress.completed}`);
    })();
    await vi.advanceTimersByTimeAsync(60_000);
    await loop;
    expect(seen).toEqual(['queued:0', 'running:1', 'running:5', 'succeeded:10']);
    expect(source.calls).toHaveLength(6);
  });

  it('should yield a failed snapshot and then end normally', async () => {
    const watch = watchJob(fakeSource([running(1), { status: 'failed' }]), 'j1');
    const seen: string[] = [];
    const loop = (async () => {
      for await (const s of watch) seen.push(s.status);
    })();
    await vi.advanceTimersByTimeAsync(10_000);
    await expect(loop).resolves.toBeUndefined();
    expect(seen).toEqual(['running', 'failed']);
    await expect(watch.done).rejects.toThrow(JobFailedError);
  });

  it('should throw the error done rejects with', async () => {
    const watch = watchJob(fakeSource([running(1), { error: new NotFoundError({ status: 404 }) }]), 'j1');
    const seen: string[] = [];
    const loop = (async () => {
      for await (const s of watch) seen.push(s.status);
    })();
    const result = track(loop);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(seen).toEqual(['running']);
    expect(result.error).toBeInstanceOf(NotFoundError);
  });

  it('should stop polling on break', async () => {
    const source = fakeSource([running(1), running(2), running(3), running(4)]);
    const watch = watchJob(source, 'j1');
    const loop = (async () => {
      for await (const s of watch) if (s.progress.completed === 2) break;
    })();
    await vi.advanceTimersByTimeAsync(5_000);
    await loop;
    const calls = source.calls.length;
    await vi.advanceTimersByTimeAsync(60_000);
    expect(source.calls).toHaveLength(calls);
    await expect(watch.done).rejects.toBeInstanceOf(AbortError);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('watchJob subscribe and getSnapshot', () => {
  it('should call subscribers with changed snapshots until they unsubscribe', async () => {
    const watch = watchJob(
      fakeSource([running(1), running(1), running(2), running(3), { status: 'succeeded' }]),
      'j1',
      backoff,
    );
    expect(watch.getSnapshot()).toBeUndefined();
    const a: number[] = [];
    const b: number[] = [];
    watch.subscribe((s) => a.push(s.progress.completed));
    const unsubscribe = watch.subscribe((s) => b.push(s.progress.completed));
    await vi.advanceTimersByTimeAsync(0);
    expect(watch.getSnapshot()?.progress.completed).toBe(1);
    await vi.advanceTimersByTimeAsync(3500);
    unsubscribe();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(a).toEqual([1, 2, 3, 0]);
    expect(b).toEqual([1, 2]);
    expect(watch.getSnapshot()?.status).toBe('succeeded');
  });
});

describe('watchJob stop', () => {
  it('should reject done with AbortError, clear the timer and abort the request in flight', async () => {
    const source = fakeSource([running(1), { hang: true }]);
    const watch = watchJob(source, 'j1', backoff);
    await vi.advanceTimersByTimeAsync(1000);
    expect(source.calls).toHaveLength(2);
    watch.stop('user left');
    await expect(watch.done).rejects.toMatchObject({ name: 'AbortError', reason: 'user left' });
    expect(source.calls[1]?.signal.aborted).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('should clear the sleep timer when stopped between polls', async () => {
    const source = fakeSource([running(1)]);
    const watch = watchJob(source, 'j1');
    await vi.advanceTimersByTimeAsync(0);
    expect(vi.getTimerCount()).toBe(1);
    watch.stop();
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(source.calls).toHaveLength(1);
  });
});

describe('watchJob cancel', () => {
  it('should cancel at the provider, keep polling and resolve with the final snapshot', async () => {
    const source = fakeSource([running(1)], {
      cancel: { status: 'running', rawStatus: 'cancelling', completed: 1, total: 10 },
      afterCancel: [{ status: 'cancelled' }],
    });
    const statuses: (string | null)[] = [];
    const watch = watchJob(source, 'j1', { ...backoff, onSnapshot: (s) => statuses.push(s.rawStatus) });
    await vi.advanceTimersByTimeAsync(7000);
    const cancelled = track(watch.cancel());
    await vi.advanceTimersByTimeAsync(0);
    expect(source.cancels).toBe(1);
    const before = source.calls.length;
    // Polls again within minIntervalMs instead of waiting out the backoff.
    await vi.advanceTimersByTimeAsync(1000);
    expect(source.calls.length).toBe(before + 1);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(cancelled.value).toMatchObject({ status: 'cancelled' });
    expect(statuses).toEqual(['running', 'cancelling', 'cancelled']);
    await expect(watch.done).rejects.toThrow(JobCancelledError);
  });

  it('should resolve with the final snapshot when the job ends while the cancel request is in flight', async () => {
    const source = fakeSource([running(1), { status: 'cancelled' }], { cancel: { hang: true } });
    const watch = watchJob(source, 'j1');
    await vi.advanceTimersByTimeAsync(0);
    const cancelled = track(watch.cancel());
    await vi.advanceTimersByTimeAsync(2000);
    expect(cancelled.value).toMatchObject({ status: 'cancelled' });
    await expect(watch.done).rejects.toThrow(JobCancelledError);
  });

  it('should reject with CancelNotSupportedError naming provider and kind, and keep polling', async () => {
    const source = fakeSource([running(1), { status: 'succeeded' }], {
      cancel: 'none',
      provider: 'runflow',
      kind: 'batch',
    });
    const watch = watchJob(source, 'j1');
    await expect(watch.cancel()).rejects.toThrow(CancelNotSupportedError);
    await expect(watch.cancel()).rejects.toThrow('runflow batch');
    await vi.advanceTimersByTimeAsync(5000);
    await expect(watch.done).resolves.toMatchObject({ status: 'succeeded' });
  });
});

describe('watchJob callbacks', () => {
  it('should report status changes, progress moves and every poll with its delay', async () => {
    const source = fakeSource([
      { status: 'queued' },
      running(2),
      running(2),
      running(4),
      { status: 'succeeded', completed: 10, total: 10 },
    ]);
    const changes: string[] = [];
    const progress: (number | null)[] = [];
    const polls: Pick<PollEvent, 'attempt' | 'at' | 'delayMs' | 'delaySource' | 'status'>[] = [];
    await vi.advanceTimersByTimeAsync(0);
    const done = waitForJob(source, 'j1', {
      ...backoff,
      onStatusChange: (from, to) => changes.push(`${from}->${to}`),
      onProgress: (p) => progress.push(p.fraction),
      onPoll: ({ attempt, at, delayMs, delaySource, status }) =>
        polls.push({ attempt, at, delayMs, delaySource, status }),
    });
    await vi.advanceTimersByTimeAsync(60_000);
    await done;
    expect(changes).toEqual(['null->queued', 'queued->running', 'running->succeeded']);
    expect(progress).toEqual([null, 0.2, 0.4, 1]);
    expect(polls).toEqual([
      { attempt: 1, at: 0, delayMs: 1000, delaySource: 'backoff', status: 'queued' },
      { attempt: 2, at: 1000, delayMs: 1000, delaySource: 'backoff', status: 'running' },
      // Unchanged: the backoff ceiling doubles.
      { attempt: 3, at: 2000, delayMs: 2000, delaySource: 'backoff', status: 'running' },
      // Changed: the backoff resets.
      { attempt: 4, at: 4000, delayMs: 1000, delaySource: 'backoff', status: 'running' },
      { attempt: 5, at: 5000, delayMs: null, delaySource: null, status: 'succeeded' },
    ]);
  });

  it('should report poll errors with attempt, willRetry and delay', async () => {
    const rateLimited = new RateLimitError({ status: 429, retryAfterMs: 3_600_000 });
    const source = fakeSource([{ error: rateLimited }, { error: new AuthenticationError({ status: 401 }) }]);
    const onPollError = vi.fn();
    const events: PollEvent[] = [];
    const result = track(watchJob(source, 'j1', { onPollError, onPoll: (e) => events.push(e) }).done);
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(onPollError.mock.calls).toEqual([
      [rateLimited, { attempt: 1, willRetry: true, delayMs: 3_600_000 }],
      [expect.any(AuthenticationError), { attempt: 2, willRetry: false, delayMs: null }],
    ]);
    // The 429's Retry-After is honoured even though it is far above maxIntervalMs.
    expect(source.calls.map((c) => c.at)).toEqual([0, 3_600_000]);
    expect(events[0]).toMatchObject({ delaySource: 'server', error: rateLimited });
    expect(result.error).toBeInstanceOf(AuthenticationError);
  });

  it('should report an unknown status once per raw string, never treat it as terminal and poll at the floor at worst', async () => {
    const source = fakeSource([
      { status: 'unknown', rawStatus: 'THINKING' },
      { status: 'unknown', rawStatus: 'THINKING' },
      { status: 'unknown', rawStatus: 'PONDERING' },
      { status: 'unknown', rawStatus: 'THINKING' },
      { status: 'succeeded' },
    ]);
    const onUnknownStatus = vi.fn();
    const sources: (string | null)[] = [];
    const done = waitForJob(source, 'j1', {
      strategy: 'backoff',
      random: () => 0,
      onUnknownStatus,
      onPoll: (e) => sources.push(e.delaySource),
    });
    await vi.advanceTimersByTimeAsync(4000);
    await expect(done).resolves.toMatchObject({ status: 'succeeded' });
    expect(onUnknownStatus.mock.calls.map((c) => c[0])).toEqual(['THINKING', 'PONDERING']);
    expect(sources).toEqual(['floor', 'floor', 'floor', 'floor', null]);
  });
});

describe('watchJob callback errors', () => {
  it('should route every throwing callback to onCallbackError, keep polling, and never throw uncaught', async () => {
    await catchingUncaught(async (uncaught) => {
      const reported: [string, unknown][] = [];
      const bug = (name: string) => () => {
        throw new Error(`${name} bug`);
      };
      const watch = watchJob(
        fakeSource([
          { error: new ServerError({ status: 503 }) },
          { status: 'running', rawStatus: 'HMM' },
          running(2),
          { status: 'succeeded' },
        ]),
        'j1',
        {
          random: () => 0,
          onSnapshot: bug('onSnapshot'),
          onStatusChange: bug('onStatusChange'),
          onProgress: bug('onProgress'),
          onPoll: bug('onPoll'),
          onPollError: bug('onPollError'),
          onUnknownStatus: bug('onUnknownStatus'),
          onCallbackError: (error, callback) => reported.push([callback, (error as Error).message]),
        },
      );
      watch.subscribe(bug('subscribe'));
      await vi.advanceTimersByTimeAsync(10_000);
      await expect(watch.done).resolves.toMatchObject({ status: 'succeeded' });
      expect(uncaught).toEqual([]);
      const names = new Set(reported.map(([name]) => name));
      expect([...names].sort()).toEqual(
        ['onPoll', 'onPollError', 'onProgress', 'onSnapshot', 'onStatusChange', 'subscribe'].sort(),
      );
      for (const [name, message] of reported) expect(message).toBe(`${name} bug`);
    });
  });

  it('should drop a callback error when there is no onCallbackError (or it throws too), and leave other watches alone', async () => {
    await catchingUncaught(async (uncaught) => {
      const healthy: string[] = [];
      const broken = waitForJob(fakeSource([running(1), { status: 'succeeded' }]), 'j1', {
        onSnapshot: () => {
          throw new RangeError('Maximum call stack size exceeded');
        },
        onCallbackError: () => {
          throw new Error('the reporter is broken too');
        },
      });
      const bare = waitForJob(fakeSource([running(1), { status: 'succeeded' }]), 'j2', {
        onProgress: () => {
          throw new Error('no handler');
        },
      });
      const other = waitForJob(fakeSource([running(1), running(5), { status: 'succeeded' }]), 'j3', {
        onSnapshot: (s) => healthy.push(s.status),
      });
      await vi.advanceTimersByTimeAsync(10_000);
      await expect(broken).resolves.toMatchObject({ status: 'succeeded' });
      await expect(bare).resolves.toMatchObject({ status: 'succeeded' });
      await expect(other).resolves.toMatchObject({ status: 'succeeded' });
      expect(healthy).toEqual(['running', 'running', 'succeeded']);
      expect(uncaught).toEqual([]);
    });
  });
});

describe('watchJob progress', () => {
  it('should never report a smaller fraction when the total grows, and not mutate the source snapshot', async () => {
    const fractions: (number | null)[] = [];
    const originals: unknown[] = [];
    const source = fakeSource([
      running(5, 10),
      running(6, 20),
      running(8, 20),
      running(15, 20),
      { status: 'succeeded', completed: 20, total: 20 },
    ]);
    const fetch = source.fetchSnapshot.bind(source);
    source.fetchSnapshot = async (id, context) => {
      const result = await fetch(id, context);
      originals.push(result.snapshot);
      return result;
    };
    const done = waitForJob(source, 'j1', { onSnapshot: (s) => fractions.push(s.progress.fraction) });
    await vi.advanceTimersByTimeAsync(60_000);
    const final = await done;
    // 6/20 and 8/20 are new counts (so new snapshots) but must not move the bar back from 0.5.
    expect(fractions).toEqual([0.5, 0.5, 0.5, 0.75, 1]);
    expect(originals[1]).toMatchObject({ progress: { fraction: 0.3 } });
    expect(originals).not.toContain(final);
  });
});

describe('watchJob request timeout', () => {
  it('should abort a hanging request with RequestTimeoutError and retry', async () => {
    const source = fakeSource([{ hang: true }, { status: 'succeeded' }]);
    const onPollError = vi.fn();
    const done = waitForJob(source, 'j1', { requestTimeoutMs: 500, random: () => 0, onPollError });
    await vi.advanceTimersByTimeAsync(500);
    expect(source.calls[0]?.signal.aborted).toBe(true);
    expect(onPollError.mock.calls[0]?.[0]).toBeInstanceOf(RequestTimeoutError);
    await vi.advanceTimersByTimeAsync(2000);
    await expect(done).resolves.toMatchObject({ status: 'succeeded' });
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('watchJob abort', () => {
  it('should reject with signal.reason as-is, clear the sleep and remove its listener', async () => {
    const source = fakeSource([running(1)]);
    const controller = new AbortController();
    const watch = watchJob(source, 'j1', { signal: controller.signal });
    await vi.advanceTimersByTimeAsync(0);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    const reason = { why: 'navigated away' };
    controller.abort(reason);
    await expect(watch.done).rejects.toBe(reason);
    expect(vi.getTimerCount()).toBe(0);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(source.calls).toHaveLength(1);
  });

  it('should abort the request in flight at once', async () => {
    const source = fakeSource([{ hang: true }]);
    const controller = new AbortController();
    const result = track(watchJob(source, 'j1', { signal: controller.signal }).done);
    controller.abort();
    await flush();
    expect(result.error).toMatchObject({ name: 'AbortError' });
    expect(source.calls[0]?.signal.aborted).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('should send nothing for an already aborted signal', async () => {
    const source = fakeSource([running(1)]);
    const reason = new Error('too late');
    await expect(waitForJob(source, 'j1', { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(source.calls).toHaveLength(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('should remove its abort listener when the job ends', async () => {
    const controller = new AbortController();
    const done = waitForJob(fakeSource([{ status: 'succeeded' }]), 'j1', { signal: controller.signal });
    await done;
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });
});

describe('watchJob validation', () => {
  it.each([
    ['an empty id', ''],
    ['a number id', 42 as unknown as string],
  ])('should reject %s with ValidationError naming id, sending nothing', async (_, id) => {
    const source = fakeSource([running(1)]);
    await expect(waitForJob(source, id)).rejects.toMatchObject({ name: 'ValidationError', field: 'id' });
    expect(source.calls).toHaveLength(0);
  });

  it("should reject with the source's own validateId error, sending nothing", async () => {
    const source = fakeSource([running(1)], {
      validateId: (id) => {
        if (!/^[a-z]+$/.test(id)) throw new ValidationError('schedule_id', 'lower-case letters', { received: id });
      },
    });
    await expect(waitForJob(source, 'BAD-1')).rejects.toMatchObject({ field: 'schedule_id' });
    expect(source.calls).toHaveLength(0);
  });

  it.each([
    ['minIntervalMs', { minIntervalMs: -1 }],
    ['maxIntervalMs', { maxIntervalMs: 2 ** 31 }],
    ['requestTimeoutMs', { requestTimeoutMs: 0 }],
    ['maxConsecutiveErrors', { maxConsecutiveErrors: 1.5 }],
    ['timeoutMs', { timeoutMs: Number.POSITIVE_INFINITY }],
  ])('should reject an invalid %s, sending nothing', async (field, options) => {
    const source = fakeSource([running(1)]);
    await expect(waitForJob(source, 'j1', options)).rejects.toMatchObject({ name: 'ValidationError', field });
    expect(source.calls).toHaveLength(0);
  });
});

describe('watchJob clock', () => {
  it('should use an injected clock for polls and timers', async () => {
    vi.useRealTimers();
    const clock = manualClock(1_000_000);
    const source = fakeSource([running(1), running(2), { status: 'succeeded' }]);
    const result = track(waitForJob(source, 'j1', { clock, ...backoff, requestTimeoutMs: 5000 }));
    await clock.advance(10_000);
    expect(result.value).toMatchObject({ status: 'succeeded' });
    expect(source.calls.map((c) => c.at)).toEqual([1_000_000, 1_001_000, 1_002_000]);
    expect(clock.pending()).toBe(0);
  });
});
