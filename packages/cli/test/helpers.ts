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

/** Runs `batchwatch <args>` with only PATH and `env` in its environment, in `cwd` (default: this process's). */
export function cli(
  args: string[],
  env: Record<string, string> = {},
  onSpawn?: (child: ChildProcess) => void,
  cwd?: string,
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd,
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

/** What a run in a pseudo-terminal left on the screen. */
export interface TtyRun {
  code: number | null;
  /** Everything the terminal received, escape sequences included. */
  raw: string;
  /** The screen and scrollback as a terminal `columns` wide shows them, trailing blank lines removed. */
  lines: string[];
  /** Whether any line was wrapped onto the next one by the terminal. */
  wrapped: boolean;
}

const quote = (arg: string) => `'${arg.replace(/'/g, `'\\''`)}'`;

/**
 * Runs `batchwatch <args>` in a pseudo-terminal `columns` wide (util-linux `script`, present on
 * every Debian machine; no native module), then replays its output through a headless xterm of
 * the same size to get the screen a user sees.
 */
export async function tty(args: string[], env: Record<string, string>, columns: number, rows = 40): Promise<TtyRun> {
  const command = `stty cols ${columns} rows ${rows}; exec ${[process.execPath, BIN, ...args].map(quote).join(' ')}`;
  const { spawn: spawnChild } = await import('node:child_process');
  const { code, raw } = await new Promise<{ code: number | null; raw: string }>((resolve, reject) => {
    const child = spawnChild('script', ['-qfec', command, '/dev/null'], {
      env: { PATH: process.env.PATH ?? '', TERM: 'xterm-256color', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      out += d;
    });
    child.on('error', reject);
    child.on('close', (exit) => resolve({ code: exit, raw: out }));
  });
  const { default: xterm } = await import('@xterm/headless');
  const term = new xterm.Terminal({ cols: columns, rows, scrollback: 5000, allowProposedApi: true });
  await new Promise<void>((resolve) => term.write(raw, resolve));
  const buffer = term.buffer.active;
  const lines: string[] = [];
  let wrapped = false;
  for (let i = 0; i < buffer.length; i++) {
    const line = buffer.getLine(i);
    if (!line) continue;
    wrapped ||= line.isWrapped;
    lines.push(line.translateToString(true));
  }
  while (lines.length > 0 && lines.at(-1) === '') lines.pop();
  term.dispose();
  return { code, raw, lines, wrapped };
}
