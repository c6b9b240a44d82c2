// Sharing, identity, visibility, Suspense, several jobs, and prefetch/hydration.
import { type CheckBatch, checkBatch, createCheckClient } from '@batchwatch/check-client';
import { createMockProviders, providerHandlers, script } from '@batchwatch/msw';
import { createRunflowClient, type RunflowBatch, runflowBatch } from '@batchwatch/runflow-client';
import {
  createSupermetricsClient,
  type SupermetricsQueryStatus,
  supermetricsQueryStatus,
} from '@batchwatch/supermetrics-client';
import {
  dehydrate,
  focusManager,
  HydrationBoundary,
  QueryClientProvider,
  useQuery,
  useSuspenseQuery,
} from '@tanstack/react-query';
import { act, cleanup, render, renderHook, screen } from '@testing-library/react';
import { setupServer } from 'msw/node';
import { Component, type ReactNode, Suspense } from 'react';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  AuthenticationError,
  batchQueryOptions,
  type JobSource,
  jobQueryOptions,
  useBatch,
  useJobs,
  useSuspenseBatch,
  useSuspenseQueryStatus,
} from '../src/index.js';
import { advance, newClient, SCHEDULE, settle, wrapper } from './helpers.js';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const mock = createMockProviders({ seed: 5 });
const server = setupServer(...providerHandlers(mock));

beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
beforeEach(() => {
  vi.useFakeTimers({ shouldAdvanceTime: false, now: T0 });
});
afterEach(() => {
  // vitest runs without globals, so Testing Library cannot register its own cleanup: unmount here.
  cleanup();
  focusManager.setFocused(undefined);
  vi.useRealTimers();
  mock.reset();
});
afterAll(() => server.close());

const runflow = () => runflowBatch(createRunflowClient({ apiKey: 'rf_test' }));
const check = () => checkBatch(createCheckClient({ apiKey: 'ck_test' }));
const supermetrics = () => supermetricsQueryStatus(createSupermetricsClient({ apiKey: 'sm_test' }));
const readTimes = (id: string) => mock.requests.filter((r) => r.path.includes(id)).map((r) => r.at - T0);

function Row({ name, source, id }: { name: string; source: JobSource<RunflowBatch>; id: string }) {
  const { status, progress } = useBatch(source, id, SCHEDULE);
  return <p>{`${name}: ${status} ${progress?.fraction}`}</p>;
}

function CheckStatus({ source, id }: { source: JobSource<CheckBatch>; id: string }) {
  const { status, progress, snapshot } = useSuspenseBatch(source, id, SCHEDULE);
  return <p>{`${status} ${progress.completed}/${progress.total} ${snapshot.raw.id}`}</p>;
}

function Rows({ source, id }: { source: JobSource<SupermetricsQueryStatus>; id: string }) {
  const { status, rows } = useSuspenseQueryStatus(source, id, SCHEDULE);
  return <p>{`${status} ${rows?.length}`}</p>;
}

function RunflowStatus({ source, id }: { source: JobSource<RunflowBatch>; id: string }) {
  return <p>{useSuspenseBatch(source, id, SCHEDULE).status}</p>;
}

class Boundary extends Component<{ children: ReactNode }, { error: unknown }> {
  override state = { error: null as unknown };
  static getDerivedStateFromError(error: unknown) {
    return { error };
  }
  override render() {
    const { error } = this.state;
    return error ? <p>{error instanceof AuthenticationError ? 'auth' : 'other'}</p> : this.props.children;
  }
}

// A job that reports the same thing for `polls` reads, then succeeds: core backs off 1, 2, 4, 8 s...
const stuck = (polls: number) => ({
  phases: [{ state: 'running' as const, progress: 0.5, polls }],
  end: 'succeeded' as const,
});

