import { type MockProviderServer, script } from '@batchwatch/msw/server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cli, startCliServer } from './helpers.js';

let server: MockProviderServer;
let env: Record<string, string>;
let baseUrls: string[];
beforeEach(async () => {
  ({ server, env, baseUrls } = await startCliServer());
});
afterEach(async () => {
  await server.close();
});

const fast = ['--min-interval', '20ms', '--max-interval', '100ms'];

describe('batchwatch watch', () => {
  it('should watch jobs of all three providers to their ends and exit 0 when all succeeded', async () => {
    const ids = [
      `runflow:batch:${server.mock.addJob('runflow', 'batch', script.lifecycle({ queuedPolls: 1, progress: [0.5, 1] }))}`,
      `check:batch:${server.mock.addJob('check', 'batch', script.lifecycle({ queuedPolls: 1, progress: [0.3, 1] }))}`,
      `supermetrics:query:${server.mock.addJob('supermetrics', 'query', script.lifecycle({ queuedPolls: 2 }))}`,
    ];
    const run = await cli(['watch', ...ids, ...baseUrls, ...fast], env);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    for (const id of ids) expect(run.stdout).toContain(`${id} ended succeeded`);
    expect(run.stdout).toContain('3 jobs: 3 succeeded');
    expect(run.stdout).toMatch(/running .*\d+\/\d+/);
  });

  it('should print one NDJSON snapshot per change with --json', async () => {
    const id = server.mock.addJob('runflow', 'batch', script.lifecycle({ queuedPolls: 2, progress: [0.5, 0.5, 1] }));
    const run = await cli(['watch', `runflow:batch:${id}`, '--json', ...baseUrls, ...fast], env);
    expect(run.code).toBe(0);
    const lines = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.status)).toEqual(['queued', 'running', 'running', 'succeeded']);
    expect(lines.every((l) => l.ref === `runflow:batch:${id}` && l.provider === 'runflow')).toBe(true);
    expect(lines.at(-1)).toMatchObject({ isTerminal: true, progress: { fraction: 1 } });
  });

  it.each([
    ['failed', 1],
    ['cancelled', 1],
    ['partially_succeeded', 1],
  ] as const)('should exit %s -> %i', async (end, code) => {
    const id = server.mock.addJob('check', 'batch', script.lifecycle({ queuedPolls: 0, progress: [1], end }));
    const run = await cli(['watch', `check:batch:${id}`, ...baseUrls, ...fast], env);
    expect(run.code).toBe(code);
    expect(run.stdout).toContain(`ended ${end}`);
  });

  it('should exit 3 when --timeout passes', async () => {
    const id = server.mock.addJob('runflow', 'batch', script.timed({ queuedMs: 60_000, runningMs: 60_000 }));
    const run = await cli(['watch', `runflow:batch:${id}`, '--timeout', '300ms', ...baseUrls, ...fast], env);
    expect(run.code).toBe(3);
    expect(run.stdout).toContain('ended timeout');
  });

  it('should exit 130 on Ctrl-C and send nothing after it', async () => {
    const id = server.mock.addJob('runflow', 'batch', script.timed({ queuedMs: 60_000, runningMs: 60_000 }));
    let sentAt = 0;
    const run = await cli(['watch', `runflow:batch:${id}`, ...baseUrls, ...fast], env, (child) => {
      child.stdout?.once('data', () => {
        sentAt = server.mock.requests.length;
        child.kill('SIGINT');
      });
    });
    expect(run.code).toBe(130);
    expect(run.stdout).toContain('interrupted');
    // At most the poll already in flight when the signal arrived.
    expect(server.mock.requests.length - sentAt).toBeLessThanOrEqual(1);
  });
});

describe('batchwatch usage errors (exit 2, nothing sent)', () => {
  it.each([
    [['watch', 'acme:batch:1'], 'unknown provider "acme"'],
    [['watch', 'runflow-batch-1'], 'malformed job reference'],
    [['watch', 'runflow:job:1'], 'unknown kind "job" for runflow'],
    [['watch', 'runflow:batch:not-a-uuid'], 'invalid id in "runflow:batch:not-a-uuid"'],
    [['watch', 'supermetrics:query:has space'], 'invalid id'],
    [['watch'], 'at least one job reference'],
    [['launch'], 'unknown command "launch"'],
    [['watch', 'check:batch:batch_1', '--timeout', 'soon'], 'invalid --timeout "soon"'],
    [['watch', 'check:batch:batch_1', '--frobnicate'], 'Unknown option'],
  ])('should reject %j', async (args, message) => {
    const run = await cli([...args, ...baseUrls], env);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(run.stdout).toBe('');
    expect(server.mock.requests).toHaveLength(0);
  });

  it('should name the variable to set when a key is missing', async () => {
    const run = await cli(['watch', 'check:batch:batch_abc', ...baseUrls], {});
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('set CHECK_API_KEY');
  });

  it('should never print a key, even when the provider rejects it', async () => {
    const id = server.mock.addJob('runflow', 'batch');
    const run = await cli(['watch', `runflow:batch:${id}`, ...baseUrls, ...fast], {
      RUNFLOW_API_TOKEN: 'rf_wrong_SECRET',
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('HTTP 401');
    expect(`${run.stdout}${run.stderr}`).not.toContain('rf_wrong_SECRET');
  });
});

describe('batchwatch demo', () => {
  it('should run every demo job to its scripted end', async () => {
    const run = await cli(['demo', '--speed', '12']);
    expect(run.stderr).toContain('Mock providers on http://127.0.0.1:');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('8 jobs: ');
    for (const end of ['succeeded', 'partially_succeeded', 'failed', 'cancelled'])
      expect(run.stdout).toContain(`ended ${end}`);
    // The demo's counts move with the clock, so running jobs show the end core estimates.
    expect(run.stdout).toMatch(/ running .*\d+\/\d+.* eta ~?\d+s$/m);
  }, 60_000);
});
