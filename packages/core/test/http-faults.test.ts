import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createSnapshot, headersToRecord, hintsFromHeaders, mapStatus } from '../src/client-kit/index.js';
import {
  AuthenticationError,
  HttpError,
  InvalidResponseError,
  type JobSource,
  NetworkError,
  NotFoundError,
  RateLimitError,
  RequestTimeoutError,
  ServerError,
  type StatusTable,
  type WatchOptions,
  waitForJob,
  watchJob,
} from '../src/index.js';

// Real sockets and real timers: small intervals keep every test well under 2 s.
const FAST = { minIntervalMs: 10, initialIntervalMs: 10, maxIntervalMs: 40, requestTimeoutMs: 1000 } as const;

interface Body {
  status: string;
  done?: number;
  total?: number | null;
}
const TABLE: StatusTable<'QUEUED' | 'RUNNING' | 'SUCCESS' | 'FAILURE'> = {
  QUEUED: 'queued',
  RUNNING: 'running',
  SUCCESS: 'succeeded',
  FAILURE: 'failed',
};

/** A hand-written source over plain fetch, as a user would write for an API without a client package. */
function httpSource(base: string): JobSource<Body> {
  return {
    provider: 'local',
    kind: 'job',
    async fetchSnapshot(id, { signal, now }) {
      let response: Response;
      let text: string;
      try {
        response = await fetch(`${base}/jobs/${id}`, { signal });
        text = await response.text();
      } catch (error) {
        if (signal.aborted) throw signal.reason;
        throw new NetworkError('local request failed', { cause: error });
      }
      const hints = hintsFromHeaders(response.headers, now(), response.status);
      if (!response.ok) {
        const retry = hints.retryAfterMs === undefined ? {} : { retryAfterMs: hints.retryAfterMs };
        throw HttpError.from({
          provider: 'local',
          status: response.status,
          headers: headersToRecord(response.headers),
          body: text,
          ...retry,
        });
      }
      let body: Body;
      try {
        body = JSON.parse(text) as Body;
      } catch (error) {
        throw new InvalidResponseError('local sent a body that is not valid JSON', {
          status: response.status,
          bodySnippet: text,
          cause: error,
        });
      }
      const status = mapStatus(TABLE, body.status);
      const progress = { completed: body.done ?? 0, total: body.total ?? null };
      return {
        snapshot: createSnapshot({
          provider: 'local',
          kind: 'job',
          id,
          status,
          rawStatus: body.status,
          progress,
          observedAt: now(),
          raw: body,
        }),
        hints,
      };
    },
  };
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const json =
  (status: number, body: unknown, headers: Record<string, string> = {}): Handler =>
  (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json', connection: 'close', ...headers });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };
const job = (status: string, extra: Omit<Body, 'status'> = {}) => json(200, { status, ...extra });

const WATCHED = ['Timeout', 'TCPSocketWrap', 'TCPWrap', 'TCPServerWrap'];
function resources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const name of process.getActiveResourcesInfo())
    if (WATCHED.includes(name)) counts[name] = (counts[name] ?? 0) + 1;
  return counts;
}

/**
 * Runs `test` against a local server answering with `handlers` in order (the last repeats), then
 * closes it and checks that no timer or socket outlived the test.
 */
async function withServer(
  handlers: Handler[],
  test: (ctx: { source: JobSource<Body>; times: number[] }) => Promise<void>,
): Promise<void> {
  const baseline = resources();
  const times: number[] = [];
  const server = createServer((req, res) => {
    times.push(Date.now());
    (handlers[Math.min(times.length - 1, handlers.length - 1)] as Handler)(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  try {
    await test({ source: httpSource(`http://127.0.0.1:${port}`), times });
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
  // Sockets close a tick or two after the server does; anything still there after 250 ms leaked.
  let leaked = excess(baseline);
  for (let i = 0; i < 50 && Object.keys(leaked).length > 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 5));
    leaked = excess(baseline);
  }
  expect(leaked).toEqual({});
}

/** Watched resources above the baseline count. */
function excess(baseline: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, count] of Object.entries(resources()))
    if (count > (baseline[name] ?? 0)) out[name] = count - (baseline[name] ?? 0);
  return out;
}

