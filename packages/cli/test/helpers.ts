// Shared by the CLI end-to-end tests: spawn the built binary, and a mock server with keys and base URLs.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type MockProviderServer, startMockProviderServer } from '@batchwatch/msw/server';

// BATCHWATCH_BIN runs the tests against another build (e.g. the commit before a fix, to see them fail).
const BIN = process.env.BATCHWATCH_BIN ?? fileURLToPath(new URL('../dist/bin.js', import.meta.url));
export const KEYS = { supermetrics: 'sm_test_key', runflow: 'rf_test_token', check: 'vfy_test_key' };

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `batchwatch <args>` with only PATH and `env` in its environment. */
export function cli(
  args: string[],
  env: Record<string, string> = {},
  onSpawn?: (child: ChildProcess) => void,
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d;
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    onSpawn?.(child);
  });
}

/** A mock server that checks {@link KEYS}, the env that carries them, and `--base-url` flags for it. */
export async function startCliServer(): Promise<{
  server: MockProviderServer;
  env: Record<string, string>;
  baseUrls: string[];
}> {
  const server = await startMockProviderServer({ seed: 1, apiKeys: KEYS });
  const env = { SUPERMETRICS_API_KEY: KEYS.supermetrics, RUNFLOW_API_TOKEN: KEYS.runflow, CHECK_API_KEY: KEYS.check };
  const baseUrls = Object.entries(server.urls).flatMap(([p, url]) => ['--base-url', `${p}=${url}`]);
  return { server, env, baseUrls };
}

/** What a hostile provider answers to one request. */
export interface Reply {
  status?: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** A provider under the test's control on 127.0.0.1: `route(method, path, headers)` answers each request. */
export async function startHostileServer(
  route: (method: string, path: string, headers: Record<string, string | string[] | undefined>) => Reply,
): Promise<{ url: string; requests: string[]; close(): Promise<void> }> {
  const { createServer } = await import('node:http');
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const reply = route(req.method ?? 'GET', req.url ?? '/', req.headers);
    const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
    res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers });
    res.end(text);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A Runflow batch body with the fields the source reads. */
export function runflowBatchBody(id: string, fields: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    status_code: 'running',
    items_total: 10,
    items_succeeded: 5,
    items_failed: 0,
    items_cancelled: 0,
    created_at: '2026-11-27T10:00:00Z',
    ...fields,
  };
}
