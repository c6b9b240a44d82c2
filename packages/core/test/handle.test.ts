import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  createJobHandle,
  InvalidHandleError,
  keptHandleAfterCancel,
  parseJobHandle,
  pollKeptHandle,
  pollKeptHandleUntilSnapshot,
  pollOnce,
  pollUntilSnapshot,
  resumeJob,
} from '../src/handles.js';
import {
  AuthenticationError,
  JobCancelledError,
  JobFailedError,
  type JobHandle,
  NetworkError,
  type PollEvent,
  PollTimeoutError,
  ValidationError,
  watchJob,
} from '../src/index.js';
import { fakeSource, type Step, track } from './helpers.js';

const almostOne = () => 0.999_999_9;
/** Tests of the engine's mechanics pin the exponential backoff strategy, whose delays they assert. */
const backoff = { strategy: 'backoff', random: almostOne } as const;
const running = (completed: number, total: number | null = 10): Step => ({ status: 'running', completed, total });
const base: JobHandle = {
  v: 1,
  provider: 'fake',
  kind: 'job',
  id: 'j1',
  nextPollAt: 0,
  attempt: 0,
  startedAt: 0,
  deadline: null,
};

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('parseJobHandle', () => {
  it('should accept a handle as JSON text or as a value', () => {
    expect(parseJobHandle(JSON.stringify(base))).toEqual(base);
    const full = { ...base, unchanged: 2, errors: 1, sig: 'x', fraction: 0.5, deadline: 99 };
    expect(parseJobHandle(full)).toEqual(full);
  });

  it('should reject a newer version with a clear message', () => {
    expect(() => parseJobHandle({ ...base, v: 2 })).toThrow(
      new InvalidHandleError(
        'handle version 2 is newer than this @batchwatch/core understands (1); upgrade @batchwatch/core',
      ),
    );
  });

  it.each([
    ['invalid JSON', '{"v":1', 'not valid JSON'],
    ['an array', [], 'must be a JSON object'],
    ['a missing field', { ...base, id: undefined }, 'field "id" is missing'],
    ['an unknown field', { ...base, pollUrl: 'https://x' }, 'unknown field "pollUrl"'],
    ['a wrong type', { ...base, attempt: '3' }, 'field "attempt" has an invalid value (string)'],
    ['a negative attempt', { ...base, attempt: -1 }, 'field "attempt"'],
    ['version 0', { ...base, v: 0 }, 'field "v"'],
    ['a fraction above 1', { ...base, fraction: 2 }, 'field "fraction"'],
  ])('should reject %s with InvalidHandleError', (_, value, message) => {
    expect(() => parseJobHandle(value)).toThrow(InvalidHandleError);
    expect(() => parseJobHandle(value)).toThrow(message);
  });

  it('should reject a handle for another provider or kind', () => {
    expect(() => parseJobHandle(base, { provider: 'runflow', kind: 'job' })).toThrow(
      'job handle is for fake job, but the source is runflow job',
    );
    expect(() => parseJobHandle(base, { provider: 'fake', kind: 'batch' })).toThrow(InvalidHandleError);
  });
});

describe('watch.toHandle and resumeJob', () => {
  it('should describe the polling state as plain JSON', async () => {
    const watch = watchJob(fakeSource([running(3)]), 'j1', { timeoutMs: 60_000, ...backoff });
    await vi.advanceTimersByTimeAsync(1000);
    const handle = watch.toHandle();
    expect(JSON.parse(JSON.stringify(handle))).toEqual(handle);
    expect(handle).toMatchObject({
      v: 1,
      provider: 'fake',
      kind: 'job',
      id: 'j1',
      attempt: 2,
      startedAt: 0,
      deadline: 60_000,
      nextPollAt: 3000,
      unchanged: 1,
      fraction: 0.3,
    });
    watch.stop();
  });

  it('should continue from the handle: first poll at nextPollAt, same deadline, attempts continue', async () => {
    const first = watchJob(fakeSource([running(3)]), 'j1', { timeoutMs: 10_000, ...backoff });
    await vi.advanceTimersByTimeAsync(1000);
    const json = JSON.stringify(first.toHandle());
    first.stop();

    const source = fakeSource([running(3)]);
    const events: PollEvent[] = [];
    const snapshots: unknown[] = [];
    const resumed = resumeJob(source, json, {
      ...backoff,
      timeoutMs: 999_999,
      onPoll: (e) => events.push(e),
      onSnapshot: (s) => snapshots.push(s),
    });
    const result = track(resumed.done);
    expect(source.calls).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(20_000);
    // Backoff continues too (unchanged 1 -> ceilings 4000 then 8000), cut at the deadline.
    expect(source.calls.map((c) => c.at)).toEqual([3000, 7000, 10_000]);
    expect(events.map((e) => e.attempt)).toEqual([3, 4, 5]);
    expect(snapshots).toHaveLength(1);
    expect(result.error).toBeInstanceOf(PollTimeoutError);
    expect(result.error).toMatchObject({ attempts: 5 });
  });

  it('should reject a handle of another source without sending anything', async () => {
    const source = fakeSource([running(1)], { provider: 'runflow' });
    await expect(resumeJob(source, base).done).rejects.toThrow(InvalidHandleError);
    await expect(resumeJob(source, JSON.stringify({ ...base, v: 2 })).done).rejects.toThrow('newer');
    expect(source.calls).toHaveLength(0);
  });
});

