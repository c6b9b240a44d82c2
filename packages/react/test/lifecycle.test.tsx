// Hooks against the real clients, with @batchwatch/msw playing the providers and fake timers driving time.
import { checkBatch, createCheckClient } from '@batchwatch/check-client';
import { createMockProviders, type JobEnd, providerHandlers, script } from '@batchwatch/msw';
import { createRunflowClient, runflowBatch } from '@batchwatch/runflow-client';
import { createSupermetricsClient, supermetricsQueryStatus } from '@batchwatch/supermetrics-client';
import { cleanup, renderHook } from '@testing-library/react';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  AuthenticationError,
  CancelNotSupportedError,
  NotFoundError,
  RateLimitError,
  ServerError,
  useBatch,
  useJob,
  useQueryStatus,
} from '../src/index.js';
import { advance, newClient, SCHEDULE, settle, wrapper } from './helpers.js';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const mock = createMockProviders({
  seed: 3,
  apiKeys: { runflow: 'rf_test', check: 'ck_test', supermetrics: 'sm_test' },
});
const server = setupServer(...providerHandlers(mock));

beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
beforeEach(() => {
  vi.useFakeTimers({ shouldAdvanceTime: false, now: T0 });
});
afterEach(() => {
  // vitest runs without globals, so Testing Library cannot register its own cleanup: unmount here.
  cleanup();
  vi.useRealTimers();
  mock.reset();
});
afterAll(() => server.close());

// Clients are created per test, after msw listens.
const runflow = () => runflowBatch(createRunflowClient({ apiKey: 'rf_test' }));
const check = () => checkBatch(createCheckClient({ apiKey: 'ck_test' }));
const supermetrics = () => supermetricsQueryStatus(createSupermetricsClient({ apiKey: 'sm_test' }));

/** Status reads of one job, as [ms since T0, HTTP status]. */
const reads = (id: string) =>
  mock.requests.filter((r) => r.path.includes(id) && r.method === 'GET').map((r) => [r.at - T0, r.status]);

describe('estimate', () => {
  it("should expose the running job's predicted end on the default (ETA-aware) schedule, and drop it at the end", async () => {
    // 100 items over 60 s of running, polled on the default schedule.
    const id = mock.addJob('runflow', 'batch', {
      phases: [
        { state: 'queued', ms: 2000 },
        { state: 'running', ms: 60_000, progress: [0, 1] },
      ],
      total: 100,
    });
    const { result } = renderHook(() => useBatch(runflow(), id, { random: () => 0 }), {
      wrapper: wrapper(newClient()),
    });
    await settle();
    expect(result.current.estimate).toBeUndefined();
    const estimates: { at: number; endsAt: number; confidence: string }[] = [];
    for (let t = 0; t < 70_000 && !result.current.isTerminal; t += 500) {
      await advance(500);
      const e = result.current.estimate;
      if (e) estimates.push({ at: Date.now() - T0, endsAt: e.endsAt - T0, confidence: e.confidence });
    }
    expect(result.current.status).toBe('succeeded');
    expect(result.current.estimate).toBeUndefined();
    expect(estimates.length).toBeGreaterThan(0);
    // The last estimate before the end is within 3 s of the real end (62 s).
    expect(Math.abs((estimates.at(-1)?.endsAt ?? 0) - 62_000)).toBeLessThan(3000);
    expect(estimates.at(-1)?.confidence).not.toBe('low');
  });
});

