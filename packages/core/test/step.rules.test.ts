// The poll-state reducer's rules one by one: what counts as a change, what a snapshot keeps, when
// polling gives up and with which error, where a job's age counts from, and how one request is
// bounded (fetchOnce). The loop and the hosts only dispatch to these.
import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { createSnapshot } from '../src/client-kit/index.js';
import {
  AbortError,
  AuthenticationError,
  type JobSnapshot,
  type JobStatus,
  NetworkError,
  PollTimeoutError,
  RateLimitError,
  RequestTimeoutError,
} from '../src/index.js';
import { advance, failureVerdict, fetchOnce, initialState, type PollState, pollSource } from '../src/internal/step.js';
import { resolvePollOptions } from '../src/options.js';
import { manualClock } from './helpers.js';

const policy = () => resolvePollOptions({ strategy: 'backoff', random: () => 0.5, maxConsecutiveErrors: 2 });

interface Shape {
  status?: JobStatus;
  rawStatus?: string | null;
  completed?: number;
  failed?: number;
  total?: number | null;
  failure?: { code?: string; message: string };
  timestamps?: { createdAt?: string; startedAt?: string; finishedAt?: string };
  observedAt?: number;
}

const snapshot = (shape: Shape = {}): JobSnapshot<null> =>
  createSnapshot({
    provider: 'fake',
    kind: 'job',
    id: 'j1',
    status: shape.status ?? 'running',
    rawStatus: shape.rawStatus === undefined ? (shape.status ?? 'running') : shape.rawStatus,
    progress: { completed: shape.completed ?? 1, failed: shape.failed ?? 0, total: shape.total ?? 10 },
    ...(shape.failure && { failure: shape.failure }),
    ...(shape.timestamps && { timestamps: shape.timestamps }),
    observedAt: shape.observedAt ?? 0,
    raw: null,
  });

const ok = (s: JobSnapshot<null>, hints = {}) => ({
  type: 'polled' as const,
  input: { ok: true as const, snapshot: s, hints },
});
const failed = (error: unknown) => ({ type: 'polled' as const, input: { ok: false as const, error } });

/** The state after one poll that saw `first`, then the outcome of a poll that sees `second`. */
function twoPolls(first: Shape, second: Shape) {
  const one = advance(initialState(0, undefined), ok(snapshot(first)), policy(), 1000, undefined);
  return advance(one.state, ok(snapshot(second)), policy(), 2000, one.snapshot);
}

describe('advance: what counts as a change', () => {
  it.each<[string, Shape]>([
    ['the status', { status: 'queued', rawStatus: 'running' }],
    ['the raw status alone', { rawStatus: 'RUNNING_STEP_2' }],
    ['the completed count', { completed: 2 }],
    ['the failed count', { failed: 1 }],
    ['the total', { total: 20 }],
    ['the failure code alone', { failure: { code: 'E2', message: 'm' } }],
    ['the failure message alone', { failure: { code: 'E1', message: 'other' } }],
  ])('should count a change of %s as a change, and restart the backoff', (_, second) => {
    const base = { failure: { code: 'E1', message: 'm' } };
    const out = twoPolls(base, { ...base, ...second });
    expect(out.changed).toBe(true);
    expect(out.state.unchanged).toBe(0);
  });

  it('should not count a new observation time or raw body as a change', () => {
    const out = twoPolls({ observedAt: 1 }, { observedAt: 2 });
    expect(out.changed).toBe(false);
    expect(out.state.unchanged).toBe(1);
  });

  it('should not count a growing total that leaves the reported fraction where it was as a change of fraction', () => {
    // 5/10 then 5/20: the fraction stays at 0.5 (never backwards), the total is what changed.
    const out = twoPolls({ completed: 5, total: 10 }, { completed: 5, total: 20 });
    expect(out.snapshot?.progress).toEqual({ completed: 5, failed: 0, total: 20, fraction: 0.5 });
    expect(out.state.fraction).toBe(0.5);
  });
});

