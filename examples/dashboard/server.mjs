#!/usr/bin/env node
// @ts-check
// The dashboard's own server. It starts the mock providers, creates a few jobs there, and is the
// only address the page talks to: it serves the built page (dist/), the job list (GET /api/jobs)
// and the job status handler (/api/batchwatch), which polls the providers with keys that never
// leave this process.
import { randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { checkBatch, createCheckClient } from '@batchwatch/check-client';
import { createJobStatusHandler } from '@batchwatch/core/http';
import { script, startMockProviderServer } from '@batchwatch/msw/server';
import { createRunflowClient, runflowBatch } from '@batchwatch/runflow-client';
import { createSupermetricsClient, supermetricsBatch, supermetricsQueryStatus } from '@batchwatch/supermetrics-client';

/** @typedef {'supermetrics' | 'runflow' | 'check'} Provider */
/** @typedef {import('@batchwatch/msw/server').JobScript} JobScript */
/** @typedef {{ provider: Provider, kind: 'batch' | 'query', label: string, script: JobScript }} JobPlan */
/**
 * What `GET /api/jobs` lists; the page renders one row per entry.
 * @typedef {{ provider: Provider, kind: string, id: string, label: string, cancellable: boolean }} DashboardJob
 */
/**
 * @typedef {object} StartOptions
 * @property {number} [port] Defaults to 4173; `0` picks a free port.
 * @property {boolean} [fallbackPort] When `port` is busy, listen on a free port instead. Defaults to `true` for the default port, `false` for one given.
 * @property {number} [speed] How much faster than real time the mock jobs run. Defaults to 1.
 * @property {number} [seed] Seeds the mock providers' ids. Defaults to 2026.
 * @property {string} [distDir] The built page. Defaults to `dist/` beside this file.
 * @property {string} [fleet] A Redis URL: serve snapshots from a `@batchwatch/bullmq` fleet (a fleet
 *   worker in this process polls; any number of viewers cost no provider request). Defaults to none.
 */
/**
 * @typedef {object} DashboardServer
 * @property {string} url The page, `http://127.0.0.1:<port>`.
 * @property {number} port
 * @property {string} providersUrl Where the mock providers listen (the page must never call it).
 * @property {Record<Provider, string>} keys The provider keys this server holds (the page must never see them).
 * @property {DashboardJob[]} jobs
 * @property {import('@batchwatch/msw/server').MockProviderServer} providers
 * @property {import('@batchwatch/bullmq').Fleet} [fleet] The fleet, in `fleet` mode.
 * @property {() => Promise<void>} close Closes the page server, the fleet and the mock providers.
 */

const HOST = '127.0.0.1';
const DEFAULT_PORT = 4173;
const here = fileURLToPath(new URL('.', import.meta.url));

/**
 * Timed scripts run on the clock x `speed` (milliseconds of scripted time).
 * @param {number} queuedMs
 * @param {number} runningMs
 * @param {NonNullable<JobScript['end']>} end
 * @param {Partial<JobScript>} [extra]
 * @returns {JobScript}
 */
const timed = (queuedMs, runningMs, end, extra = {}) => ({ ...script.timed({ queuedMs, runningMs, end }), ...extra });

/** @type {readonly JobPlan[]} */
export const PLAN = [
  {
    provider: 'check',
    kind: 'batch',
    label: 'Fact-check 20 claims',
    script: timed(1_000, 5_000, 'succeeded', { total: 20 }),
  },
  {
    provider: 'runflow',
    kind: 'batch',
    label: 'Transcode batch (fails)',
    script: timed(1_000, 9_000, 'failed', { total: 30 }),
  },
  {
    provider: 'supermetrics',
    kind: 'query',
    label: 'Sessions by day (total grows)',
    script: timed(2_000, 40_000, 'succeeded', { totalGrowth: [4, 8, 12] }),
  },
  {
    provider: 'runflow',
    kind: 'batch',
    label: 'Upscale 40 images',
    script: timed(2_000, 70_000, 'succeeded', { total: 40 }),
  },
  {
    provider: 'supermetrics',
    kind: 'batch',
    label: '12 queries, some fail',
    script: timed(3_000, 90_000, 'partially_succeeded', { total: 12, failureRate: 0.25 }),
  },
  {
    provider: 'check',
    kind: 'batch',
    label: 'Fact-check 200 claims (long)',
    script: timed(1_000, 240_000, 'succeeded', { total: 200 }),
  },
];

/** @param {string} prefix */
const secret = (prefix) => `${prefix}${randomBytes(16).toString('hex')}`;

/** @type {Record<string, string>} */
const CONTENT_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json; charset=utf-8',
};