describe('lifecycle', () => {
  it.each([
    ['succeeded', 'succeeded'],
    ['partially_succeeded', 'partially_succeeded'],
    ['failed', 'failed'],
    ['cancelled', 'cancelled'],
  ] as const)('should follow a Runflow batch from queued through running to %s', async (end: JobEnd, status) => {
    const id = mock.addJob('runflow', 'batch', script.lifecycle({ queuedPolls: 2, progress: [0.3, 0.8], end }));
    const { result } = renderHook(() => useBatch(runflow(), id, SCHEDULE), { wrapper: wrapper(newClient()) });
    expect(result.current).toMatchObject({ isLoading: true, status: undefined, snapshot: undefined, error: null });
    const seen: unknown[] = [];
    const record = () => seen.push([Date.now() - T0, result.current.status, result.current.progress?.fraction]);
    await settle();
    record();
    // The second `queued` changed nothing, so core doubles the delay: 1 s, 2 s, then 1 s after each change.
    for (const ms of [1000, 2000, 1000, 1000]) {
      await advance(ms);
      record();
    }
    expect(seen).toEqual([
      [0, 'queued', 0],
      [1000, 'queued', 0],
      [3000, 'running', 0.3],
      [4000, 'running', 0.8],
      // Runflow counts failed and cancelled items as finished, so every end is 100 % through.
      [5000, status, 1],
    ]);
    expect(result.current).toMatchObject({ isTerminal: true, error: null, nextPollAt: null, isLoading: false });
    expect(result.current.snapshot?.raw.status_code).toBeDefined();
    // Polling stopped at the terminal snapshot.
    await advance(120_000);
    expect(reads(id).map(([at]) => at)).toEqual([0, 1000, 3000, 4000, 5000]);
  });

  it.each([
    ['succeeded', 'succeeded', 0],
    ['partially_succeeded', 'partially_succeeded', 2],
    ['failed', 'failed', 10],
    ['cancelled', 'cancelled', 0],
  ] as const)('should follow a Check batch to %s', async (end, status, failed) => {
    const id = mock.addJob('check', 'batch', {
      ...script.lifecycle({ queuedPolls: 1, progress: [0.5], end }),
      total: 10,
    });
    const { result } = renderHook(() => useJob(check(), id, SCHEDULE), { wrapper: wrapper(newClient()) });
    await settle();
    expect(result.current.status).toBe('queued');
    await advance(1000);
    expect(result.current.status).toBe('running');
    expect(result.current.progress).toMatchObject({ completed: 5, total: 10, fraction: 0.5 });
    await advance(1000);
    expect(result.current.status).toBe(status);
    if (status !== 'cancelled') expect(result.current.progress?.failed).toBe(failed);
    await advance(60_000);
    expect(reads(id)).toHaveLength(3);
  });

  it('should give the rows of a Supermetrics query once it succeeded', async () => {
    const id = mock.addJob('supermetrics', 'query', {
      ...script.lifecycle({ queuedPolls: 1, progress: [0.5] }),
      rows: 3,
    });
    const { result } = renderHook(() => useQueryStatus(supermetrics(), id, SCHEDULE), {
      wrapper: wrapper(newClient()),
    });
    await settle();
    expect([result.current.status, result.current.rows]).toEqual(['queued', undefined]);
    await advance(1000);
    expect([result.current.status, result.current.rows]).toEqual(['running', undefined]);
    await advance(1000);
    expect(result.current.status).toBe('succeeded');
    expect(result.current.rows).toHaveLength(3);
    expect(result.current.rows?.[0]).toEqual({
      date: expect.any(String),
      sessions: expect.any(Number),
      users: expect.any(Number),
    });
  });

  it('should never move progress backwards when the total grows', async () => {
    const id = mock.addJob('supermetrics', 'query', {
      ...script.lifecycle({ queuedPolls: 0, progress: [0.5, 0.25, 0.5] }),
      totalGrowth: [4, 8, 8],
    });
    const { result } = renderHook(() => useQueryStatus(supermetrics(), id, SCHEDULE), {
      wrapper: wrapper(newClient()),
    });
    const fractions: unknown[] = [];
    await settle();
    for (let i = 0; i < 4; i++) {
      fractions.push([
        result.current.progress?.completed,
        result.current.progress?.total,
        result.current.progress?.fraction,
      ]);
      await advance(1000);
    }
    expect(fractions).toEqual([
      [2, 4, 0.5],
      [2, 8, 0.5],
      [4, 8, 0.5],
      [8, 8, 1],
    ]);
  });

  it('should not poll without an id, and start when one arrives', async () => {
    const id = mock.addJob('runflow', 'batch', script.lifecycle());
    const source = runflow();
    const { result, rerender } = renderHook(({ batchId }) => useBatch(source, batchId, SCHEDULE), {
      wrapper: wrapper(newClient()),
      initialProps: { batchId: undefined as string | undefined },
    });
    await advance(5000);
    expect(result.current).toMatchObject({ isLoading: false, status: undefined, error: null, nextPollAt: null });
    expect(mock.requests).toHaveLength(0);
    rerender({ batchId: id });
    await settle();
    expect(result.current.status).toBe('queued');
  });
});

