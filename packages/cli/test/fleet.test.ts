// `batchwatch worker --redis` and `batchwatch watch --redis`: the built binary, a real redis-server
// (started by the bullmq package's test helper) and the mock provider server.
import type { ChildProcess } from 'node:child_process';
import { type MockProviderServer, script, startMockProviderServer } from '@batchwatch/msw/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type TestRedis } from '../../bullmq/test/redis.js';
import { acmeMock as acme, ACME_SOURCES as MODULE } from './acme.js';
import { cli, KEYS, startCliServer } from './helpers.js';

let redis: TestRedis;
let server: MockProviderServer;
let env: Record<string, string>;
let baseUrls: string[];

beforeAll(async () => {
  redis = await startRedis();
  ({ server, env, baseUrls } = await startCliServer());
});
afterAll(async () => {
  await server?.close();
  await redis?.close();
});

const fast = ['--min-interval', '50ms', '--max-interval', '200ms'];

/** Starts `batchwatch worker` and resolves once it says it is polling. */
async function startWorker(extra: string[] = []) {
  let child!: ChildProcess;
  const run = cli(['worker', '--redis', redis.url, ...baseUrls, ...fast, ...extra], env, (c) => {
    child = c;
  });
  let stderr = '';
  await new Promise<void>((resolve, reject) => {
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d;
      if (stderr.includes('polling')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`worker exited with ${code}: ${stderr}`)));
  });
  return { child, run };
}

describe('batchwatch worker --redis / watch --redis', () => {
  it('should poll jobs added by watch --redis in a worker process, and stop on SIGTERM', async () => {
    const { child, run: workerRun } = await startWorker(['--rps', 'check=20', '--concurrency', '4']);
    const ids = [0, 1].map(() =>
      server.mock.addJob('check', 'batch', script.lifecycle({ queuedPolls: 1, progress: [0.5, 1] })),
    );
    const failed = server.mock.addJob(
      'runflow',
      'batch',
      script.lifecycle({ queuedPolls: 1, progress: [0.5], end: 'failed' }),
    );
    // No keys in the environment of the watcher: the worker holds them.
    const watch = await cli(['watch', '--redis', redis.url, '--json', ...ids.map((id) => `check:batch:${id}`)]);
    expect(watch.stderr).toBe('');
    expect(watch.code).toBe(0);
    const lines = watch.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    for (const id of ids) {
      expect(lines.filter((l) => l.id === id).map((l) => l.status)).toEqual([
        'queued',
        'running',
        'running',
        'succeeded',
      ]);
    }
    const bad = await cli(['watch', '--redis', redis.url, `runflow:batch:${failed}`]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('ended failed');
    // Every request the provider saw came from the worker, with the worker's key.
    expect(server.mock.requests.every((r) => r.status !== 401)).toBe(true);
    child.kill('SIGTERM');
    const ended = await workerRun;
    expect(ended.code).toBe(0);
    expect(ended.stderr).toContain('batchwatch worker: stopped');
    expect(ended.stderr).not.toContain(KEYS.check);
  });

  it('should poll a provider of your own given with --sources, in the worker and the watcher', async () => {
    const own = await startMockProviderServer({ providers: [acme], seed: 4 });
    try {
      // The worker has no built-in key: the module's provider is the one it polls.
      const ownEnv = { ACME_BASE_URL: own.urls.acme, ACME_KEY: 'acme_worker_key' };
      let child!: ChildProcess;
      const workerRun = cli(
        ['worker', '--redis', redis.url, '--sources', MODULE, '--rps', 'acme=20', ...fast],
        ownEnv,
        (c) => {
          child = c;
        },
      );
      await new Promise<void>((resolve) => {
        let text = '';
        child.stderr?.on('data', (d: Buffer) => {
          text += d;
          if (text.includes('polling acme jobs')) resolve();
        });
      });
      const id = own.mock.addJob('acme', 'export', {
        ...script.lifecycle({ queuedPolls: 1, progress: [0.5, 1] }),
        total: 4,
      });
      const watch = await cli(['watch', '--redis', redis.url, '--sources', MODULE, `acme:export:${id}`], ownEnv);
      expect(watch.stderr).toBe('');
      expect(watch.code).toBe(0);
      expect(watch.stdout).toContain(`acme:export:${id} ended succeeded`);
      child.kill('SIGTERM');
      expect((await workerRun).code).toBe(0);
      expect(own.mock.requests.length).toBeGreaterThan(0);
    } finally {
      await own.close();
    }
  });

  it('should refuse bad input with exit 2 before touching Redis', async () => {
    const noRedis = await cli(['worker', ...baseUrls], env);
    expect(noRedis.code).toBe(2);
    expect(noRedis.stderr).toContain('worker needs --redis');
    const noKeys = await cli(['worker', '--redis', redis.url]);
    expect(noKeys.code).toBe(2);
    expect(noKeys.stderr).toContain('no provider key');
    const badRate = await cli(['worker', '--redis', redis.url, '--rps', 'check=fast'], env);
    expect(badRate.code).toBe(2);
    expect(badRate.stderr).toContain('invalid --rps');
    const badUrl = await cli(['watch', '--redis', 'http://127.0.0.1:1', 'check:batch:batch_abc']);
    expect(badUrl.code).toBe(2);
    const badId = await cli(['watch', '--redis', redis.url, 'check:batch:not an id']);
    expect(badId.code).toBe(2);
    expect(badId.stderr).toContain('invalid id');
  });
});