describe('sharing', () => {
  it('should send one request per poll for two components watching the same job', async () => {
    const id = mock.addJob('runflow', 'batch', script.lifecycle({ queuedPolls: 1, progress: [0.2, 0.5, 0.8] }));
    const source = runflow();
    render(
      <QueryClientProvider client={newClient()}>
        <Row name="a" source={source} id={id} />
        <Row name="b" source={source} id={id} />
      </QueryClientProvider>,
    );
    await settle();
    for (let i = 0; i < 3; i++) await advance(1000);
    expect(screen.getByText('a: running 0.8')).toBeTruthy();
    expect(screen.getByText('b: running 0.8')).toBeTruthy();
    await advance(1000);
    expect(screen.getByText('a: succeeded 1')).toBeTruthy();
    expect(readTimes(id)).toEqual([0, 1000, 2000, 3000, 4000]);
  });

  it('should share the poll across a component mounted later without polling ahead of the schedule', async () => {
    const id = mock.addJob('runflow', 'batch', stuck(10));
    const source = runflow();
    const client = newClient();
    const first = renderHook(() => useBatch(source, id, SCHEDULE), { wrapper: wrapper(client) });
    await settle();
    await advance(500);
    const second = renderHook(() => useBatch(source, id, SCHEDULE), { wrapper: wrapper(client) });
    await settle();
    expect(second.result.current.snapshot).toBe(first.result.current.snapshot);
    await advance(5000);
    expect(readTimes(id)).toEqual([0, 1000, 3000]);
  });
});

