import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createSnapshot } from '../src/client-kit/index.js';
import {
  AbortError,
  type JobNotification,
  type JobSource,
  type PollEvent,
  RateLimitError,
  ValidationError,
  watchJob,
} from '../src/index.js';
import { createJobScheduler } from '../src/scheduler.js';
import { fakeSource, type Step, track } from './helpers.js';

const almostOne = () => 0.999_999_9;
/** Tests of the engine's mechanics pin the exponential backoff strategy, whose delays they assert. */
const backoff = { strategy: 'backoff', random: almostOne } as const;
const running: Step = { status: 'running', completed: 1, total: 10 };
const succeeded: Step = { status: 'succeeded', completed: 10, total: 10 };
/** Polls every 10 s (the floor is 1 s). */
const EVERY_10S = { minIntervalMs: 1000, initialIntervalMs: 10_000, maxIntervalMs: 10_000, ...backoff };
/** Polls every second. */
const EVERY_1S = { minIntervalMs: 1000, initialIntervalMs: 1000, maxIntervalMs: 1000, ...backoff };
const about = (id: string, extra: Partial<JobNotification> = {}): JobNotification => ({
  provider: 'fake',
  kind: 'job',
  id,
  ...extra,
});

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

/** A source whose requests take `latencyMs`, answering `steps` in order (the last one repeats). */
function slowSource(steps: Array<'running' | 'succeeded'>, latencyMs: number) {
  const calls: number[] = [];
  const source: JobSource<null> = {
    provider: 'fake',
    kind: 'job',
    async fetchSnapshot(id, { now }) {
      calls.push(now());
      const status = steps[Math.min(calls.length - 1, steps.length - 1)] ?? 'running';
      await new Promise((resolve) => setTimeout(resolve, latencyMs));
      const snapshot = createSnapshot({
        provider: 'fake',
        kind: 'job',
        id,
        status,
        rawStatus: status,
        progress: { completed: calls.length, total: null },
        observedAt: now(),
        raw: null,
      });
      return { snapshot, hints: {} };
    },
  };
  return { source, calls };
}

