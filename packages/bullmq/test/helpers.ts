import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { type CheckClient, checkBatch, createCheckClient } from '@batchwatch/check-client';
import type { JobSource } from '@batchwatch/core';
import { type MockProviderServer, startMockProviderServer } from '@batchwatch/msw/server';
import { createRunflowClient, runflowBatch } from '@batchwatch/runflow-client';
import { Redis } from 'ioredis';

export const KEYS = { check: 'vfy_test_key_0123456789', runflow: 'rf_test_token' };

/** The mock provider server with keys checked, and sources for it. */
export async function startProviders(): Promise<{
  server: MockProviderServer;
  sources: JobSource[];
  check: CheckClient;
}> {
  const server = await startMockProviderServer({ seed: 7, apiKeys: KEYS, maxRequests: 100_000 });
  const check = createCheckClient({ apiKey: KEYS.check, baseUrl: server.urls.check });
  const runflow = createRunflowClient({ apiKey: KEYS.runflow, baseUrl: server.urls.runflow });
  return { server, check, sources: [checkBatch(check) as JobSource, runflowBatch(runflow) as JobSource] };
}

/** Status reads of one job at the mock (GET of the job itself). */
export function readsOf(server: MockProviderServer, id: string): number {
  return server.mock.requests.filter((r) => r.method === 'GET' && r.path.endsWith(`/${id}`)).length;
}

/** A raw Redis client, for looking at (and tampering with) what the fleet stored. */
export function rawRedis(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: 3 });
}

/** Waits until `check()` is true (polling every 20 ms), or throws after `ms`. */
export async function until(check: () => boolean | Promise<boolean>, ms = 20_000, what = 'condition'): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Fast poll options for tests: real time, small intervals. */
export const FAST = { minIntervalMs: 50, initialIntervalMs: 50, maxIntervalMs: 200 } as const;

/** A fleet worker running in a child process (test/fixtures/worker-process.mjs). */
export interface WorkerProcess {
  child: ChildProcess;
  /** Everything it wrote to stderr. */
  stderr(): string;
  /** SIGTERM (graceful close), then waits for the exit. */
  stop(): Promise<void>;
}

const WORKER = fileURLToPath(new URL('./fixtures/worker-process.mjs', import.meta.url));

/** Starts a worker process with `options` (FleetWorkerOptions without sources) and waits for "ready". */
export async function startWorkerProcess(
  redisUrl: string,
  server: MockProviderServer,
  options: Record<string, unknown> = {},
): Promise<WorkerProcess> {
  const child = spawn(process.execPath, [WORKER], {
    env: { ...process.env, FLEET_WORKER: JSON.stringify({ redisUrl, urls: server.urls, keys: KEYS, ...options }) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr?.on('data', (d) => {
    err += d;
  });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d) => {
      out += d;
      if (out.includes('ready')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`worker process exited with ${code}: ${err}`)));
  });
  return {
    child,
    stderr: () => err,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