describe('schedule', () => {
  it('should not poll again before Retry-After, keep the snapshot, and show the 429 as pollError', async () => {
    const id = mock.addJob('runflow', 'batch', {
      ...script.lifecycle({ queuedPolls: 2, progress: [1] }),
      faults: [{ kind: 'rate-limit', retryAfter: 5, at: 1 }],
    });
    const { result } = renderHook(() => useBatch(runflow(), id, SCHEDULE), { wrapper: wrapper(newClient()) });
    await settle();
    await advance(1000);
    expect(reads(id)).toEqual([
      [0, 200],
      [1000, 429],
    ]);
    expect(result.current.status).toBe('queued');
    expect(result.current.error).toBeNull();
    expect(result.current.pollError).toBeInstanceOf(RateLimitError);
    expect((result.current.pollError as RateLimitError).retryAfterMs).toBe(5000);
    expect(result.current.nextPollAt).toBe(T0 + 6000);
    await advance(4999);
    expect(reads(id)).toHaveLength(2);
    await advance(1);
    expect(reads(id)).toEqual([
      [0, 200],
      [1000, 429],
      [6000, 200],
    ]);
    expect(result.current.pollError).toBeUndefined();
  });

  it('should honour an HTTP-date Retry-After too', async () => {
    const id = mock.addJob('runflow', 'batch', {
      ...script.lifecycle({ queuedPolls: 3, progress: [1] }),
      faults: [{ kind: 'rate-limit', retryAfter: 'date', at: 1 }],
    });
    renderHook(() => useBatch(runflow(), id, SCHEDULE), { wrapper: wrapper(newClient()) });
    await settle();
    await advance(4000);
    const times = reads(id).map(([at]) => at as number);
    expect(times.slice(0, 2)).toEqual([0, 1000]);
    expect(times[2]).toBeGreaterThanOrEqual(3000);
  });

  it('should retry transient errors on the backoff schedule without showing an error', async () => {
    const id = mock.addJob('runflow', 'batch', {
      ...script.lifecycle({ queuedPolls: 1, progress: [1] }),
      faults: [{ kind: 'server-error', at: 1, times: 2 }],
    });
    const { result } = renderHook(() => useBatch(runflow(), id, SCHEDULE), { wrapper: wrapper(newClient()) });
    await settle();
    await advance(1000);
    expect(result.current.pollError).toBeInstanceOf(ServerError);
    expect(result.current.error).toBeNull();
    await advance(10_000);
    // Backoff doubles while polls fail (nothing changed): 1 s, then 2 s, then 4 s.
    expect(reads(id)).toEqual([
      [0, 200],
      [1000, 503],
      [3000, 503],
      [7000, 200],
      [8000, 200],
    ]);
    expect(result.current.status).toBe('succeeded');
  });

  it('should give up with the last error once the error budget is spent', async () => {
    const id = mock.addJob('runflow', 'batch', {
      ...script.lifecycle({ queuedPolls: 5 }),
      faults: [{ kind: 'server-error', at: 1, times: 10 }],
    });
    const { result } = renderHook(() => useBatch(runflow(), id, { ...SCHEDULE, maxConsecutiveErrors: 2 }), {
      wrapper: wrapper(newClient()),
    });
    await settle();
    await advance(60_000);
    expect(result.current.error).toBeInstanceOf(ServerError);
    expect(result.current.status).toBe('queued');
    expect(reads(id).map(([, status]) => status)).toEqual([200, 503, 503, 503]);
  });

  it('should wait out transient errors before the first snapshot on the same schedule', async () => {
    const id = mock.addJob('runflow', 'batch', {
      ...script.lifecycle({ queuedPolls: 1, progress: [1] }),
      faults: [{ kind: 'rate-limit', retryAfter: 3, at: 0 }],
    });
    const { result } = renderHook(() => useBatch(runflow(), id, SCHEDULE), { wrapper: wrapper(newClient()) });
    await settle();
    expect(result.current).toMatchObject({ isLoading: true, status: undefined, error: null });
    await advance(2999);
    expect(reads(id)).toEqual([[0, 429]]);
    await advance(1);
    expect(result.current.status).toBe('queued');
    expect(reads(id)).toEqual([
      [0, 429],
      [3000, 200],
    ]);
  });
});