describe('identity', () => {
  it('should not re-render or change identity when a poll changed nothing', async () => {
    const id = mock.addJob('runflow', 'batch', stuck(5));
    const source = runflow();
    let renders = 0;
    const { result } = renderHook(
      () => {
        renders++;
        return useBatch(source, id, SCHEDULE);
      },
      { wrapper: wrapper(newClient()) },
    );
    await settle();
    const first = result.current;
    const rendersAfterFirst = renders;
    expect(first.status).toBe('running');
    // Four unchanged polls at 1, 3, 7 and 15 s.
    await advance(15_000);
    expect(readTimes(id)).toEqual([0, 1000, 3000, 7000, 15_000]);
    expect(renders).toBe(rendersAfterFirst);
    expect(result.current).toBe(first);
    expect(result.current.snapshot).toBe(first.snapshot);
    // The schedule still moved on: the next poll is 16 s out, not 1 s.
    expect(result.current.nextPollAt).toBe(T0 + 31_000);
    await advance(16_000);
    expect(result.current.status).toBe('succeeded');
    expect(renders).toBe(rendersAfterFirst + 1);
  });

  it('should re-render on every poll only a component that reads nextPollAt', async () => {
    const id = mock.addJob('runflow', 'batch', stuck(5));
    const source = runflow();
    let renders = 0;
    const seen: unknown[] = [];
    renderHook(
      () => {
        renders++;
        const { nextPollAt } = useBatch(source, id, SCHEDULE);
        seen.push(nextPollAt === null ? null : nextPollAt - T0);
      },
      { wrapper: wrapper(newClient()) },
    );
    await settle();
    const before = renders;
    await advance(7000);
    expect(renders).toBeGreaterThan(before);
    expect(seen.at(-1)).toBe(15_000);
    expect(new Set(seen.filter((v) => v !== null))).toEqual(new Set([1000, 3000, 7000, 15_000]));
  });

  it('should run a select on every poll, changed or not (useQuery over jobQueryOptions)', async () => {
    const id = mock.addJob('runflow', 'batch', stuck(10));
    const source = runflow();
    const seen: number[] = [];
    renderHook(
      () => {
        const { data } = useQuery({ ...jobQueryOptions(source, id, SCHEDULE), select: (d) => d.poll.handle.attempt });
        if (data !== undefined && seen.at(-1) !== data) seen.push(data);
      },
      { wrapper: wrapper(newClient()) },
    );
    await settle();
    // Polls at 0, 1, 3, 7, 15 and 31 s: six attempts, all unchanged after the first.
    await advance(31_000);
    expect(readTimes(id)).toEqual([0, 1000, 3000, 7000, 15_000, 31_000]);
    expect(seen).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('should give a new data object per poll that keeps the unchanged snapshot, and never write to cached data', async () => {
    const id = mock.addJob('runflow', 'batch', stuck(10));
    const source = runflow();
    const client = newClient();
    const options = jobQueryOptions(source, id, SCHEDULE);
    renderHook(() => useQuery(options), { wrapper: wrapper(client) });
    await settle();
    const first = client.getQueryData(options.queryKey);
    const frozen = structuredClone({ attempt: first?.poll.handle.attempt, unchanged: first?.poll.handle.unchanged });
    await advance(1000);
    const second = client.getQueryData(options.queryKey);
    expect(second).not.toBe(first);
    expect(second?.snapshot).toBe(first?.snapshot);
    expect(second?.poll.handle.attempt).toBe(2);
    // The first version of the data is as it was: nothing was changed in place.
    expect({ attempt: first?.poll.handle.attempt, unchanged: first?.poll.handle.unchanged }).toEqual(frozen);
    expect(first?.poll).not.toBe(second?.poll);
  });

  it('should keep the same result while re-rendered with a source built inline', async () => {
    const id = mock.addJob('check', 'batch', stuck(5));
    const client = createCheckClient({ apiKey: 'ck_test' });
    const { result, rerender } = renderHook(() => useBatch(checkBatch(client), id, SCHEDULE), {
      wrapper: wrapper(newClient()),
    });
    await settle();
    const first = result.current;
    rerender();
    rerender();
    expect(result.current).toBe(first);
    expect(result.current.cancel).toBe(first.cancel);
  });
});

describe('hidden tab', () => {
  it('should pause while hidden and resume with the backoff intact', async () => {
    const id = mock.addJob('runflow', 'batch', stuck(10));
    const { result } = renderHook(() => useBatch(runflow(), id, SCHEDULE), { wrapper: wrapper(newClient()) });
    await settle();
    await advance(3500);
    expect(readTimes(id)).toEqual([0, 1000, 3000]);
    act(() => focusManager.setFocused(false));
    await advance(60_000 - 3500);
    // The poll due at 7 s waited: nothing was sent while hidden.
    expect(readTimes(id)).toEqual([0, 1000, 3000]);
    act(() => focusManager.setFocused(true));
    await settle();
    // Back: the overdue poll goes out at once...
    expect(readTimes(id)).toEqual([0, 1000, 3000, 60_000]);
    // ...and the backoff carries on from where it was (8 s after the fourth unchanged poll), not from 1 s.
    expect(result.current.nextPollAt).toBe(T0 + 68_000);
    await advance(8000);
    expect(readTimes(id)).toEqual([0, 1000, 3000, 60_000, 68_000]);
  });

  it('should keep polling while hidden with pollInBackground', async () => {
    const id = mock.addJob('runflow', 'batch', stuck(10));
    renderHook(() => useBatch(runflow(), id, { ...SCHEDULE, pollInBackground: true }), {
      wrapper: wrapper(newClient()),
    });
    await settle();
    act(() => focusManager.setFocused(false));
    await advance(7000);
    expect(readTimes(id)).toEqual([0, 1000, 3000, 7000]);
  });

  it('should not poll a Retry-After early when the tab comes back', async () => {
    const id = mock.addJob('runflow', 'batch', {
      ...stuck(10),
      faults: [{ kind: 'rate-limit', retryAfter: 30, at: 1 }],
    });
    renderHook(() => useBatch(runflow(), id, SCHEDULE), { wrapper: wrapper(newClient()) });
    await settle();
    await advance(1000);
    act(() => focusManager.setFocused(false));
    await advance(5000);
    act(() => focusManager.setFocused(true));
    await settle();
    expect(readTimes(id)).toEqual([0, 1000]);
    await advance(25_000);
    expect(readTimes(id)).toEqual([0, 1000, 31_000]);
  });
});

describe('suspense', () => {
  it('should render under <Suspense> once the first snapshot arrived, then follow the job', async () => {
    const id = mock.addJob('check', 'batch', { ...script.lifecycle({ queuedPolls: 1, progress: [0.5] }), total: 4 });
    const source = check();
    render(
      <QueryClientProvider client={newClient()}>
        <Suspense fallback={<p>loading</p>}>
          <CheckStatus source={source} id={id} />
        </Suspense>
      </QueryClientProvider>,
    );
    expect(screen.getByText('loading')).toBeTruthy();
    await settle();
    expect(screen.getByText(`queued 0/4 ${id}`)).toBeTruthy();
    await advance(1000);
    expect(screen.getByText(`running 2/4 ${id}`)).toBeTruthy();
    await advance(1000);
    expect(screen.getByText(`succeeded 4/4 ${id}`)).toBeTruthy();
  });

  it('should give rows from useSuspenseQueryStatus', async () => {
    const id = mock.addJob('supermetrics', 'query', { ...script.lifecycle({ queuedPolls: 0, progress: [] }), rows: 2 });
    const source = supermetrics();
    render(
      <QueryClientProvider client={newClient()}>
        <Suspense fallback={<p>loading</p>}>
          <Rows source={source} id={id} />
        </Suspense>
      </QueryClientProvider>,
    );
    await settle();
    expect(screen.getByText('succeeded 2')).toBeTruthy();
  });

  it('should throw a first-poll 401 to the error boundary', async () => {
    const locked = createMockProviders({ seed: 9, apiKeys: { runflow: 'rf_right' } });
    const id = locked.addJob('runflow', 'batch', script.lifecycle());
    server.use(...providerHandlers(locked));
    const source = runflow();
    const quiet = vi.spyOn(console, 'error').mockImplementation(() => {});
    render(
      <QueryClientProvider client={newClient()}>
        <Boundary>
          <Suspense fallback={<p>loading</p>}>
            <RunflowStatus source={source} id={id} />
          </Suspense>
        </Boundary>
      </QueryClientProvider>,
    );
    await settle();
    quiet.mockRestore();
    server.resetHandlers();
    expect(screen.getByText('auth')).toBeTruthy();
  });
});

describe('useJobs', () => {
  it('should sum progress over jobs of several providers and count statuses', async () => {
    const a = mock.addJob('runflow', 'batch', { ...script.lifecycle({ queuedPolls: 1, progress: [0.5] }), total: 10 });
    const b = mock.addJob('check', 'batch', {
      ...script.lifecycle({ queuedPolls: 2, progress: [0.5], end: 'partially_succeeded' }),
      total: 10,
    });
    const c = mock.addJob('supermetrics', 'query', {
      ...script.lifecycle({ queuedPolls: 1, progress: [], end: 'failed' }),
      total: 4,
    });
    const sources = { runflow: runflow(), check: check(), supermetrics: supermetrics() };
    const { result } = renderHook(
      () =>
        useJobs(
          [
            { source: sources.runflow, id: a },
            { source: sources.check, id: b },
            { source: sources.supermetrics, id: c },
          ],
          SCHEDULE,
        ),
      { wrapper: wrapper(newClient()) },
    );
    expect(result.current).toMatchObject({ isLoading: true, allTerminal: false, counts: { pending: 3 } });
    await settle();
    expect(result.current.counts).toMatchObject({ queued: 3, pending: 0 });
    expect(result.current.progress).toEqual({
      completed: 0,
      failed: 0,
      total: 24,
      fraction: 0,
      jobsEnded: 0,
      jobsFraction: 0,
    });
    const fractions: number[] = [];
    // Sampled every 250 ms: jobs that poll in the same millisecond may be re-armed 1 ms late by each other's renders.
    for (let i = 0; i < 24; i++) {
      fractions.push(result.current.progress.fraction ?? -1);
      await advance(250);
    }
    expect(new Set(fractions).size).toBeGreaterThan(3);
    const { jobs, counts, allTerminal, allSettled, progress } = result.current;
    expect(jobs.map((j) => j.status)).toEqual(['succeeded', 'partially_succeeded', 'failed']);
    expect(counts).toMatchObject({
      succeeded: 1,
      partially_succeeded: 1,
      failed: 1,
      queued: 0,
      running: 0,
      pending: 0,
    });
    expect([allTerminal, allSettled]).toEqual([true, true]);
    expect(progress).toMatchObject({ completed: 24, total: 24, fraction: 1 });
    expect(progress.failed).toBeGreaterThan(0);
    expect([...fractions].sort((x, y) => x - y)).toEqual(fractions);
    // Typed per job from its source.
    expect(jobs[0].snapshot?.raw.items_total).toBe(10);
    expect(jobs[1].snapshot?.raw.totalItems).toBe(10);
  });

  // Issue 18, point 6: an ended job used to count as 1, so the overall bar read 100% next to a job cancelled at 4/10.
  it('should count items done over items total, and jobs ended over jobs, separately', async () => {
    const done = mock.addJob('runflow', 'batch', { ...script.lifecycle({ queuedPolls: 0, progress: [] }), total: 10 });
    const cancelled = mock.addJob('check', 'batch', {
      ...script.lifecycle({ queuedPolls: 0, progress: [0.4], end: 'cancelled' }),
      total: 10,
    });
    const sources = { runflow: runflow(), check: check() };
    const { result } = renderHook(
      () =>
        useJobs(
          [
            { source: sources.runflow, id: done },
            { source: sources.check, id: cancelled },
          ],
          SCHEDULE,
        ),
      { wrapper: wrapper(newClient()) },
    );
    await settle();
    for (let i = 0; i < 8 && !result.current.allTerminal; i++) await advance(1_000);
    expect(result.current.jobs.map((j) => [j.status, j.progress?.completed])).toEqual([
      ['succeeded', 10],
      ['cancelled', 4],
    ]);
    expect(result.current.progress).toEqual({
      completed: 14,
      failed: 0,
      total: 20,
      fraction: 0.7,
      jobsEnded: 2,
      jobsFraction: 1,
    });
  });

  it('should keep the result === while none of the jobs changed', async () => {
    const a = mock.addJob('runflow', 'batch', stuck(5));
    const b = mock.addJob('check', 'batch', stuck(5));
    const [rf, ck] = [runflow(), check()];
    let renders = 0;
    const { result } = renderHook(
      () => {
        renders++;
        return useJobs(
          [
            { source: rf, id: a },
            { source: ck, id: b },
          ],
          SCHEDULE,
        );
      },
      { wrapper: wrapper(newClient()) },
    );
    await settle();
    const first = result.current;
    const count = renders;
    await advance(7000);
    expect(readTimes(a)).toEqual([0, 1000, 3000, 7000]);
    expect(result.current).toBe(first);
    expect(renders).toBe(count);
  });

  it('should report a failing job as settled with its error', async () => {
    const a = mock.addJob('runflow', 'batch', script.lifecycle({ queuedPolls: 0, progress: [] }));
    const source = runflow();
    const { result } = renderHook(
      () =>
        useJobs(
          [
            { source, id: a },
            { source, id: '3c90c3cc-0d44-4b50-8888-8dd25736052a' },
          ],
          SCHEDULE,
        ),
      { wrapper: wrapper(newClient()) },
    );
    await settle();
    expect(result.current).toMatchObject({
      allTerminal: false,
      allSettled: true,
      counts: { succeeded: 1, pending: 1 },
    });
    expect(result.current.error?.name).toBe('NotFoundError');
    expect(result.current.progress.total).toBeNull();
  });
});

describe('prefetch and hydration', () => {
  it('should not poll again on mount after a prefetch, and keep its schedule', async () => {
    const id = mock.addJob('runflow', 'batch', stuck(10));
    const source = runflow();
    const client = newClient();
    await act(() => client.prefetchQuery(batchQueryOptions(source, id, SCHEDULE)));
    expect(readTimes(id)).toEqual([0]);
    await advance(400);
    const { result } = renderHook(() => useBatch(source, id, SCHEDULE), { wrapper: wrapper(client) });
    await settle();
    expect(result.current.status).toBe('running');
    expect(readTimes(id)).toEqual([0]);
    await advance(600);
    expect(readTimes(id)).toEqual([0, 1000]);
  });

  it('should continue the schedule of a dehydrated query on another client', async () => {
    const id = mock.addJob('runflow', 'batch', stuck(10));
    const source = runflow();
    // "Server": poll twice, so the backoff is 2 s.
    const serverClient = newClient();
    const options = batchQueryOptions(source, id, SCHEDULE);
    await act(() => serverClient.prefetchQuery(options));
    await advance(1000);
    await act(() => serverClient.refetchQueries({ queryKey: options.queryKey }));
    const state = JSON.parse(JSON.stringify(dehydrate(serverClient)));
    serverClient.clear();
    // "Browser": hydrate and mount.
    const browserClient = newClient();
    const { result } = renderHook(() => useBatch(source, id, SCHEDULE), {
      wrapper: ({ children }) => (
        <QueryClientProvider client={browserClient}>
          <HydrationBoundary state={state}>{children}</HydrationBoundary>
        </QueryClientProvider>
      ),
    });
    await settle();
    expect(result.current.status).toBe('running');
    expect(result.current.nextPollAt).toBe(T0 + 3000);
    await advance(1999);
    expect(readTimes(id)).toEqual([0, 1000]);
    await advance(1);
    expect(readTimes(id)).toEqual([0, 1000, 3000]);
  });

  it('should work with useSuspenseQuery and ensureQueryData directly', async () => {
    const id = mock.addJob('check', 'batch', script.lifecycle({ queuedPolls: 1 }));
    const source: JobSource<{ id: string }> = check();
    const client = newClient();
    const data = await act(() => client.ensureQueryData(jobQueryOptions(source, id, SCHEDULE)));
    expect(data.snapshot.status).toBe('queued');
    const { result } = renderHook(() => useSuspenseQuery(jobQueryOptions(source, id, SCHEDULE)).data.snapshot.raw.id, {
      wrapper: wrapper(client),
    });
    await settle();
    expect(result.current).toBe(id);
  });
});