// The page may load and fetch only from this origin: the browser itself enforces "no provider calls".
const CSP =
  "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/**
 * Reads `distDir/<pathname>`, never outside `distDir`; `undefined` when there is no such file.
 * @param {string} distDir
 * @param {string} pathname
 */
async function readStatic(distDir, pathname) {
  let decoded;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return undefined;
  }
  const file = resolve(distDir, `.${decoded === '/' ? '/index.html' : decoded}`);
  if (!file.startsWith(distDir + sep)) return undefined;
  try {
    if (!(await stat(file)).isFile()) return undefined;
    return { body: await readFile(file), type: CONTENT_TYPES[extname(file)] ?? 'application/octet-stream', file };
  } catch {
    return undefined;
  }
}

/**
 * @param {import('node:http').Server} server
 * @param {number} port
 * @returns {Promise<void>}
 */
function listen(server, port) {
  return new Promise((resolvePromise, reject) => {
    const onError = (/** @type {Error} */ error) => reject(error);
    server.once('error', onError);
    server.listen(port, HOST, () => {
      server.off('error', onError);
      resolvePromise();
    });
  });
}

/**
 * Starts the mock providers and the dashboard server.
 * @param {StartOptions} [options]
 * @returns {Promise<DashboardServer>}
 */
export async function start(options = {}) {
  const { port = DEFAULT_PORT, speed = 1, seed = 2026 } = options;
  const fallbackPort = options.fallbackPort ?? options.port === undefined;
  const distDir = resolve(options.distDir ?? join(here, 'dist'));
  try {
    await stat(join(distDir, 'index.html'));
  } catch {
    throw new Error(
      `${join(distDir, 'index.html')} is missing: build the page first (pnpm --filter @batchwatch/example-dashboard build, or pnpm build)`,
    );
  }

  // Fresh keys each start: the mock providers answer 401 to anything else, and the e2e test checks
  // that none of them ever reaches the browser.
  /** @type {Record<Provider, string>} */
  const keys = { supermetrics: secret('sm_'), runflow: secret('rf_'), check: secret('vfy_') };
  const providers = await startMockProviderServer({
    seed,
    speed,
    apiKeys: keys,
    jobs: PLAN.map(({ provider, kind, script }) => ({ provider, kind, script })),
  });

  const supermetrics = createSupermetricsClient({ apiKey: keys.supermetrics, baseUrl: providers.urls.supermetrics });
  const runflow = createRunflowClient({ apiKey: keys.runflow, baseUrl: providers.urls.runflow });
  const check = createCheckClient({ apiKey: keys.check, baseUrl: providers.urls.check });
  const sources = {
    supermetrics: { query: supermetricsQueryStatus(supermetrics), batch: supermetricsBatch(supermetrics) },
    runflow: { batch: runflowBatch(runflow) },
    check: { batch: checkBatch(check) },
  };

  /** @type {DashboardJob[]} */
  const jobs = providers.jobs.map((job, i) => {
    const plan = /** @type {JobPlan} */ (PLAN[i]);
    /** @type {Record<string, import('@batchwatch/core').JobSource<unknown>>} */
    const kinds = sources[plan.provider];
    return {
      provider: plan.provider,
      kind: plan.kind,
      id: job.id,
      label: plan.label,
      cancellable: typeof kinds[plan.kind]?.cancel === 'function',
    };
  });
  const known = new Set(jobs.map((job) => `${job.provider}/${job.kind}/${job.id}`));

  // FLEET mode: a fleet worker polls the providers (here, in this process; on other machines in
  // production) and the handler reads snapshots from Redis, so N viewers cost no provider request.
  const fleetMode = options.fleet
    ? await startFleet(options.fleet, Object.values(sources).flatMap(Object.values))
    : undefined;

  const handler = createJobStatusHandler({
    sources: fleetMode ? fleetMode.sources : sources,
    basePath: '/api/batchwatch',
    // Only the jobs this server created, and cancels only from this page (not a cross-site form).
    authorize: (request, ref) => {
      if (!known.has(`${ref.provider}/${ref.kind}/${ref.id}`)) return false;
      const site = request.headers.get('sec-fetch-site');
      return ref.action === 'read' || site === null || site === 'same-origin';
    },
    onError: (error, ref) => {
      const what = ref ? `${ref.provider} ${ref.kind} ${ref.id}` : 'request';
      console.error(`dashboard: ${what}: ${error instanceof Error ? error.message : String(error)}`);
    },
  });
  const jobList = JSON.stringify({ jobs, speed });

  const server = createServer((req, res) => {
    const controller = new AbortController();
    res.on('close', () => controller.abort());
    const url = new URL(req.url ?? '/', `http://${HOST}`);
    const answer = async () => {
      if (url.pathname === '/api/batchwatch' || url.pathname.startsWith('/api/batchwatch/')) {
        const headers = new Headers();
        for (const [name, value] of Object.entries(req.headers)) {
          if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
        }
        const request = new Request(new URL(req.url ?? '/', `http://${req.headers.host ?? HOST}`), {
          method: req.method ?? 'GET',
          headers,
          signal: controller.signal,
        });
        const response = await handler(request);
        res.writeHead(response.status, Object.fromEntries(response.headers));
        res.end(Buffer.from(await response.arrayBuffer()));
        return;
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
        res.end('method not allowed\n');
        return;
      }
      if (url.pathname === '/api/jobs') {
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
        res.end(jobList);
        return;
      }
      const file = await readStatic(distDir, url.pathname);
      if (!file) {
        res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
        res.end('not found\n');
        return;
      }
      const isHtml = file.type.startsWith('text/html');
      res.writeHead(200, {
        'content-type': file.type,
        'cache-control': url.pathname.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
        'x-content-type-options': 'nosniff',
        ...(isHtml ? { 'content-security-policy': CSP, 'referrer-policy': 'no-referrer' } : {}),
      });
      res.end(req.method === 'HEAD' ? undefined : file.body);
    };
    answer().catch((error) => {
      console.error(`dashboard: ${req.method} ${url.pathname}: ${error instanceof Error ? error.message : error}`);
      if (res.headersSent) return void res.destroy();
      res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('internal error\n');
    });
  });

  try {
    try {
      await listen(server, port);
    } catch (error) {
      const busy = /** @type {NodeJS.ErrnoException} */ (error).code === 'EADDRINUSE';
      if (!busy || !fallbackPort) throw error;
      await listen(server, 0);
    }
  } catch (error) {
    await fleetMode?.close();
    await providers.close();
    throw error;
  }
  const address = /** @type {import('node:net').AddressInfo} */ (server.address());
  return {
    url: `http://${HOST}:${address.port}`,
    port: address.port,
    providersUrl: providers.url,
    keys,
    jobs,
    providers,
    ...(fleetMode ? { fleet: fleetMode.fleet } : {}),
    async close() {
      server.closeAllConnections();
      await new Promise((done) => server.close(() => done(undefined)));
      await fleetMode?.close();
      await providers.close();
    },
  };
}

