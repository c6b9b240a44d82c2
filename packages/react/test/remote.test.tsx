// The browser half against the server half: hooks over remoteSource('/api/batchwatch'), answered by
// createJobStatusHandler (mounted in msw as a Next.js route would be), which polls the providers with
// the server's keys through the real clients, answered by @batchwatch/msw.
import { checkBatch, createCheckClient } from '@batchwatch/check-client';
import { createJobStatusHandler } from '@batchwatch/core/http';
import { createMockProviders, providerHandlers, script } from '@batchwatch/msw';
import { createRunflowClient, type RunflowBatch, runflowBatch } from '@batchwatch/runflow-client';
import {
  createSupermetricsClient,
  type SupermetricsQueryStatus,
  supermetricsQueryStatus,
} from '@batchwatch/supermetrics-client';
import { cleanup, renderHook } from '@testing-library/react';
import { http } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  CancelNotSupportedError,
  PermissionDeniedError,
  RateLimitError,
  remoteSource,
  useBatch,
  useJobs,
  useQueryStatus,
} from '../src/index.js';
import { advance, newClient, SCHEDULE, settle, wrapper } from './helpers.js';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const KEYS = { runflow: 'rf_server_SECRET_1', check: 'ck_server_SECRET_2', supermetrics: 'sm_server_SECRET_3' };
const mock = createMockProviders({ seed: 11, apiKeys: KEYS });

let denied = new Set<string>();
const jobHandler = createJobStatusHandler({
  sources: {
    runflow: { batch: runflowBatch(createRunflowClient({ apiKey: KEYS.runflow })) },
    check: { batch: checkBatch(createCheckClient({ apiKey: KEYS.check })) },
    supermetrics: { query: supermetricsQueryStatus(createSupermetricsClient({ apiKey: KEYS.supermetrics })) },
  },
  // The page's own session decides; here a header stands in for a cookie.
  authorize: (request, ref) => request.headers.get('x-user') === 'ann' && !denied.has(ref.id),
  basePath: '/api/batchwatch',
  includeRaw: (ref) => ref.provider === 'supermetrics' && ref.kind === 'query',
  // Job ids repeat across tests (mock.reset) and every test starts at T0: keep no snapshot between reads.
  cacheMs: 0,
});

// What the page received from its own server, to check that no key ever reaches it.
const pageResponses: string[] = [];
const server = setupServer(
  http.all('http://localhost:3000/api/batchwatch/*', async ({ request }) => {
    const response = await jobHandler(request);
    pageResponses.push(`${response.status} ${JSON.stringify([...response.headers])} ${await response.clone().text()}`);
    return response;
  }),
  ...providerHandlers(mock),
);

beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
beforeEach(() => {
  vi.useFakeTimers({ shouldAdvanceTime: false, now: T0 });
  pageBaseline = pageResponses.length;
});
afterEach(() => {
  cleanup();
  vi.useRealTimers();
  mock.reset();
  denied = new Set();
});
afterAll(() => {
  server.close();
  expect(pageResponses.length).toBeGreaterThan(10);
  for (const text of pageResponses) for (const key of Object.values(KEYS)) expect(text).not.toContain(key);
});

const api = remoteSource('/api/batchwatch', { headers: { 'x-user': 'ann' } });
let pageBaseline = 0;
/** Page requests the server answered in this test. */
const pageReads = () => pageResponses.length - pageBaseline;

