import { checkBatch, createCheckClient } from '@batchwatch/check-client';
import {
  AuthenticationError,
  InvalidResponseError,
  type JobSource,
  NotFoundError,
  RateLimitError,
  ServerError,
} from '@batchwatch/core';
import { createRunflowClient, runflowBatch } from '@batchwatch/runflow-client';
import { createSupermetricsClient, supermetricsBatch, supermetricsQueryStatus } from '@batchwatch/supermetrics-client';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  createMockProviders,
  type Fault,
  type MockJobKind,
  type MockProviderName,
  providerHandlers,
  script,
} from '../src/index.js';
import { context, rejection } from './helpers.js';

const mock = createMockProviders({ seed: 3 });
const server = setupServer(...providerHandlers(mock));
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => {
  vi.useRealTimers();
  mock.reset();
});
afterAll(() => server.close());

interface Target {
  provider: MockProviderName;
  kind: MockJobKind;
  /** The status URL a poll reads first. */
  url: (id: string) => string;
  source: () => JobSource;
  /** `PAUSED` in the provider's casing. */
  unknown: string;
  errors: { 401: unknown; 404: unknown; 429: unknown; server: [number, unknown] };
}

const targets: Target[] = [
  {
    provider: 'supermetrics',
    kind: 'query',
    url: (id) =>
      `https://api.supermetrics.com/query/status?json=${encodeURIComponent(JSON.stringify({ schedule_id: id }))}`,
    source: () => supermetricsQueryStatus(createSupermetricsClient({ apiKey: 'k' })),
    unknown: 'PAUSED',
    errors: {
      401: {
        meta: { request_id: expect.any(String) },
        error: { code: 'UNAUTHORIZED', message: 'Authentication is required.' },
      },
      404: { error: 'STATUS_NOT_FOUND' },
      429: {
        meta: { request_id: expect.any(String) },
        error: { code: 'TOO_MANY_REQUESTS', message: expect.any(String) },
      },
      server: [
        500,
        {
          meta: { request_id: expect.any(String) },
          error: { code: 'INTERNAL_SERVER_ERROR', message: expect.any(String) },
        },
      ],
    },
  },
  {
    provider: 'supermetrics',
    kind: 'batch',
    url: (id) => `https://api.supermetrics.com/query/batch/${id}`,
    source: () => supermetricsBatch(createSupermetricsClient({ apiKey: 'k' })),
    unknown: 'PAUSED',
    errors: {
      401: { meta: { request_id: expect.any(String) }, error: { code: 'UNAUTHORIZED', message: expect.any(String) } },
      404: { meta: { request_id: expect.any(String) }, error: { code: 'NOT_FOUND', message: 'Batch not found.' } },
      429: {
        meta: { request_id: expect.any(String) },
        error: { code: 'TOO_MANY_REQUESTS', message: expect.any(String) },
      },
      server: [
        500,
        {
          meta: { request_id: expect.any(String) },
          error: { code: 'INTERNAL_SERVER_ERROR', message: expect.any(String) },
        },
      ],
    },
  },
  {
    provider: 'runflow',
    kind: 'batch',
    url: (id) => `https://api.runflow.io/v1/batches/${id}`,
    source: () => runflowBatch(createRunflowClient({ apiKey: 'k' })),
    unknown: 'paused',
    errors: {
      401: { code: 'UNAUTHORIZED', message: 'Missing or invalid API key.', errors: null },
      404: { code: 'NOT_FOUND', message: 'Batch not found.', errors: null },
      429: { code: 'RATE_LIMITED', message: expect.any(String), errors: null },
      server: [503, { code: 'MODEL_UNAVAILABLE', message: expect.any(String), errors: null }],
    },
  },
  {
    provider: 'check',
    kind: 'batch',
    url: (id) => `https://api.check.ai/v1/batch/${id}`,
    source: () => checkBatch(createCheckClient({ apiKey: 'vfy_k' })),
    unknown: 'paused',
    errors: {
      401: { error: { code: 'unauthorized', message: 'Invalid API key', requestId: expect.stringMatching(/^req_/) } },
      404: { error: { code: 'not_found', message: 'Batch not found', requestId: expect.any(String) } },
      429: {
        error: {
          code: 'rate_limited',
          message: 'Rate limit exceeded. Try again in 7 seconds.',
          retryAfter: 7,
          requestId: expect.any(String),
        },
      },
      server: [500, { error: { code: 'internal_error', message: expect.any(String), requestId: expect.any(String) } }],
    },
  },
];