describe('advance: what a snapshot keeps', () => {
  it("should keep the provider's timestamps, as a copy", () => {
    const timestamps = { createdAt: '2026-01-01T00:00:00Z', startedAt: '2026-01-01T00:00:05Z' };
    const source = snapshot({ timestamps, status: 'succeeded', completed: 10 });
    const out = advance(initialState(0, undefined), ok(source), policy(), 1000, undefined);
    expect(out.snapshot?.timestamps).toEqual(timestamps);
    expect(out.snapshot?.timestamps).not.toBe(source.timestamps);
    const ended = snapshot({ timestamps: { finishedAt: '2026-01-01T00:01:00Z' }, status: 'failed' });
    expect(advance(out.state, ok(ended), policy(), 2000, out.snapshot).snapshot?.timestamps).toEqual({
      finishedAt: '2026-01-01T00:01:00Z',
    });
  });

  it('should never hand back the source object, nor change it', () => {
    const source = snapshot({ completed: 3 });
    const before = structuredClone(source);
    const out = advance(initialState(0, undefined), ok(source), policy(), 1000, undefined);
    expect(out.snapshot).not.toBe(source);
    expect(out.snapshot?.progress).not.toBe(source.progress);
    expect(source).toEqual(before);
  });

  it('should end on a terminal snapshot without a delay, even past the deadline', () => {
    const state = initialState(0, 500);
    const out = advance(state, ok(snapshot({ status: 'succeeded', completed: 10 })), policy(), 1000, undefined);
    expect(out).toMatchObject({ done: true, delay: null, changed: true });
    expect(out.error).toBeUndefined();
  });
});

describe('advance: giving up', () => {
  it('should give up at the deadline with a PollTimeoutError measured from where the watch started', () => {
    const start = 1_700_000_000_000;
    const state: PollState = { ...initialState(start, 5000), attempt: 2 };
    const last = snapshot();
    const out = advance(state, ok(last), policy(), start + 5000, undefined);
    expect(out.done).toBe(true);
    expect(out.delay).toBeNull();
    expect(out.error).toBeInstanceOf(PollTimeoutError);
    const error = out.error as PollTimeoutError<null>;
    expect(error.message).toBe('job not finished after 5000 ms and 3 polls; last status running');
    expect(error.attempts).toBe(3);
    expect(error.snapshot).toEqual(out.snapshot);
    expect(Object.hasOwn(error, 'cause')).toBe(false);
  });

  it('should not give up a moment before the deadline', () => {
    const out = advance(initialState(0, 5000), ok(snapshot()), policy(), 4999, undefined);
    expect(out.done).toBe(false);
    expect(out.delay).toEqual({ delayMs: 1, delaySource: 'deadline' });
    expect(out.state.nextPollAt).toBe(5000);
  });

  it('should carry the failed poll as the cause of a timeout after it, with the last snapshot seen', () => {
    const error = new NetworkError('reset');
    const last = snapshot({ completed: 4 });
    const out = advance(initialState(100, 1000), failed(error), policy(), 1100, last);
    expect(out).toMatchObject({ done: true, pollError: error, delay: null });
    expect(out.error).toBeInstanceOf(PollTimeoutError);
    expect((out.error as PollTimeoutError).cause).toBe(error);
    expect((out.error as PollTimeoutError).snapshot).toBe(last);
    expect((out.error as Error).message).toBe('job not finished after 1000 ms and 1 polls; last status running');
  });

  it('should end at once on a fatal error, with that error, whatever the budget', () => {
    const error = new AuthenticationError({ status: 401 });
    const out = advance(initialState(0, undefined), failed(error), policy(), 10, undefined);
    expect(out).toEqual({
      state: expect.objectContaining({ attempt: 1, errors: 1 }),
      changed: false,
      pollError: error,
      done: true,
      error,
      delay: null,
    });
  });

  it('should retry transient errors up to maxConsecutiveErrors in a row, then give up with the last one', () => {
    let state = initialState(0, undefined);
    const errors = [new NetworkError('a'), new NetworkError('b'), new NetworkError('c')];
    const outcomes = errors.map((error, i) => {
      const out = advance(state, failed(error), policy(), i * 10_000, undefined);
      state = out.state;
      return out;
    });
    expect(outcomes.map((o) => o.done)).toEqual([false, false, true]);
    expect(outcomes.map((o) => o.state.errors)).toEqual([1, 2, 3]);
    expect(outcomes[2]?.error).toBe(errors[2]);
    expect(outcomes[0]?.pollError).toBe(errors[0]);
    expect(outcomes[0]?.snapshot).toBeUndefined();
    // A poll that answers clears the count.
    const answered = advance(state, ok(snapshot()), policy(), 40_000, undefined);
    expect(answered.state.errors).toBe(0);
  });

  it("should wait out a 429's Retry-After before the retry", () => {
    const out = advance(
      initialState(0, undefined),
      failed(new RateLimitError({ status: 429, retryAfterMs: 7000 })),
      policy(),
      0,
      undefined,
    );
    expect(out.delay).toEqual({ delayMs: 7000, delaySource: 'server' });
    expect(out.state.nextPollAt).toBe(7000);
  });

  it("should wait out a successful poll's Retry-After too", () => {
    const out = advance(initialState(0, undefined), ok(snapshot(), { retryAfterMs: 4500 }), policy(), 100, undefined);
    expect(out.delay).toEqual({ delayMs: 4500, delaySource: 'server' });
    expect(out.state.nextPollAt).toBe(4600);
  });
});

