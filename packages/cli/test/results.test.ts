import type { MockProviderServer } from '@batchwatch/msw/server';
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
const done = { phases: [] } as const;
const lines = (text: string) => text.trimEnd().split(/\r?\n/);

describe('batchwatch results', () => {
  it('should stream every Supermetrics row as NDJSON', async () => {
    const id = server.mock.addJob('supermetrics', 'query', { ...done, rows: 25_000 });
    const run = await cli(['results', `supermetrics:query:${id}`, ...baseUrls], env);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const items = lines(run.stdout).map((l) => JSON.parse(l));
    expect(items).toHaveLength(25_000);
    expect(items.map((i) => i.index)).toEqual(Array.from({ length: 25_000 }, (_, i) => i));
    expect(items[0]).toEqual({
      id: '0',
      index: 0,
      status: 'succeeded',
      raw: { date: expect.any(String), sessions: expect.any(Number), users: expect.any(Number) },
    });
    expect(server.mock.requests.map((r) => r.operationId)).toEqual(Array(3).fill('getQueryStatus'));
  });

  it('should write Supermetrics rows as CSV with a header from the first row', async () => {
    const id = server.mock.addJob('supermetrics', 'query', { ...done, rows: 12 });
    const run = await cli(['results', `supermetrics:query:${id}`, '--format', 'csv', ...baseUrls], env);
    expect(run.code).toBe(0);
    const csv = lines(run.stdout);
    expect(csv[0]).toBe('date,sessions,users');
    expect(csv).toHaveLength(13);
    expect(csv[1]).toMatch(/^\d{4}-\d{2}-\d{2},\d+,\d+$/);
  });

  it('should write item results as CSV with fixed columns, failures included', async () => {
    const id = server.mock.addJob('check', 'batch', { ...done, total: 10, end: 'partially_succeeded' });
    const run = await cli(['results', `check:batch:${id}`, '--format', 'csv', ...baseUrls], env);
    expect(run.code).toBe(0);
    const csv = lines(run.stdout);
    expect(csv[0]).toBe('id,index,status,failure_code,failure_message');
    expect(csv).toHaveLength(11);
    expect(csv[1]).toBe('item_001,0,succeeded,,');
    expect(csv.filter((l) => l.includes(',failed,,Verification timed out'))).toHaveLength(2);
  });

  it('should stream Runflow items and Supermetrics batch queries as NDJSON, stopping at --max', async () => {
    const rf = server.mock.addJob('runflow', 'batch', { ...done, total: 30, end: 'partially_succeeded' });
    const run = await cli(['results', `runflow:batch:${rf}`, '--max', '7', ...baseUrls], env);
    expect(run.code).toBe(0);
    const items = lines(run.stdout).map((l) => JSON.parse(l));
    expect(items.map((i) => i.index)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(items[0].raw.batch_id).toBe(rf);
    const sm = server.mock.addJob('supermetrics', 'batch', { ...done, total: 5, end: 'partially_succeeded' });
    const batch = await cli(['results', `supermetrics:batch:${sm}`, ...baseUrls], env);
    const queries = lines(batch.stdout).map((l) => JSON.parse(l));
    expect(queries.map((q) => q.id)).toEqual([1, 2, 3, 4, 5].map((n) => `${sm}_query_${n}`));
    expect(queries.find((q) => q.status === 'failed')?.failure.code).toBe('QUERY_ACCOUNT_UNAVAILABLE');
  });

  it('should retry a results page that fails once and print each row exactly once', async () => {
    const id = server.mock.addJob('supermetrics', 'query', {
      ...done,
      rows: 30_000,
      resultFaults: [{ kind: 'server-error', at: 1 }],
    });
    const run = await cli(['results', `supermetrics:query:${id}`, ...baseUrls, ...fast], env);
    expect(run.code).toBe(0);
    const indexes = lines(run.stdout).map((l) => JSON.parse(l).index);
    expect(indexes).toEqual(Array.from({ length: 30_000 }, (_, i) => i));
    expect(server.mock.requests.map((r) => r.status)).toEqual([200, 500, 200, 200]);
  });

  it('should exit 1 with the job status when a Supermetrics query has not ended, --partial or not', async () => {
    const id = server.mock.addJob('supermetrics', 'query', { phases: [{ state: 'running', polls: 5 }] });
    for (const partial of [[], ['--partial']]) {
      const run = await cli(['results', `supermetrics:query:${id}`, ...partial, ...baseUrls], env);
      expect(run.code).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr).toContain(`supermetrics:query:${id} has no results yet: it is running (RUNNING, `);
    }
  });

  // Issue 18 point 4: one rule for every provider (a running Runflow batch used to print pending items and exit 0).
  it.each([
    ['runflow', 'batch', 'it is running ('],
    ['check', 'batch', 'it is running (processing, '],
    ['supermetrics', 'batch', 'it is running (RUNNING, '],
  ] as const)('should exit 1 with the job status when a %s %s has not ended', async (provider, kind, status) => {
    const id = server.mock.addJob(provider, kind, {
      phases: [{ state: 'running', polls: 50, progress: 0.5 }],
      total: 10,
    });
    const run = await cli(['results', `${provider}:${kind}:${id}`, ...baseUrls], env);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`${provider}:${kind}:${id} has no results yet: ${status}`);
    expect(run.stderr).toContain('pass --partial');
    expect(run.code).toBe(1);
  });

  it('should write the items a running job has so far with --partial', async () => {
    const id = server.mock.addJob('runflow', 'batch', {
      phases: [{ state: 'running', polls: 50, progress: 0.5 }],
      total: 10,
    });
    const run = await cli(['results', `runflow:batch:${id}`, '--partial', ...baseUrls], env);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const items = lines(run.stdout).map((l) => JSON.parse(l));
    expect(items).toHaveLength(10);
    expect(items.some((i) => i.status === 'pending')).toBe(true);
    expect(items.some((i) => i.status === 'succeeded')).toBe(true);
  });

  it('should exit 130 on Ctrl-C and send nothing after it', async () => {
    const id = server.mock.addJob('supermetrics', 'query', {
      ...done,
      rows: 100_000,
      resultFaults: [{ kind: 'slow', at: 1, delayMs: 60_000 }],
    });
    let sentAt = 0;
    const run = await cli(['results', `supermetrics:query:${id}`, ...baseUrls], env, (child) => {
      child.stdout?.once('data', () => {
        sentAt = server.mock.requests.length;
        child.kill('SIGINT');
      });
    });
    expect(run.code).toBe(130);
    expect(run.stderr).toContain('interrupted');
    expect(server.mock.requests.length - sentAt).toBeLessThanOrEqual(1);
  });

  it.each([
    [['results'], 'exactly one job reference'],
    [['results', 'check:batch:batch_abc', 'check:batch:batch_def'], 'exactly one job reference'],
    [['results', 'check:batch:batch_abc', '--format', 'xml'], 'invalid --format "xml": expected ndjson or csv'],
    [['results', 'check:batch:batch_abc', '--max', '0'], 'invalid --max "0"'],
    [['results', 'runflow:run:0190f2a4-5b6c-7d8e-9f01-23456789abcd'], 'runflow:run jobs have no results'],
    [['results', 'runflow:batch:nope'], 'invalid id'],
  ])('should reject %j with exit 2 before any request', async (args, message) => {
    const run = await cli([...args, ...baseUrls], env);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(run.stdout).toBe('');
    expect(server.mock.requests).toHaveLength(0);
  });
});