const withFault = (t: Target, fault: Fault) =>
  mock.addJob(t.provider, t.kind, { ...script.lifecycle({ progress: [0.5] }), faults: [fault] });

describe.each(targets.map((t) => [`${t.provider} ${t.kind}`, t] as const))('%s faults', (_name, t) => {
  it('should answer rate-limit with 429, Retry-After seconds and the real body', async () => {
    const id = withFault(t, { kind: 'rate-limit', retryAfter: 7 });
    const res = await fetch(t.url(id));
    expect([res.status, res.headers.get('retry-after'), res.headers.get('x-ratelimit-remaining')]).toEqual([
      429,
      '7',
      '0',
    ]);
    expect(await res.json()).toEqual(t.errors[429]);
    const again = withFault(t, { kind: 'rate-limit', retryAfter: 7 });
    const error = await rejection(t.source().fetchSnapshot(again, context()));
    expect(error).toBeInstanceOf(RateLimitError);
    expect((error as RateLimitError).retryAfterMs).toBe(7000);
  });

  it('should answer rate-limit with an HTTP-date Retry-After', async () => {
    vi.useFakeTimers({ now: new Date('2026-01-01T00:00:00.000Z'), toFake: ['Date'] });
    const id = withFault(t, { kind: 'rate-limit', retryAfter: 'date' });
    const error = await rejection(t.source().fetchSnapshot(id, context()));
    expect((error as RateLimitError).retryAfterMs).toBe(2000);
    expect((error as RateLimitError).headers['retry-after']).toBe('Thu, 01 Jan 2026 00:00:02 GMT');
  });

  it('should answer server-error with the documented 5xx and the real body', async () => {
    const id = withFault(t, { kind: 'server-error' });
    const res = await fetch(t.url(id));
    expect(res.status).toBe(t.errors.server[0]);
    expect(await res.json()).toEqual(t.errors.server[1]);
    const error = await rejection(t.source().fetchSnapshot(withFault(t, { kind: 'server-error' }), context()));
    expect(error).toBeInstanceOf(ServerError);
  });

  it('should answer an undocumented 5xx as a plain-text gateway page', async () => {
    const id = withFault(t, { kind: 'server-error', status: 502 });
    const res = await fetch(t.url(id));
    expect([res.status, res.headers.get('content-type'), await res.text()]).toEqual([
      502,
      'text/plain; charset=utf-8',
      '502 Bad Gateway',
    ]);
  });

  it('should answer html with a 502 HTML page', async () => {
    const id = withFault(t, { kind: 'html' });
    const res = await fetch(t.url(id));
    expect([res.status, res.headers.get('content-type')]).toEqual([502, 'text/html; charset=utf-8']);
    expect(await res.text()).toContain('<h1>502 Bad Gateway</h1>');
    const error = await rejection(t.source().fetchSnapshot(withFault(t, { kind: 'html' }), context()));
    expect(error).toBeInstanceOf(ServerError);
  });

  it('should answer malformed with a 200 whose JSON is cut off', async () => {
    const id = withFault(t, { kind: 'malformed' });
    const res = await fetch(t.url(id));
    expect(res.status).toBeLessThan(300);
    await expect(res.json()).rejects.toThrow(SyntaxError);
    const error = await rejection(t.source().fetchSnapshot(withFault(t, { kind: 'malformed' }), context()));
    expect(error).toBeInstanceOf(InvalidResponseError);
  });

  it('should answer unknown-status with the body and an unknown status string', async () => {
    const id = withFault(t, { kind: 'unknown-status' });
    const { snapshot } = await t.source().fetchSnapshot(id, context());
    expect([snapshot.status, snapshot.rawStatus, snapshot.isTerminal]).toEqual(['unknown', t.unknown, false]);
    const custom = withFault(t, { kind: 'unknown-status', raw: 'ARCHIVED' });
    expect((await t.source().fetchSnapshot(custom, context())).snapshot.rawStatus).toBe('ARCHIVED');
  });

  it('should answer unauthorized with 401 and the real body', async () => {
    const id = withFault(t, { kind: 'unauthorized' });
    const res = await fetch(t.url(id));
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe(
      t.provider === 'supermetrics' ? 'Bearer realm="Supermetrics API"' : null,
    );
    expect(await res.json()).toEqual(t.errors[401]);
    const error = await rejection(t.source().fetchSnapshot(withFault(t, { kind: 'unauthorized' }), context()));
    expect(error).toBeInstanceOf(AuthenticationError);
  });

  it('should answer not-found with the real 404 of the endpoint', async () => {
    const id = withFault(t, { kind: 'not-found' });
    const res = await fetch(t.url(id));
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual(t.errors[404]);
    const error = await rejection(t.source().fetchSnapshot(withFault(t, { kind: 'not-found' }), context()));
    expect(error).toBeInstanceOf(NotFoundError);
  });

  it('should answer slow only after delayMs', async () => {
    vi.useFakeTimers();
    const id = withFault(t, { kind: 'slow', delayMs: 5000 });
    let settled = false;
    const poll = t
      .source()
      .fetchSnapshot(id, context())
      .finally(() => {
        settled = true;
      });
    await vi.advanceTimersByTimeAsync(4999);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect((await poll).snapshot.status).toBe('queued');
  });

  it('should insert a fault without moving the lifecycle', async () => {
    const id = withFault(t, { kind: 'server-error', at: 1, times: 2 });
    const source = t.source();
    const seen: string[] = [];
    for (let i = 0; i < 5; i++) {
      try {
        seen.push((await source.fetchSnapshot(id, context())).snapshot.status);
      } catch (error) {
        seen.push((error as Error).name);
      }
    }
    expect(seen).toEqual(['queued', 'ServerError', 'ServerError', 'running', 'succeeded']);
  });
});