describe('failureVerdict', () => {
  it('should allow exactly maxConsecutiveErrors failures in a row', () => {
    expect(failureVerdict(new NetworkError('x'), 2, 2).retry).toBe(true);
    expect(failureVerdict(new NetworkError('x'), 3, 2).retry).toBe(false);
    expect(failureVerdict(new NetworkError('x'), 1, 0).retry).toBe(false);
  });

  it('should carry no Retry-After for errors that are not HTTP errors', () => {
    expect(failureVerdict(new NetworkError('x'), 1, 5)).toEqual({ retry: true, retryAfterMs: undefined });
    expect(failureVerdict(new Error('x'), 1, 5)).toEqual({ retry: false, retryAfterMs: undefined });
  });
});

describe("advance: the job's age", () => {
  const at = (createdAt: string | undefined, now: number, origin = now) =>
    advance(
      { ...initialState(origin, undefined) },
      ok(snapshot({ ...(createdAt && { timestamps: { createdAt } }) })),
      resolvePollOptions({}),
      now,
      undefined,
    ).state.origin;

  it("should count from the provider's creation time when it is more than a second before the first look", () => {
    const now = Date.parse('2026-01-01T00:10:00Z');
    expect(at('2026-01-01T00:00:00Z', now)).toBe(Date.parse('2026-01-01T00:00:00Z'));
    expect(at('2026-01-01T00:09:58.999Z', now)).toBe(now - 1001);
  });

  it('should ignore a creation time within a second, in the future or unreadable', () => {
    const now = Date.parse('2026-01-01T00:10:00Z');
    expect(at('2026-01-01T00:09:59Z', now)).toBe(now);
    expect(at('2026-01-01T00:09:59.500Z', now)).toBe(now);
    expect(at('2026-01-01T00:20:00Z', now, now + 3_600_000)).toBe(now + 3_600_000);
    expect(at('yesterday', now)).toBe(now);
    expect(at(undefined, now)).toBe(now);
  });

  it('should take the start time when there is no creation time', () => {
    const now = Date.parse('2026-01-01T00:10:00Z');
    const out = advance(
      initialState(now, undefined),
      ok(snapshot({ timestamps: { startedAt: '2026-01-01T00:05:00Z' } })),
      resolvePollOptions({}),
      now,
      undefined,
    );
    expect(out.state.origin).toBe(Date.parse('2026-01-01T00:05:00Z'));
  });

  it('should space polls by the age it counts from: a tenth of it', () => {
    const now = Date.parse('2026-01-01T00:10:00Z');
    const out = advance(
      initialState(now, undefined),
      ok(snapshot({ timestamps: { createdAt: '2026-01-01T00:09:00Z' } })),
      resolvePollOptions({ random: () => 0 }),
      now,
      undefined,
    );
    expect(out.delay).toEqual({ delayMs: 6000, delaySource: 'age' });
  });
});