describe('errors', () => {
  it('should show a 401 as AuthenticationError and stop polling', async () => {
    const id = mock.addJob('runflow', 'batch', script.lifecycle());
    const wrongKey = runflowBatch(createRunflowClient({ apiKey: 'rf_wrong' }));
    const { result } = renderHook(() => useBatch(wrongKey, id, SCHEDULE), { wrapper: wrapper(newClient()) });
    await settle();
    expect(result.current.error).toBeInstanceOf(AuthenticationError);
    expect(result.current).toMatchObject({ isLoading: false, status: undefined, nextPollAt: null });
    expect(String(result.current.error?.message)).not.toContain('rf_wrong');
    await advance(120_000);
    expect(reads(id)).toEqual([[0, 401]]);
  });

  it('should keep the last snapshot when a 401 arrives mid-way, and stop', async () => {
    const id = mock.addJob('runflow', 'batch', {
      ...script.lifecycle({ queuedPolls: 1, progress: [0.5, 0.9] }),
      faults: [{ kind: 'unauthorized', at: 2 }],
    });
    const { result } = renderHook(() => useBatch(runflow(), id, SCHEDULE), { wrapper: wrapper(newClient()) });
    await settle();
    await advance(2000);
    expect(result.current.error).toBeInstanceOf(AuthenticationError);
    expect(result.current.status).toBe('running');
    expect(result.current.progress?.fraction).toBe(0.5);
    await advance(120_000);
    expect(reads(id).map(([, status]) => status)).toEqual([200, 200, 401]);
  });

  it('should show a 404 as NotFoundError', async () => {
    const { result } = renderHook(() => useBatch(runflow(), '3c90c3cc-0d44-4b50-8888-8dd25736052a', SCHEDULE), {
      wrapper: wrapper(newClient()),
    });
    await settle();
    expect(result.current.error).toBeInstanceOf(NotFoundError);
    await advance(60_000);
    expect(mock.requests).toHaveLength(1);
  });

  it('should reject an id the spec forbids before any request', async () => {
    const { result } = renderHook(() => useBatch(runflow(), 'not-a-uuid', SCHEDULE), { wrapper: wrapper(newClient()) });
    await settle();
    expect(result.current.error?.name).toBe('ValidationError');
    expect(mock.requests).toHaveLength(0);
  });
});

describe('unmount', () => {
  it('should send no request after unmount', async () => {
    const id = mock.addJob('runflow', 'batch', script.lifecycle({ queuedPolls: 20 }));
    const { unmount } = renderHook(() => useBatch(runflow(), id, SCHEDULE), { wrapper: wrapper(newClient()) });
    await settle();
    await advance(3000);
    const before = reads(id).length;
    unmount();
    await advance(120_000);
    expect(reads(id)).toHaveLength(before);
  });

  it('should abort the request in flight on unmount and send none after', async () => {
    const id = mock.addJob('runflow', 'batch', {
      ...script.lifecycle({ queuedPolls: 20 }),
      faults: [{ kind: 'slow', delayMs: 5000, at: 1 }],
    });
    const client = newClient();
    const { unmount } = renderHook(() => useBatch(runflow(), id, SCHEDULE), { wrapper: wrapper(client) });
    await settle();
    await advance(1500); // the second read is in flight until 6000
    unmount();
    await advance(120_000);
    // The mock logs a read when it ends: the slow one ended at 1500, when unmount aborted it. Nothing after.
    expect(reads(id).map(([at]) => at)).toEqual([0, 1500]);
    expect(client.getQueryCache().find({ queryKey: ['batchwatch', 'runflow', 'batch', id] })?.state.fetchStatus).toBe(
      'idle',
    );
  });
});

describe('cancel', () => {
  it('should cancel a Check batch at the provider and poll its end at once', async () => {
    const id = mock.addJob('check', 'batch', script.lifecycle({ queuedPolls: 1, progress: [0.2, 0.3, 0.4, 0.5, 0.6] }));
    const { result } = renderHook(() => useBatch(check(), id, SCHEDULE), { wrapper: wrapper(newClient()) });
    await settle();
    await advance(1000);
    expect(result.current).toMatchObject({ status: 'running', canCancel: true });
    let final: unknown;
    await advance(0);
    const cancelled = result.current.cancel().then((s) => {
      final = s;
    });
    await settle();
    await cancelled;
    expect(mock.requests.some((r) => r.method === 'POST' && r.path === `/v1/batch/${id}/cancel`)).toBe(true);
    expect(result.current.status).toBe('cancelled');
    expect(final).toBe(result.current.snapshot);
    await advance(60_000);
    expect(reads(id).at(-1)?.[0]).toBe(1000);
  });

  it('should reject with CancelNotSupportedError where the source has no cancel', async () => {
    const id = mock.addJob('runflow', 'batch', script.lifecycle());
    const { result } = renderHook(() => useBatch(runflow(), id, SCHEDULE), { wrapper: wrapper(newClient()) });
    await settle();
    expect(result.current.canCancel).toBe(false);
    await expect(result.current.cancel()).rejects.toBeInstanceOf(CancelNotSupportedError);
  });

  it('should reject with ValidationError naming the id while there is no job yet, sending nothing', async () => {
    const { result } = renderHook(() => useBatch(check(), null, SCHEDULE), { wrapper: wrapper(newClient()) });
    await settle();
    await expect(result.current.cancel()).rejects.toMatchObject({
      name: 'ValidationError',
      field: 'id',
      message: 'invalid id: expected a non-empty string (got null)',
    });
    expect(mock.requests).toHaveLength(0);
  });
});