describe('fault timing', () => {
  it('should fire a window fault by scripted time', async () => {
    vi.useFakeTimers();
    const id = mock.addJob('check', 'batch', {
      ...script.timed({ queuedMs: 1000, runningMs: 10_000 }),
      faults: [{ kind: 'rate-limit', window: [2000, 4000] }],
    });
    const source = checkBatch(createCheckClient({ apiKey: 'vfy_k' }));
    const seen: string[] = [];
    for (const step of [0, 1500, 1000, 1000, 1000]) {
      await vi.advanceTimersByTimeAsync(step);
      try {
        seen.push((await source.fetchSnapshot(id, context())).snapshot.status);
      } catch (error) {
        seen.push((error as Error).name);
      }
    }
    expect(seen).toEqual(['queued', 'running', 'RateLimitError', 'RateLimitError', 'running']);
  });
});

describe('apiKeys', () => {
  it('should answer a wrong or missing key with each provider real 401', async () => {
    const keyed = createMockProviders({ apiKeys: { supermetrics: 'sm', runflow: 'rf', check: 'vfy_ck' } });
    server.use(...providerHandlers(keyed));
    const sm = keyed.addJob('supermetrics', 'batch');
    const rf = keyed.addJob('runflow', 'batch');
    const ck = keyed.addJob('check', 'batch');
    const wrong = [
      supermetricsBatch(createSupermetricsClient({ apiKey: 'nope' })).fetchSnapshot(sm, context()),
      runflowBatch(createRunflowClient({ apiKey: 'nope' })).fetchSnapshot(rf, context()),
      checkBatch(createCheckClient({ apiKey: 'nope' })).fetchSnapshot(ck, context()),
    ];
    for (const attempt of wrong) expect(await rejection(attempt)).toBeInstanceOf(AuthenticationError);
    const missing = await fetch(`https://api.check.ai/v1/batch/${ck}`);
    expect([missing.status, ((await missing.json()) as { error: { code: string } }).error.code]).toEqual([
      401,
      'unauthorized',
    ]);
    const ok = await runflowBatch(createRunflowClient({ apiKey: 'rf' })).fetchSnapshot(rf, context());
    expect(ok.snapshot.status).toBe('queued');
    const viaJson = await fetch(
      `https://api.supermetrics.com/query/batch/${sm}/status?json=${encodeURIComponent(JSON.stringify({ api_key: 'sm' }))}`,
    );
    expect(viaJson.status).toBe(200);
    server.resetHandlers();
  });
});