describe('pollOnce', () => {
  it('should poll exactly once and return the next handle with the schedule', async () => {
    const source = fakeSource([running(1)]);
    const start = createJobHandle(source, 'j1', { timeoutMs: 60_000 });
    expect(start).toMatchObject({ attempt: 0, nextPollAt: 0, deadline: 60_000 });
    const r1 = await pollOnce(source, start, backoff);
    expect(source.calls).toHaveLength(1);
    expect(r1).toMatchObject({
      done: false,
      delayMs: 1000,
      delaySource: 'backoff',
      snapshot: { status: 'running' },
      handle: { attempt: 1, nextPollAt: 1000 },
    });
    expect(r1.error).toBeUndefined();
  });

  it('should keep backoff, progress and the error budget across calls through the handle', async () => {
    const source = fakeSource([
      running(5, 10),
      running(5, 10),
      running(6, 20),
      { error: new NetworkError('reset') },
      running(6, 20),
    ]);
    let handle = createJobHandle(source, 'j1');
    const delays: (number | null)[] = [];
    const fractions: (number | null | undefined)[] = [];
    for (let i = 0; i < 5; i++) {
      vi.setSystemTime(handle.nextPollAt);
      const r = await pollOnce(source, JSON.stringify(handle), backoff);
      delays.push(r.delayMs);
      fractions.push(r.snapshot?.progress.fraction);
      handle = r.handle;
    }
    expect(delays).toEqual([1000, 2000, 1000, 2000, 4000]);
    expect(fractions).toEqual([0.5, 0.5, 0.5, undefined, 0.5]);
    expect(handle).toMatchObject({ attempt: 5, unchanged: 2, errors: 0 });
  });

  it('should report a transient error with done false, and a fatal one with done true', async () => {
    const transient = await pollOnce(fakeSource([{ error: new NetworkError('reset') }]), base);
    expect(transient).toMatchObject({ done: false, error: expect.any(NetworkError), handle: { errors: 1 } });
    const fatal = await pollOnce(fakeSource([{ error: new AuthenticationError({ status: 401 }) }]), base);
    expect(fatal).toMatchObject({
      done: true,
      error: expect.any(AuthenticationError),
      delayMs: null,
      delaySource: null,
    });
  });

  it('should end with the last error once the error budget is spent', async () => {
    const r = await pollOnce(
      fakeSource([{ error: new NetworkError('reset') }]),
      { ...base, errors: 2 },
      { maxConsecutiveErrors: 2 },
    );
    expect(r).toMatchObject({ done: true, error: expect.any(NetworkError) });
  });

  it('should end with PollTimeoutError once the deadline passed', async () => {
    vi.setSystemTime(5000);
    const r = await pollOnce(fakeSource([running(1)]), { ...base, deadline: 5000, attempt: 4 });
    expect(r.done).toBe(true);
    expect(r.error).toBeInstanceOf(PollTimeoutError);
    expect(r.error).toMatchObject({ attempts: 5, snapshot: { status: 'running' } });
  });

  it('should be done with the terminal snapshot, and JobFailedError for a failed job', async () => {
    await expect(pollOnce(fakeSource([{ status: 'succeeded' }]), base)).resolves.toMatchObject({
      done: true,
      snapshot: { status: 'succeeded' },
    });
    const failed = await pollOnce(fakeSource([{ status: 'failed' }]), base);
    expect(failed).toMatchObject({ done: true, error: expect.any(JobFailedError) });
    const asValue = await pollOnce(fakeSource([{ status: 'failed' }]), base, { resolveOnUnsuccessful: true });
    expect(asValue.error).toBeUndefined();
  });

  it('should reject a handle for another source and an aborted signal, sending nothing', async () => {
    const source = fakeSource([running(1)], { kind: 'batch' });
    await expect(pollOnce(source, base)).rejects.toThrow(InvalidHandleError);
    const reason = new Error('shutdown');
    await expect(pollOnce(fakeSource([running(1)]), base, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(source.calls).toHaveLength(0);
  });

  it('should reject with signal.reason when aborted in flight, leaving no timer', async () => {
    const controller = new AbortController();
    const pending = pollOnce(fakeSource([{ hang: true }]), base, { signal: controller.signal });
    controller.abort('bye');
    await expect(pending).rejects.toBe('bye');
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('an expired handle', () => {
  // Watching started at 0 with a 10 s timeout; the handle is used at 10.4 s.
  const expired: JobHandle = { ...base, nextPollAt: 8000, attempt: 3, deadline: 10_000 };

  it('should make pollOnce report PollTimeoutError without sending a request', async () => {
    vi.setSystemTime(10_400);
    const source = fakeSource([running(3)]);
    const step = await pollOnce(source, expired);
    expect(source.calls).toHaveLength(0);
    expect(step).toMatchObject({ done: true, delayMs: null, delaySource: null });
    expect(step.error).toBeInstanceOf(PollTimeoutError);
    expect(step.error).toMatchObject({ attempts: 3, message: expect.stringContaining('after 10000 ms') });
  });

  it('should still poll at the deadline itself', async () => {
    vi.setSystemTime(10_000);
    const source = fakeSource([running(3)]);
    const step = await pollOnce(source, expired);
    expect(source.calls).toHaveLength(1);
    expect(step.error).toBeInstanceOf(PollTimeoutError);
  });

  it('should make resumeJob reject done with PollTimeoutError without sending a request', async () => {
    vi.setSystemTime(10_400);
    const source = fakeSource([running(3)]);
    const result = track(resumeJob(source, expired).done);
    await vi.advanceTimersByTimeAsync(5000);
    expect(source.calls).toHaveLength(0);
    expect(result.error).toBeInstanceOf(PollTimeoutError);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('pollUntilSnapshot', () => {
  const fast = { minIntervalMs: 1000, initialIntervalMs: 1000, ...backoff };

  it('should wait out transient errors on the schedule and return the first step with a snapshot', async () => {
    const source = fakeSource([{ error: new NetworkError('reset') }, { error: new NetworkError('reset') }, running(3)]);
    const result = track(pollUntilSnapshot(source, base, fast));
    await vi.advanceTimersByTimeAsync(0);
    expect(source.calls.map((c) => c.at)).toEqual([0]);
    await vi.advanceTimersByTimeAsync(5999); // 2 s, then 4 s of backoff (each error counts as unchanged)
    expect(source.calls.map((c) => c.at)).toEqual([0, 2000]);
    expect(result.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(source.calls.map((c) => c.at)).toEqual([0, 2000, 6000]);
    expect(result.value).toMatchObject({
      done: false,
      snapshot: { progress: { completed: 3 } },
      handle: { attempt: 3 },
    });
    expect(result.value?.error).toBeUndefined();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('should return a step that ends polling without a snapshot (fatal error, spent budget)', async () => {
    const fatal = await pollUntilSnapshot(fakeSource([{ error: new AuthenticationError({ status: 401 }) }]), base);
    expect(fatal).toMatchObject({ done: true, error: expect.any(AuthenticationError) });
    const source = fakeSource([{ error: new NetworkError('reset') }]);
    const spent = track(pollUntilSnapshot(source, base, { ...fast, maxConsecutiveErrors: 1 }));
    await vi.advanceTimersByTimeAsync(2000);
    expect(source.calls).toHaveLength(2);
    expect(spent.value).toMatchObject({ done: true, error: expect.any(NetworkError), handle: { errors: 2 } });
  });

  it('should reject with signal.reason when aborted while waiting, leaving no timer', async () => {
    const controller = new AbortController();
    const source = fakeSource([{ error: new NetworkError('reset') }]);
    const pending = track(pollUntilSnapshot(source, base, { ...fast, signal: controller.signal }));
    await vi.advanceTimersByTimeAsync(500);
    expect(vi.getTimerCount()).toBe(1);
    controller.abort('bye');
    await vi.advanceTimersByTimeAsync(0);
    expect(pending.error).toBe('bye');
    expect(vi.getTimerCount()).toBe(0);
    expect(source.calls).toHaveLength(1);
  });
});

describe('pollOnce and pollUntilSnapshot with an id the source rejects', () => {
  it('should end with the ValidationError, sending nothing', async () => {
    const rules = {
      validateId: (id: string) => {
        if (!id.startsWith('j_')) throw new ValidationError('id', "'j_' and more");
      },
    };
    for (const poll of [pollOnce, pollUntilSnapshot]) {
      const source = fakeSource([running(1)], rules);
      const step = await poll(source, base);
      expect(step).toMatchObject({ done: true, handle: base, delayMs: null, delaySource: null });
      expect(step.error).toBeInstanceOf(ValidationError);
      expect(source.calls).toHaveLength(0);
    }
  });
});

describe('kept handles: pollKeptHandle, pollKeptHandleUntilSnapshot, keptHandleAfterCancel', () => {
  const script = (): Step[] => [
    running(2, 10),
    running(2, 10),
    { error: new NetworkError('reset') },
    running(7, 10),
    { status: 'succeeded', completed: 10, total: 10 },
  ];

  it('should step exactly as pollOnce does: the same handles, delays, snapshots and errors', async () => {
    const run = async (poll: typeof pollKeptHandle) => {
      vi.setSystemTime(0);
      const source = fakeSource(script());
      let handle = createJobHandle(source, 'j1', { timeoutMs: 600_000 });
      const steps = [];
      for (let i = 0; i < 5; i++) {
        vi.setSystemTime(handle.nextPollAt);
        const step = await poll(source, handle, { random: almostOne });
        steps.push(step);
        handle = step.handle;
      }
      return { steps, calls: source.calls.map((c) => c.at) };
    };
    const kept = await run(pollKeptHandle);
    expect(kept).toEqual(await run(pollOnce));
    expect(kept.steps.map((s) => s.done)).toEqual([false, false, false, false, true]);
    expect(kept.steps[2]?.error).toBeInstanceOf(NetworkError);
  });

  it('should resolve an unsuccessful end with its snapshot, never JobFailedError or JobCancelledError', async () => {
    for (const status of ['failed', 'cancelled'] as const) {
      const step = await pollKeptHandle(fakeSource([{ status }]), base);
      expect(step).toMatchObject({ done: true, snapshot: { status }, delayMs: null });
      expect(step.error).toBeUndefined();
    }
    // The checked step turns the same ends into errors.
    await expect(pollOnce(fakeSource([{ status: 'cancelled' }]), base)).resolves.toMatchObject({
      error: expect.any(JobCancelledError),
    });
  });

  it('should not read the handle: a field this version does not know is no InvalidHandleError', async () => {
    const unread = { ...base, note: 'from elsewhere' } as JobHandle;
    await expect(pollOnce(fakeSource([running(1)]), unread)).rejects.toThrow(InvalidHandleError);
    await expect(pollKeptHandle(fakeSource([running(1)]), unread)).resolves.toMatchObject({ done: false });
  });

  it('should report an expired kept handle as PollTimeoutError without sending a request', async () => {
    vi.setSystemTime(10_400);
    const source = fakeSource([running(3)]);
    const step = await pollKeptHandle(source, { ...base, attempt: 3, deadline: 10_000 });
    expect(source.calls).toHaveLength(0);
    expect(step).toMatchObject({ done: true, delayMs: null, delaySource: null });
    expect(step.error).toBeInstanceOf(PollTimeoutError);
  });

  it('should wait out transient errors until a snapshot, as pollUntilSnapshot does', async () => {
    const source = fakeSource([{ error: new NetworkError('reset') }, running(3)]);
    const result = track(pollKeptHandleUntilSnapshot(source, base, backoff));
    await vi.advanceTimersByTimeAsync(1999); // 2 s of backoff: the error counts as unchanged
    expect(source.calls.map((c) => c.at)).toEqual([0]);
    await vi.advanceTimersByTimeAsync(1);
    expect(source.calls.map((c) => c.at)).toEqual([0, 2000]);
    expect(result.value).toMatchObject({ done: false, snapshot: { progress: { completed: 3 } } });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('should restart the backoff after a cancel, as handleAfterCancel does', () => {
    const handle: JobHandle = { ...base, unchanged: 6, attempt: 9, sig: 'x' };
    expect(keptHandleAfterCancel(handle)).toEqual({ ...handle, unchanged: 0, errors: 0 });
  });
});