describe('advance: cancel-sent', () => {
  it('should take the answer as seen: a later identical poll is no change', () => {
    const cancelling = snapshot({ status: 'running', rawStatus: 'cancelling', completed: 4 });
    const sent = advance(
      { ...initialState(0, undefined), unchanged: 3, sig: 'old', fraction: 0.2 },
      { type: 'cancel-sent', snapshot: cancelling },
      policy(),
      0,
      undefined,
    );
    expect(sent).toMatchObject({ changed: true, done: false, delay: null, state: { unchanged: 0, fraction: 0.4 } });
    expect(sent.snapshot?.progress.fraction).toBe(0.4);
    const again = advance(sent.state, ok(cancelling), policy(), 1000, sent.snapshot);
    expect(again.changed).toBe(false);
  });
});

describe('fetchOnce: one request, bounded', () => {
  it('should leave no listener on the parent signal, and no timer, whichever way it settles', async () => {
    const clock = manualClock();
    const parent = new AbortController();
    await fetchOnce(async () => 'answer', parent.signal, clock, 1000);
    await expect(fetchOnce(async () => Promise.reject(new Error('no')), parent.signal, clock, 1000)).rejects.toThrow(
      'no',
    );
    const hung = fetchOnce(() => new Promise(() => {}), parent.signal, clock, 1000);
    await clock.advance(1000);
    await expect(hung).rejects.toBeInstanceOf(RequestTimeoutError);
    expect(getEventListeners(parent.signal, 'abort')).toHaveLength(0);
    expect(clock.pending()).toBe(0);
  });

  it('should remove its own abort listener from the signal it hands the call', async () => {
    const clock = manualClock();
    let given: AbortSignal | undefined;
    await fetchOnce(
      async ({ signal }) => {
        given = signal;
      },
      new AbortController().signal,
      clock,
      1000,
    );
    expect(given && getEventListeners(given, 'abort')).toHaveLength(0);
  });

  it("should reject with the parent's reason at once, even when the call ignores its signal", async () => {
    const clock = manualClock();
    const parent = new AbortController();
    const pending = fetchOnce(() => new Promise(() => {}), parent.signal, clock, 1000);
    const reason = new AbortError('stop');
    parent.abort(reason);
    await expect(pending).rejects.toBe(reason);
    expect(clock.pending()).toBe(0);
  });

  it('should not call the source at all for an aborted parent', async () => {
    const parent = new AbortController();
    parent.abort(new AbortError('gone'));
    let called = false;
    await expect(
      fetchOnce(
        async () => {
          called = true;
        },
        parent.signal,
        manualClock(),
        1000,
      ),
    ).rejects.toThrow('gone');
    expect(called).toBe(false);
  });

  it('should time out after exactly timeoutMs, with the timeout in the error', async () => {
    const clock = manualClock();
    const pending = fetchOnce(() => new Promise(() => {}), new AbortController().signal, clock, 2500);
    let settled = false;
    pending.catch(() => {
      settled = true;
    });
    await clock.advance(2499);
    expect(settled).toBe(false);
    await clock.advance(1);
    await expect(pending).rejects.toMatchObject({ name: 'RequestTimeoutError', timeoutMs: 2500 });
  });

  it('should pass the clock to the call and turn a synchronous throw into a rejection', async () => {
    const clock = manualClock(42);
    expect(await fetchOnce(async ({ now }) => now(), new AbortController().signal, clock, 1000)).toBe(42);
    await expect(
      fetchOnce(
        () => {
          throw new Error('sync');
        },
        new AbortController().signal,
        clock,
        1000,
      ),
    ).rejects.toThrow('sync');
  });
});

describe('pollSource', () => {
  const source = (answer: unknown) => ({
    provider: 'acme',
    kind: 'export',
    fetchSnapshot: async () => answer as never,
  });

  it('should turn an answer without a snapshot into a failed poll naming the source', async () => {
    for (const answer of [undefined, null, {}, { snapshot: null }, { snapshot: 'x' }]) {
      const input = await pollSource(source(answer), 'j1', new AbortController().signal, manualClock(), 1000);
      expect(input.ok).toBe(false);
      expect(!input.ok && (input.error as Error).message).toBe(
        'acme export source: fetchSnapshot must resolve with { snapshot, hints }',
      );
    }
  });

  it('should give empty hints when the source sends none', async () => {
    const s = snapshot();
    const input = await pollSource(source({ snapshot: s }), 'j1', new AbortController().signal, manualClock(), 1000);
    expect(input).toEqual({ ok: true, snapshot: s, hints: {} });
  });
});
