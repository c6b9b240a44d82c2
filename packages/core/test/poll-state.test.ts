// The pure rules a poll loop is made of: the poll-state reducer (`advance`) and the notification
// bookkeeping (`notices`). The loop only dispatches to them; these tests pin the rules themselves.
import { describe, expect, it } from 'vitest';
import { createSnapshot } from '../src/client-kit/index.js';
import { createJobHandle, handleAfterCancel, InvalidHandleError } from '../src/handles.js';
import { AuthenticationError, NetworkError, RateLimitError } from '../src/index.js';
import { followUp, noNotices, noticed, pollSent, woken } from '../src/internal/notices.js';
import { advance, failureVerdict, initialState } from '../src/internal/step.js';
import { resolvePollOptions } from '../src/options.js';
import { fakeSource } from './helpers.js';

const policy = resolvePollOptions({ strategy: 'backoff', random: () => 0.5 });
const running = (completed: number) =>
  createSnapshot({
    provider: 'fake',
    kind: 'job',
    id: 'j1',
    status: completed >= 10 ? 'cancelled' : 'running',
    rawStatus: completed >= 10 ? 'cancelled' : 'running',
    progress: { completed, total: 10 },
    observedAt: 0,
    raw: null,
  });

describe('advance, the poll-state reducer', () => {
  const after = (n: number) => ({ ...initialState(0, undefined), attempt: 3, unchanged: n });

  it('should count a poll, its sameness and its errors', () => {
    const polled = advance(
      after(2),
      { type: 'polled', input: { ok: true, snapshot: running(3), hints: {} } },
      policy,
      100,
      undefined,
    );
    expect(polled.state).toMatchObject({ attempt: 4, unchanged: 0, errors: 0 });
    expect(polled).toMatchObject({ changed: true, done: false });
    const failed = advance(
      polled.state,
      { type: 'polled', input: { ok: false, error: new NetworkError('reset') } },
      policy,
      200,
      polled.snapshot,
    );
    expect(failed.state).toMatchObject({ attempt: 5, unchanged: 1, errors: 1 });
    expect(failed.done).toBe(false);
  });

  it('should restart the backoff after a cancel was sent, and take its answer as seen', () => {
    const plain = advance(after(4), { type: 'cancel-sent' }, policy, 0, undefined);
    expect(plain).toMatchObject({ state: { unchanged: 0, attempt: 3 }, changed: false, done: false, delay: null });
    const answered = advance(after(4), { type: 'cancel-sent', snapshot: running(10) }, policy, 0, undefined);
    expect(answered).toMatchObject({ changed: true, done: true, snapshot: { status: 'cancelled' } });
    expect(answered.state.sig).toBeDefined();
    expect(answered.state.fraction).toBe(1);
  });

  it('should restart the backoff when notified, and change nothing else', () => {
    const prev = after(5);
    const out = advance(prev, { type: 'notified' }, policy, 0, undefined);
    expect(out.state).toEqual({ ...prev, unchanged: 0 });
    expect(out).toMatchObject({ changed: false, done: false, delay: null });
  });
});

describe('failureVerdict, the retry rule of polls and result pages', () => {
  it('should retry transient errors within the budget, with their Retry-After', () => {
    expect(failureVerdict(new RateLimitError({ status: 429, retryAfterMs: 1234 }), 1, 5)).toEqual({
      retry: true,
      retryAfterMs: 1234,
    });
    expect(failureVerdict(new NetworkError('reset'), 5, 5)).toEqual({ retry: true, retryAfterMs: undefined });
    expect(failureVerdict(new NetworkError('reset'), 6, 5).retry).toBe(false);
    expect(failureVerdict(new AuthenticationError({ status: 401 }), 1, 5).retry).toBe(false);
  });
});

describe('notices, the notification bookkeeping', () => {
  it('should follow a poll sent on the schedule by one more when a notification arrived during it', () => {
    const sent = pollSent(noNotices, 1000);
    const during = noticed(sent, { provider: 'p', kind: 'k', id: 'j' });
    const next = followUp(during, { delayMs: 8000, delaySource: 'backoff' }, 1200, 1000);
    expect(next.delay).toEqual({ delayMs: 800, delaySource: 'notify' });
    expect(next.notices.wakeNext).toBe(true);
    // The poll that follows was sent for the notification: it marks itself so, and needs no follow-up.
    const followed = pollSent(next.notices, 2000);
    expect(followed).toMatchObject({ sentForNotice: true, wakeNext: false, countAtSend: 1 });
    expect(
      followUp(
        noticed(followed, { provider: 'p', kind: 'k', id: 'j' }),
        { delayMs: 8000, delaySource: 'backoff' },
        2100,
        1000,
      ).delay,
    ).toBeUndefined();
  });

  it('should never shorten a Retry-After, nor a delay already shorter than the follow-up', () => {
    const during = noticed(pollSent(noNotices, 0), { provider: 'p', kind: 'k', id: 'j' });
    expect(followUp(during, { delayMs: 8000, delaySource: 'server' }, 100, 1000).delay).toBeUndefined();
    expect(followUp(during, { delayMs: 500, delaySource: 'backoff' }, 100, 1000).delay).toBeUndefined();
  });

  it('should remember a terminal status a notification announced', () => {
    const n = noticed(noNotices, { provider: 'p', kind: 'k', id: 'j', status: 'succeeded' });
    expect(n).toMatchObject({ count: 1, expectsEnd: true });
    expect(noticed(noNotices, { provider: 'p', kind: 'k', id: 'j', status: 'running' }).expectsEnd).toBe(false);
  });

  it('should bring a sleeping poll forward to the floor after the last one, once per burst of duplicates', () => {
    const sent = pollSent(noNotices, 1000);
    expect(woken(sent, 1500, 1000, 9000)).toEqual({ notices: { ...sent, wakeNext: true }, at: 2000 });
    expect(woken(sent, 1500, 1000, 1800)).toBeUndefined(); // already due sooner
    const forNotice = pollSent({ ...sent, wakeNext: true }, 2000);
    expect(woken(forNotice, 2500, 1000, 9000)).toBeUndefined(); // that poll saw the event
    expect(woken(forNotice, 3500, 1000, 9000)?.at).toBe(3500);
  });
});

describe('handleAfterCancel', () => {
  it('should restart the backoff of a handle, leaving the rest as it was', () => {
    const handle = { ...createJobHandle(fakeSource([]), 'j1', { timeoutMs: 60_000 }), unchanged: 6, attempt: 9 };
    const after = handleAfterCancel(JSON.stringify(handle));
    expect(after).toEqual({ ...handle, unchanged: 0 });
    expect(() => handleAfterCancel('{"v":2}')).toThrow(InvalidHandleError);
  });
});