describe('hooks over remoteSource', () => {
  it('should follow a Runflow batch through the server with no key in the page', async () => {
    const id = mock.addJob('runflow', 'batch', script.lifecycle({ queuedPolls: 1, progress: [0.5] }));
    const source = remoteSource('/api/batchwatch', {
      provider: 'runflow',
      kind: 'batch',
      headers: { 'x-user': 'ann' },
    });
    const { result } = renderHook(() => useBatch(source, id, SCHEDULE), { wrapper: wrapper(newClient()) });
    await settle();
    expect(result.current.status).toBe('queued');
    await advance(1000);
    expect(result.current).toMatchObject({ status: 'running', progress: { completed: 5, total: 10, fraction: 0.5 } });
    await advance(1000);
    expect(result.current.status).toBe('succeeded');
    // raw stays on the server by default.
    expect(result.current.snapshot?.raw).toBeUndefined();
    await advance(60_000);
    expect(pageReads()).toBe(3);
    // Each page request was one provider request, made with the server's key.
    expect(mock.requests.map((r) => [r.provider, r.at - T0, r.status])).toEqual([
      ['runflow', 0, 200],
      ['runflow', 1000, 200],
      ['runflow', 2000, 200],
    ]);
  });

  it("should honour the provider's Retry-After forwarded by the server", async () => {
    const id = mock.addJob('check', 'batch', {
      ...script.lifecycle({ queuedPolls: 2, progress: [1] }),
      faults: [{ kind: 'rate-limit', retryAfter: 7, at: 1 }],
    });
    const { result } = renderHook(() => useBatch(api('check', 'batch'), id, SCHEDULE), {
      wrapper: wrapper(newClient()),
    });
    await settle();
    await advance(1000);
    expect(result.current.pollError).toBeInstanceOf(RateLimitError);
    expect(result.current.nextPollAt).toBe(T0 + 8000);
    await advance(6999);
    expect(mock.requests.map((r) => r.at - T0)).toEqual([0, 1000]);
    await advance(1);
    expect(mock.requests.map((r) => r.at - T0)).toEqual([0, 1000, 8000]);
    expect(result.current.pollError).toBeUndefined();
  });

  it('should give rows of a Supermetrics query when the server includes raw', async () => {
    const id = mock.addJob('supermetrics', 'query', { ...script.lifecycle({ queuedPolls: 1, progress: [] }), rows: 4 });
    const source = api<SupermetricsQueryStatus>('supermetrics', 'query');
    const { result } = renderHook(() => useQueryStatus(source, id, SCHEDULE), { wrapper: wrapper(newClient()) });
    await settle();
    expect(result.current.rows).toBeUndefined();
    await advance(1000);
    expect(result.current.status).toBe('succeeded');
    expect(result.current.rows).toHaveLength(4);
  });

  it('should show a 403 from authorize as PermissionDeniedError and stop', async () => {
    const id = mock.addJob('runflow', 'batch', script.lifecycle());
    denied.add(id);
    const { result } = renderHook(() => useBatch(api<RunflowBatch>('runflow', 'batch'), id, SCHEDULE), {
      wrapper: wrapper(newClient()),
    });
    await settle();
    expect(result.current.error).toBeInstanceOf(PermissionDeniedError);
    await advance(60_000);
    expect(pageReads()).toBe(1);
    expect(mock.requests).toHaveLength(0);
  });

  it('should cancel through the server where the source can, and refuse where it cannot', async () => {
    const ck = mock.addJob('check', 'batch', script.lifecycle({ queuedPolls: 1, progress: [0.2, 0.4, 0.6, 0.8] }));
    const rf = mock.addJob('runflow', 'batch', script.lifecycle({ queuedPolls: 3 }));
    const { result } = renderHook(
      () =>
        useJobs(
          [
            { source: api('check', 'batch'), id: ck },
            { source: api('runflow', 'batch'), id: rf },
          ],
          SCHEDULE,
        ),
      { wrapper: wrapper(newClient()) },
    );
    await settle();
    await advance(1000);
    expect(result.current.jobs[0]?.status).toBe('running');
    // A remote source always offers cancel; the server knows whether the provider can.
    expect(result.current.jobs.map((j) => j.canCancel)).toEqual([true, true]);
    const done = result.current.jobs[0]!.cancel();
    await settle();
    await done;
    expect(result.current.jobs[0]?.status).toBe('cancelled');
    expect(mock.requests.some((r) => r.method === 'POST' && r.path === `/v1/batch/${ck}/cancel`)).toBe(true);
    const refused = result.current.jobs[1]!.cancel().catch((e: unknown) => e);
    await settle();
    expect(await refused).toBeInstanceOf(CancelNotSupportedError);
  });
});