describe('watchJob against a real HTTP server', () => {
  it('should wait out a 429 Retry-After in seconds', async () => {
    await withServer(
      [json(429, { code: 'RATE_LIMITED' }, { 'retry-after': '1' }), job('SUCCESS')],
      async ({ source, times }) => {
        const errors: unknown[] = [];
        await waitForJob(source, 'j1', { ...FAST, onPollError: (e) => errors.push(e) });
        expect(errors[0]).toBeInstanceOf(RateLimitError);
        expect(errors[0]).toMatchObject({ retryAfterMs: 1000 });
        const gap = (times[1] as number) - (times[0] as number);
        expect(gap).toBeGreaterThanOrEqual(990);
        expect(gap).toBeLessThan(1500);
      },
    );
  });

  it('should wait out a 429 Retry-After given as an HTTP date', async () => {
    // HTTP dates have whole seconds: retry at the first whole second at least 600 ms away.
    const retryAt = Math.ceil((Date.now() + 600) / 1000) * 1000;
    const date = new Date(retryAt).toUTCString();
    await withServer([json(429, {}, { 'retry-after': date }), job('SUCCESS')], async ({ source, times }) => {
      await waitForJob(source, 'j1', FAST);
      expect(times).toHaveLength(2);
      expect(times[1]).toBeGreaterThanOrEqual(retryAt - 20);
      expect(times[1]).toBeLessThan(retryAt + 500);
    });
  });

  it('should retry a 503 and an HTML 502 page as transient server errors', async () => {
    const html: Handler = (_req, res) => {
      res.writeHead(502, { 'content-type': 'text/html', connection: 'close' });
      res.end('<html><body><h1>502 Bad Gateway</h1></body></html>');
    };
    await withServer([json(503, { message: 'maintenance' }), html, job('SUCCESS')], async ({ source, times }) => {
      const errors: unknown[] = [];
      await expect(waitForJob(source, 'j1', { ...FAST, onPollError: (e) => errors.push(e) })).resolves.toMatchObject({
        status: 'succeeded',
      });
      expect(errors).toEqual([expect.any(ServerError), expect.any(ServerError)]);
      expect(errors[1]).toMatchObject({ status: 502, body: expect.stringContaining('Bad Gateway') });
      expect(times).toHaveLength(3);
    });
  });

  it('should retry after the connection is reset', async () => {
    const reset: Handler = (req) => req.socket.destroy();
    await withServer([reset, job('SUCCESS')], async ({ source, times }) => {
      const errors: unknown[] = [];
      await waitForJob(source, 'j1', { ...FAST, onPollError: (e) => errors.push(e) });
      expect(errors).toEqual([expect.any(NetworkError)]);
      expect(times).toHaveLength(2);
    });
  });

  it('should time out a response that hangs and succeed on the retry', async () => {
    const hang: Handler = () => {};
    await withServer([hang, job('SUCCESS')], async ({ source, times }) => {
      const errors: unknown[] = [];
      const started = Date.now();
      await waitForJob(source, 'j1', { ...FAST, requestTimeoutMs: 150, onPollError: (e) => errors.push(e) });
      expect(errors).toEqual([expect.any(RequestTimeoutError)]);
      expect(Date.now() - started).toBeGreaterThanOrEqual(150);
      expect(Date.now() - started).toBeLessThan(1000);
      expect(times).toHaveLength(2);
    });
  });

  it('should retry a body that is not valid JSON', async () => {
    await withServer([json(200, '{"status": "RUNN'), job('SUCCESS')], async ({ source }) => {
      const errors: unknown[] = [];
      await waitForJob(source, 'j1', { ...FAST, onPollError: (e) => errors.push(e) });
      expect(errors).toEqual([expect.any(InvalidResponseError)]);
      expect(errors[0]).toMatchObject({ bodySnippet: '{"status": "RUNN' });
    });
  });

  it('should keep polling an undocumented status and report it once', async () => {
    await withServer(
      [job('WARMING_UP'), job('WARMING_UP'), job('RUNNING'), job('WARMING_UP'), job('SUCCESS')],
      async ({ source, times }) => {
        const unknown: (string | null)[] = [];
        await expect(
          waitForJob(source, 'j1', { ...FAST, onUnknownStatus: (raw) => unknown.push(raw) }),
        ).resolves.toMatchObject({ status: 'succeeded' });
        expect(unknown).toEqual(['WARMING_UP']);
        expect(times).toHaveLength(5);
      },
    );
  });

  it.each([
    [401, AuthenticationError],
    [404, NotFoundError],
  ])('should fail fast on %i with exactly one request', async (status, cls) => {
    await withServer([json(status, { message: 'nope' }), job('SUCCESS')], async ({ source, times }) => {
      await expect(waitForJob(source, 'j1', FAST)).rejects.toBeInstanceOf(cls);
      await new Promise((resolve) => setTimeout(resolve, 60));
      expect(times).toHaveLength(1);
    });
  });

  it('should fail a non-string status ({ toString: 1 }) as InvalidResponseError naming the field, spending the budget', async () => {
    await withServer([json(200, { status: { toString: 1 } })], async ({ source, times }) => {
      const error = await waitForJob(source, 'j1', { ...FAST, maxConsecutiveErrors: 1 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidResponseError);
      expect((error as Error).message).toBe('the status is an object, expected a string');
      expect(times).toHaveLength(2);
    });
  });

  it('should never move progress backwards when the total grows mid-job', async () => {
    const steps = [
      job('RUNNING', { done: 5, total: 10 }),
      job('RUNNING', { done: 6, total: 20 }),
      job('RUNNING', { done: 12, total: 20 }),
      job('RUNNING', { done: 20, total: 40 }),
      job('SUCCESS', { done: 40, total: 40 }),
    ];
    await withServer(steps, async ({ source }) => {
      const fractions: (number | null)[] = [];
      const options: WatchOptions<Body> = { ...FAST, onSnapshot: (s) => fractions.push(s.progress.fraction) };
      const watch = watchJob(source, 'j1', options);
      await watch.done;
      expect(fractions).toEqual([0.5, 0.5, 0.6, 0.6, 1]);
    });
  });

  it('should abort the request in flight and leave nothing behind on stop', async () => {
    const hang: Handler = () => {};
    await withServer([hang], async ({ source, times }) => {
      const watch = watchJob(source, 'j1', FAST);
      while (times.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      watch.stop();
      await expect(watch.done).rejects.toMatchObject({ name: 'AbortError' });
    });
  });
});
