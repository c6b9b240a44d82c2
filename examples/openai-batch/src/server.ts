// The example's server: the only address the page talks to. It starts the mock OpenAI on 127.0.0.1,
// creates a few batches there with the generated client, and serves the built page (dist/), the
// batch list (GET /api/batches) and the job status handler (/api/batchwatch) that polls OpenAI with
// a key that never leaves this process.
import { randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createJobStatusHandler } from '@batchwatch/core/http';
import { type JobScript, type MockProviderServer, startMockProviderServer } from '@batchwatch/msw/server';
import { openaiBatch } from './openai/batch.kind.js';
import { createOpenaiClient } from './openai/client.gen.js';
import { batchScript, openaiMock } from './openai/openai.mock.js';

/** One batch of the page, as `GET /api/batches` lists it. */
export interface PageBatch {
  id: string;
  label: string;
}

/** The batches the server creates, each with its scripted life (scripted ms run `speed` times faster). */
export const PLAN: ReadonlyArray<{ label: string; script: JobScript }> = [
  { label: 'Nightly eval (completes)', script: batchScript('succeeded', {}, { total: 50 }) },
  {
    label: 'Embeddings (some requests fail)',
    script: batchScript('partially_succeeded', { running: 6_000 }, { total: 80, failureRate: 0.1 }),
  },
  {
    label: 'Backfill (expires)',
    script: batchScript('failed', { running: 3_000, finalizing: 0 }, { total: 60, endRaw: 'expired' }),
  },
  { label: 'Long run (cancel it)', script: batchScript('succeeded', { running: 600_000 }, { total: 500 }) },
];

/** Options for {@link start}. */
export interface StartOptions {
  /** Defaults to 4174; `0` picks a free port. */
  port?: number;
  /** How much faster than real time the batches run. Defaults to 1. */
  speed?: number;
  /** The built page. Defaults to `dist/` beside `src/`. */
  distDir?: string;
}

/** A running example server. */
export interface ExampleServer {
  /** The page, `http://127.0.0.1:<port>`. */
  url: string;
  /** The mock OpenAI (server-side only: the page never calls it). */
  openai: MockProviderServer<'openai'>;
  /** The key this server holds for the mock OpenAI (the page must never see it). */
  apiKey: string;
  /** The batches created, in PLAN order. */
  batches: PageBatch[];
  /** Closes the page server and the mock. */
  close(): Promise<void>;
}

const HOST = '127.0.0.1';
const here = fileURLToPath(new URL('.', import.meta.url));
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};
// The page may load and fetch only from this origin: the browser itself enforces "no provider calls".
const CSP =
  "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

async function readStatic(distDir: string, pathname: string): Promise<{ body: Buffer; type: string } | undefined> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return undefined;
  }
  const file = resolve(distDir, `.${decoded === '/' ? '/index.html' : decoded}`);
  if (!file.startsWith(distDir + sep)) return undefined;
  try {
    if (!(await stat(file)).isFile()) return undefined;
    return { body: await readFile(file), type: TYPES[extname(file)] ?? 'application/octet-stream' };
  } catch {
    return undefined;
  }
}

/** A node:http request as a Fetch API request (for the job status handler). */
function toRequest(req: IncomingMessage, signal: AbortSignal): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  return new Request(new URL(req.url ?? '/', `http://${req.headers.host ?? HOST}`), {
    method: req.method ?? 'GET',
    headers,
    signal,
  });
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((done, fail) => {
    server.once('error', fail);
    server.listen(port, HOST, () => {
      server.off('error', fail);
      done();
    });
  });
}

/** Starts the mock OpenAI, creates the PLAN's batches through the generated client, and serves the page. */
export async function start(options: StartOptions = {}): Promise<ExampleServer> {
  const { port = 4174, speed = 1 } = options;
  const distDir = resolve(options.distDir ?? join(here, '../dist'));
  await stat(join(distDir, 'index.html')).catch(() => {
    throw new Error(`${join(distDir, 'index.html')} is missing: build the page first (pnpm build)`);
  });
  // A fresh key each start: the mock answers 401 to any other, and the e2e test checks the page never sees it.
  const apiKey = `sk-mock-${randomBytes(16).toString('hex')}`;
  const openai = await startMockProviderServer({ providers: [openaiMock], apiKeys: { openai: apiKey }, speed });
  const client = createOpenaiClient({ apiKey, baseUrl: openai.urls.openai });
  const batches: PageBatch[] = [];
  for (const { label, script } of PLAN) {
    openai.mock.nextScript('openai', script);
    const { data } = await client.POST('/batches', {
      body: {
        input_file_id: 'file-abc123',
        endpoint: '/v1/chat/completions',
        completion_window: '24h',
        metadata: { label },
      },
    });
    if (!data) throw new Error('the mock OpenAI refused POST /batches');
    batches.push({ id: data.id, label });
  }
  const known = new Set(batches.map((b) => b.id));
  const handler = createJobStatusHandler({
    sources: { openai: { batch: openaiBatch(client) } },
    basePath: '/api/batchwatch',
    // Only the batches this server created, and cancels only from this page (not a cross-site form).
    authorize: (request, ref) => {
      if (ref.provider !== 'openai' || !known.has(ref.id)) return false;
      const site = request.headers.get('sec-fetch-site');
      return ref.action === 'read' || site === null || site === 'same-origin';
    },
  });
  const list = JSON.stringify({ batches });

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const controller = new AbortController();
    res.on('close', () => controller.abort());
    const url = new URL(req.url ?? '/', `http://${HOST}`);
    const answer = async () => {
      if (url.pathname.startsWith('/api/batchwatch/')) {
        const response = await handler(toRequest(req, controller.signal));
        res.writeHead(response.status, Object.fromEntries(response.headers));
        res.end(Buffer.from(await response.arrayBuffer()));
        return;
      }
      if (url.pathname === '/api/batches') {
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
        res.end(list);
        return;
      }
      const file = req.method === 'GET' ? await readStatic(distDir, url.pathname) : undefined;
      if (!file) {
        res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
        res.end('not found\n');
        return;
      }
      res.writeHead(200, {
        'content-type': file.type,
        'x-content-type-options': 'nosniff',
        ...(file.type.startsWith('text/html') ? { 'content-security-policy': CSP } : {}),
      });
      res.end(file.body);
    };
    answer().catch((error: unknown) => {
      console.error(`openai-batch: ${req.method} ${url.pathname}: ${error instanceof Error ? error.message : error}`);
      if (res.headersSent) return void res.destroy();
      res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('internal error\n');
    });
  });
  try {
    await listen(server, port);
  } catch (error) {
    await openai.close();
    throw error;
  }
  return {
    url: `http://${HOST}:${(server.address() as AddressInfo).port}`,
    openai,
    apiKey,
    batches,
    async close() {
      server.closeAllConnections();
      await new Promise((done) => server.close(() => done(undefined)));
      await openai.close();
    },
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const port = process.env.PORT ? Number(process.env.PORT) : undefined;
  start({ ...(port === undefined ? {} : { port }), speed: Number(process.env.SPEED ?? 1) }).then(
    (s) => {
      console.log(`Mock OpenAI on ${s.openai.urls.openai} (server-side only); ${s.batches.length} batches.`);
      console.log(`Page: ${s.url}  (Ctrl-C to stop)`);
      const stop = () => void s.close().then(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    },
    (error: unknown) => {
      console.error(`openai-batch: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
}