describe('watch.notify', () => {
  it('should poll at once and let that poll end the watch', async () => {
    const source = fakeSource([running, running, succeeded]);
    const watch = watchJob(source, 'j1', EVERY_10S);
    const done = track(watch.done);
    await vi.advanceTimersByTimeAsync(13_000);
    expect(source.calls.map((c) => c.at)).toEqual([0, 10_000]);
    expect(watch.notify(about('j1', { status: 'succeeded' }))).toBe(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(source.calls.map((c) => c.at)).toEqual([0, 10_000, 13_000]);
    expect(done.value).toMatchObject({ status: 'succeeded' });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('should not end the watch on a terminal notification the poll does not confirm', async () => {
    const source = fakeSource([running]);
    const events: PollEvent[] = [];
    const watch = watchJob(source, 'j1', { ...EVERY_10S, onPoll: (e) => events.push(e) });
    const done = track(watch.done);
    await vi.advanceTimersByTimeAsync(3000);
    watch.notify(about('j1', { status: 'succeeded' }));
    await vi.advanceTimersByTimeAsync(0);
    expect(source.calls.map((c) => c.at)).toEqual([0, 3000]);
    expect(done.settled).toBe(false);
    expect(events.at(-1)).toMatchObject({ at: 3000, notified: true, delaySource: 'backoff' });
    expect(events[0]?.notified).toBeUndefined();
    watch.stop();
  });

  it('should coalesce duplicate notifications into one poll', async () => {
    const source = fakeSource([running]);
    const watch = watchJob(source, 'j1', EVERY_10S);
    await vi.advanceTimersByTimeAsync(3000);
    for (let i = 0; i < 5; i++) expect(watch.notify(about('j1'))).toBe(true);
    await vi.advanceTimersByTimeAsync(5000);
    expect(source.calls.map((c) => c.at)).toEqual([0, 3000]);
    watch.stop();
  });

  it('should follow a scheduled poll in flight with exactly one more, however many notifications arrive', async () => {
    const { source, calls } = slowSource(['running', 'running', 'running', 'succeeded'], 200);
    const events: PollEvent[] = [];
    const watch = watchJob(source, 'j1', { ...EVERY_10S, onPoll: (e) => events.push(e) });
    const done = track(watch.done);
    // The first poll answers at 200, so the scheduled one is sent at 10_200 and answers at 10_400.
    await vi.advanceTimersByTimeAsync(10_300);
    watch.notify(about('j1'));
    watch.notify(about('j1'));
    await vi.advanceTimersByTimeAsync(1000); // the follow-up waits for the 1 s floor: 11_200
    watch.notify(about('j1')); // during the follow-up, which already saw the event
    await vi.advanceTimersByTimeAsync(2000);
    expect(calls).toEqual([0, 10_200, 11_200]);
    expect(events.map((e) => [e.at, e.delaySource, e.notified ?? false])).toEqual([
      [0, 'backoff', false],
      [10_200, 'notify', false],
      [11_200, 'backoff', true],
    ]);
    await vi.advanceTimersByTimeAsync(20_000);
    expect(done.value).toMatchObject({ status: 'succeeded' });
  });

  it('should not follow a poll sent for a notification with another one for a duplicate', async () => {
    const { source, calls } = slowSource(['running'], 200);
    const watch = watchJob(source, 'j1', EVERY_10S);
    await vi.advanceTimersByTimeAsync(5000);
    watch.notify(about('j1')); // poll at 5000, in flight until 5200
    await vi.advanceTimersByTimeAsync(100);
    watch.notify(about('j1'));
    await vi.advanceTimersByTimeAsync(4000);
    expect(calls).toEqual([0, 5000]);
    watch.stop();
  });

  it('should count a poll sent for a notification less than minIntervalMs ago for later duplicates', async () => {
    const source = fakeSource([running]);
    const watch = watchJob(source, 'j1', EVERY_10S);
    await vi.advanceTimersByTimeAsync(3000);
    watch.notify(about('j1')); // poll at 3000, answered at once
    await vi.advanceTimersByTimeAsync(500);
    watch.notify(about('j1')); // a duplicate delivery 500 ms later: the poll of 3000 saw it
    await vi.advanceTimersByTimeAsync(1000);
    expect(source.calls.map((c) => c.at)).toEqual([0, 3000]);
    watch.notify(about('j1')); // 1500 ms later: a new event, maybe
    await vi.advanceTimersByTimeAsync(0);
    expect(source.calls.map((c) => c.at)).toEqual([0, 3000, 4500]);
    watch.stop();
  });

  it('should not poll sooner than minIntervalMs after the last poll', async () => {
    const source = fakeSource([running]);
    const watch = watchJob(source, 'j1', { ...EVERY_10S, minIntervalMs: 2000 });
    await vi.advanceTimersByTimeAsync(500);
    watch.notify(about('j1'));
    await vi.advanceTimersByTimeAsync(1000);
    expect(source.calls.map((c) => c.at)).toEqual([0]);
    await vi.advanceTimersByTimeAsync(500);
    expect(source.calls.map((c) => c.at)).toEqual([0, 2000]);
    watch.stop();
  });

  it('should honour a Retry-After over a notification', async () => {
    const source = fakeSource([{ ...running, hints: { retryAfterMs: 20_000 } }, running]);
    const watch = watchJob(source, 'j1', EVERY_10S);
    await vi.advanceTimersByTimeAsync(3000);
    expect(watch.notify(about('j1'))).toBe(true);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(source.calls.map((c) => c.at)).toEqual([0]);
    await vi.advanceTimersByTimeAsync(7000);
    expect(source.calls.map((c) => c.at)).toEqual([0, 20_000]);
    watch.stop();
  });

  it('should not bring a poll forward after a 429 without Retry-After', async () => {
    const source = fakeSource([running, { error: new RateLimitError({ provider: 'fake', status: 429 }) }, running]);
    const watch = watchJob(source, 'j1', { ...EVERY_10S, maxConsecutiveErrors: 3 });
    await vi.advanceTimersByTimeAsync(10_000); // the second poll, at 10 s, is rate limited
    expect(source.calls.map((c) => c.at)).toEqual([0, 10_000]);
    expect(watch.notify(about('j1'))).toBe(true);
    await vi.advanceTimersByTimeAsync(9000);
    expect(source.calls.map((c) => c.at)).toEqual([0, 10_000]);
    await vi.advanceTimersByTimeAsync(1000); // the backoff after the 429 (10 s) decides
    expect(source.calls.map((c) => c.at)).toEqual([0, 10_000, 20_000]);
    watch.stop();
  });

  it('should ignore a notification for another job, kind or provider', async () => {
    const source = fakeSource([running]);
    const watch = watchJob(source, 'j1', EVERY_10S);
    await vi.advanceTimersByTimeAsync(3000);
    expect(watch.notify(about('j2'))).toBe(false);
    expect(watch.notify(about('j1', { kind: 'other' }))).toBe(false);
    expect(watch.notify(about('j1', { provider: 'other' }))).toBe(false);
    expect(watch.notify(null as unknown as JobNotification)).toBe(false);
    await vi.advanceTimersByTimeAsync(1000);
    expect(source.calls).toHaveLength(1);
    watch.stop();
  });

  it('should do nothing after stop', async () => {
    const source = fakeSource([running]);
    const watch = watchJob(source, 'j1', EVERY_10S);
    await vi.advanceTimersByTimeAsync(3000);
    watch.stop();
    await expect(watch.done).rejects.toBeInstanceOf(AbortError);
    expect(watch.notify(about('j1'))).toBe(false);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(source.calls).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('should never slow polling without the push option', async () => {
    const source = fakeSource([running]);
    const events: PollEvent[] = [];
    const watch = watchJob(source, 'j1', { ...EVERY_1S, onPoll: (e) => events.push(e) });
    await vi.advanceTimersByTimeAsync(2500);
    watch.notify(about('j1'));
    await vi.advanceTimersByTimeAsync(3000);
    expect(events.map((e) => e.delayMs)).toEqual([1000, 1000, 1000, 1000, 1000, 1000]);
    watch.stop();
  });
});

describe('scheduler.notify', () => {
  it('should return false for a job it does not watch, and send nothing', async () => {
    const source = fakeSource([running]);
    const scheduler = createJobScheduler(EVERY_10S);
    scheduler.watch(source, 'j1');
    await vi.advanceTimersByTimeAsync(3000);
    expect(scheduler.notify(about('unknown'))).toBe(false);
    await vi.advanceTimersByTimeAsync(1000);
    expect(source.calls).toHaveLength(1);
    await scheduler.close();
    expect(scheduler.notify(about('j1'))).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('should poll a job watched twice once, and every loop of the job across sources', async () => {
    const a = fakeSource([running]);
    const b = fakeSource([running]);
    const scheduler = createJobScheduler(EVERY_10S);
    scheduler.watch(a, 'j1');
    scheduler.watch(a, 'j1');
    scheduler.watch(b, 'j1');
    await vi.advanceTimersByTimeAsync(3000);
    expect(scheduler.notify(about('j1'))).toBe(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(a.calls.map((c) => c.at)).toEqual([0, 3000]);
    expect(b.calls.map((c) => c.at)).toEqual([0, 3000]);
    await scheduler.close();
  });

  it('should poll at the safety interval while push is alive, then return to normal when it goes quiet', async () => {
    const a = fakeSource([...Array(6).fill(running), succeeded]);
    const b = fakeSource([running]);
    const scheduler = createJobScheduler({ ...EVERY_1S, push: { safetyIntervalMs: 60_000, quietAfterMs: 120_000 } });
    const events: PollEvent[] = [];
    const first = scheduler.watch(a, 'a');
    scheduler.watch(b, 'b', { onPoll: (e) => events.push(e) });
    await vi.advanceTimersByTimeAsync(5500);
    expect(events.map((e) => e.delaySource)).toEqual(Array(6).fill('backoff'));
    // A's callback: A ends after one poll, and push is now known to work for ('fake', 'job').
    expect(scheduler.notify(about('a', { status: 'succeeded' }))).toBe(true);
    const done = track(first.done);
    await vi.advanceTimersByTimeAsync(200_000);
    expect(done.value).toMatchObject({ status: 'succeeded' });
    expect(a.calls.at(-1)?.at).toBe(6000); // the floor: one second after its poll at 5000
    const after = events.slice(6).map((e) => [e.at, e.delayMs, e.delaySource]);
    expect(after.slice(0, 4)).toEqual([
      [6000, 60_000, 'push'],
      [66_000, 59_500, 'push'], // capped so the next poll lands when push goes quiet (5500 + 120_000)
      [125_500, 1000, 'backoff'],
      [126_500, 1000, 'backoff'],
    ]);
    await scheduler.close();
  });

  it('should keep push alive with notifications for jobs it does not watch', async () => {
    const b = fakeSource([running]);
    const scheduler = createJobScheduler({ ...EVERY_1S, push: true });
    const events: PollEvent[] = [];
    scheduler.watch(b, 'b', { onPoll: (e) => events.push(e) });
    await vi.advanceTimersByTimeAsync(1500);
    expect(scheduler.notify(about('gone', { status: 'succeeded' }))).toBe(false);
    await vi.advanceTimersByTimeAsync(1000);
    expect(events.map((e) => [e.at, e.delayMs, e.delaySource])).toEqual([
      [0, 1000, 'backoff'],
      [1000, 1000, 'backoff'],
      [2000, 300_000, 'push'],
    ]);
    // Another provider's watches are not slowed.
    const other = fakeSource([running], { provider: 'other' });
    const otherEvents: PollEvent[] = [];
    scheduler.watch(other, 'c', { onPoll: (e) => otherEvents.push(e) });
    await vi.advanceTimersByTimeAsync(1500);
    expect(otherEvents.map((e) => e.delaySource)).toEqual(['backoff', 'backoff']);
    await scheduler.close();
  });

  it('should keep a job whose terminal notification is unconfirmed on its normal schedule', async () => {
    const a = fakeSource([running]);
    const scheduler = createJobScheduler({ ...EVERY_1S, push: true });
    const events: PollEvent[] = [];
    scheduler.watch(a, 'a', { onPoll: (e) => events.push(e) });
    await vi.advanceTimersByTimeAsync(1500);
    scheduler.notify(about('a', { status: 'failed' })); // a lagging read replica still says running
    await vi.advanceTimersByTimeAsync(3000);
    expect(events.map((e) => e.delaySource)).not.toContain('push');
    expect(events.map((e) => e.at)).toEqual([0, 1000, 2000, 3000, 4000]);
    await scheduler.close();
  });

  it('should never push a poll past the deadline', async () => {
    const b = fakeSource([running]);
    const scheduler = createJobScheduler({ ...EVERY_1S, push: true });
    scheduler.notify(about('gone'));
    const events: PollEvent[] = [];
    const watch = scheduler.watch(b, 'b', { timeoutMs: 10_000, onPoll: (e) => events.push(e) });
    await vi.advanceTimersByTimeAsync(20_000);
    await expect(watch.done).rejects.toThrow('job not finished after 10000 ms');
    expect(events.map((e) => [e.at, e.delaySource])).toEqual([
      [0, 'deadline'],
      [10_000, null],
    ]);
  });

  it('should reject invalid push options', async () => {
    expect(() => createJobScheduler({ push: { safetyIntervalMs: 0 } })).toThrow(ValidationError);
    expect(() => createJobScheduler({ push: { quietAfterMs: -1 } })).toThrow(ValidationError);
    expect(() => createJobScheduler({ push: 'yes' as unknown as boolean })).toThrow(ValidationError);
    const watch = watchJob(fakeSource([running]), 'j1', { push: { safetyIntervalMs: 2 ** 31 } });
    await expect(watch.done).rejects.toBeInstanceOf(ValidationError);
  });
});
