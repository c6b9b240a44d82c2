import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type CallbackSender,
  createCallbackSender,
  isLoopbackUrl,
  type MockCallbackOptions,
  type MockCallbacks,
} from './callbacks.js';
import {
  createMockProviders,
  type MockBases,
  type MockKindName,
  type MockProviderName,
  type MockProviders,
  type MockProvidersOptions,
} from './engine.js';
import type { JobScript } from './script.js';

export * from './api.js';
export type {
  MockCallbackDelivery,
  MockCallbackOptions,
  MockCallbackRequest,
  MockCallbackSignOptions,
  MockCallbacks,
  MockPushProvider,
} from './callbacks.js';

/** A job the server starts with; `P` names the providers defined with `defineMockProvider`. */
export interface MockServerJob<P extends string = never> {
  /** The provider. */
  provider: MockProviderName | P;
  /** Its kind at the provider. */
  kind: MockKindName<P>;
  /** Defaults to the mock's `defaultScript`. */
  script?: JobScript;
}

/**
 * Options for {@link startMockProviderServer}; the engine options (`seed`, `speed`, `apiKeys`,
 * `providers`, ...) apply too. Each provider of `providers` is served on the prefix `/<name>`.
 */
export interface MockProviderServerOptions<P extends string = never> extends MockProvidersOptions<P> {
  /** A loopback address: `127.0.0.1` (or another `127.x.y.z`) or `::1`; anything else throws. Defaults to `127.0.0.1`. */
  host?: string;
  /** Defaults to `0`: an ephemeral port. */
  port?: number;
  /** Jobs to add before the server answers. Defaults to none. */
  jobs?: readonly MockServerJob<NoInfer<P>>[];
  /**
   * Push signed Runflow batch callbacks and Check webhooks to a receiver on a loopback address
   * when jobs end (real time, up to 2 retries, cancelled by `close()`). Defaults to none.
   */
  callbacks?: MockCallbackOptions;
}

/** A running mock provider server; `P` names the providers defined with `defineMockProvider`. */
export interface MockProviderServer<P extends string = never> {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /**
   * Base URLs to give the clients: `${url}/supermetrics`, `${url}/runflow`, `${url}/check`, and
   * `${url}/<name>` for each provider of your own.
   */
  urls: Record<MockProviderName | P, string>;
  /** The engine behind the server (add jobs, read `requests`, ...). */
  mock: MockProviders<P>;
  /** The jobs from `options.jobs`, with their ids, in the same order. */
  jobs: Array<MockServerJob<P> & { id: string }>;
  /** Deliveries of pushed events, and hooks to build, sign and send more (duplicates, replays, forgeries). */
  callbacks: MockCallbacks;
  /** Aborts slow responses, closes every connection and the server; nothing is left on the event loop. */
  close(): Promise<void>;
}

const PREFIXES: Required<MockBases> = { supermetrics: '/supermetrics', runflow: '/runflow', check: '/check' };

type AnyMock = MockProviders<string>;

function isLoopback(host: string): boolean {
  return host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Answers one node:http request from the engine, as a Fetch API round trip (nothing after `signal` aborts). */
async function answer(
  mock: AnyMock,
  prefixes: Readonly<Record<string, string>>,
  req: IncomingMessage,
  res: ServerResponse,
  origin: string,
  signal: AbortSignal,
): Promise<void> {
  const method = req.method ?? 'GET';
  const body = method === 'GET' || method === 'HEAD' ? undefined : await readBody(req);
  const headers = new Headers();
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
  const request = new Request(`${origin}${req.url ?? '/'}`, {
    method,
    headers,
    body: body && body.length > 0 ? new Uint8Array(body) : undefined,
    signal,
  });
  const response = await mock.handle(request, prefixes);
  if (signal.aborted) return;
  if (!response) {
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end(`no mock route for ${method} ${req.url ?? '/'}\n`);
    return;
  }
  res.writeHead(response.status, Object.fromEntries(response.headers));
  res.end(Buffer.from(await response.arrayBuffer()));
}

/**
 * Starts a real HTTP server on a loopback address that simulates Supermetrics, Runflow and Check on
 * path prefixes (`/supermetrics`, `/runflow`, `/check`), driven by {@link createMockProviders} with
 * real time x `speed`. For the CLI demo, browser e2e and benchmarks; msw is not needed.
 *
 * @example
 * const server = await startMockProviderServer({ speed: 10, jobs: [{ provider: 'runflow', kind: 'batch' }] });
 * const client = createRunflowClient({ apiKey: 'demo', baseUrl: server.urls.runflow });
 * await server.close();
 */
export async function startMockProviderServer<P extends string = never>(
  options?: MockProviderServerOptions<P>,
): Promise<MockProviderServer<P>>;
// The plain signature last, so that `Parameters<typeof startMockProviderServer>` stays the options of the three.
export async function startMockProviderServer(options?: MockProviderServerOptions): Promise<MockProviderServer>;
export async function startMockProviderServer<P extends string = never>(
  options: MockProviderServerOptions<P> = {},
): Promise<MockProviderServer<P>> {
  const { host = '127.0.0.1', port = 0, jobs = [], callbacks = {}, ...engineOptions } = options;
  if (!isLoopback(host)) {
    throw new RangeError(
      `startMockProviderServer only listens on loopback (127.0.0.1 or ::1), not ${JSON.stringify(host)}`,
    );
  }
  if (callbacks.check && !isLoopbackUrl(callbacks.check.url)) {
    throw new RangeError(
      `callbacks.check.url must be http on a loopback address, not ${JSON.stringify(callbacks.check.url)}`,
    );
  }
  // The engine calls its job hooks from microtasks, so `sender` is set before the first call.
  let sender: CallbackSender | undefined;
  const mock: AnyMock = createMockProviders<string>({
    ...(engineOptions as MockProvidersOptions<string>),
    onJobCreated: (id) => {
      engineOptions.onJobCreated?.(id);
      sender?.jobCreated(id);
    },
    onJobEnded: (id) => {
      engineOptions.onJobEnded?.(id);
      sender?.jobEnded(id);
    },
  });
  sender = createCallbackSender(mock as MockProviders, callbacks, engineOptions.clock ?? { now: () => Date.now() });
  const prefixes: Record<string, string> = { ...PREFIXES };
  for (const provider of engineOptions.providers ?? []) prefixes[provider.name] = `/${provider.name}`;
  const started = jobs.map((job) => ({ ...job, id: mock.addJob(job.provider, job.kind, job.script) }));
  const inFlight = new Set<AbortController>();
  const origin = (address: AddressInfo) =>
    `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const controller = new AbortController();
    inFlight.add(controller);
    res.on('close', () => {
      inFlight.delete(controller);
      controller.abort();
    });
    answer(mock, prefixes, req, res, origin(server.address() as AddressInfo), controller.signal).catch(
      (error: unknown) => {
        if (res.headersSent) return void res.destroy();
        res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end(`mock provider error: ${error instanceof Error ? error.message : String(error)}\n`);
      },
    );
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const url = origin(server.address() as AddressInfo);
  return {
    url,
    urls: Object.fromEntries(Object.entries(prefixes).map(([name, prefix]) => [name, `${url}${prefix}`])) as Record<
      MockProviderName | P,
      string
    >,
    mock: mock as MockProviders<P>,
    jobs: started as Array<MockServerJob<P> & { id: string }>,
    callbacks: sender.api,
    async close() {
      await sender?.close();
      for (const controller of inFlight) controller.abort();
      inFlight.clear();
      server.closeAllConnections();
      return new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
    },
  };
}