/**
 * A fleet on `redis`, with a fleet worker in this process, and the handler's sources reading from it.
 * @param {string} redis
 * @param {import('@batchwatch/core').JobSource<unknown>[]} sources
 */
async function startFleet(redis, sources) {
  const { createFleet, createFleetWorker, fleetSnapshots } = await import('@batchwatch/bullmq');
  const onError = (/** @type {unknown} */ error) =>
    console.error(`dashboard fleet: ${error instanceof Error ? error.message : String(error)}`);
  const worker = createFleetWorker({ connection: redis, sources, onError });
  const fleet = createFleet({ connection: redis, sources, onError });
  await Promise.all([worker.waitUntilReady(), fleet.waitUntilReady()]);
  return {
    fleet,
    sources: fleetSnapshots(fleet),
    async close() {
      await fleet.close();
      await worker.close();
    },
  };
}

async function main() {
  const envPort = process.env.PORT;
  const port = envPort === undefined || envPort === '' ? undefined : Number(envPort);
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port < 65_536)) {
    throw new Error(`PORT must be a port number, not ${JSON.stringify(envPort)}`);
  }
  const speed = Number(process.env.SPEED ?? 1);
  if (!(speed > 0 && speed <= 1000)) throw new Error(`SPEED must be a number from 0 to 1000, not ${process.env.SPEED}`);
  const fleet = process.env.FLEET || undefined;
  if (fleet !== undefined && !/^rediss?:\/\//.test(fleet)) {
    throw new Error('FLEET must be a redis:// or rediss:// URL, e.g. FLEET=redis://127.0.0.1:6379');
  }
  const dashboard = await start({ port, speed, ...(fleet ? { fleet } : {}) });
  if (port === undefined && dashboard.port !== DEFAULT_PORT) {
    console.log(`Port ${DEFAULT_PORT} is busy; using ${dashboard.port} instead.`);
  }
  console.log(
    `Mock providers on ${dashboard.providersUrl} (server-side only), ${dashboard.jobs.length} jobs at ${speed}x speed.`,
  );
  if (dashboard.fleet) console.log('Snapshots come from the @batchwatch/bullmq fleet on FLEET (Redis).');
  console.log(`Dashboard: ${dashboard.url}  (Ctrl-C to stop)`);
  const stop = () => {
    dashboard.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((error) => {
    console.error(`dashboard: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
