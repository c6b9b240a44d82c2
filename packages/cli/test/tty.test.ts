// The live display in a real pseudo-terminal at 80, 120 and 200 columns (issue 18, point 2): the
// screen a user is left with, replayed through a headless xterm. Jobs end after counted polls, so
// the final screen does not depend on timing.
import { type MockProviderServer, script } from '@batchwatch/msw/server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cli, type Reply, runflowBatchBody, startCliServer, startHostileServer, tty } from './helpers.js';

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

function addJobs() {
  const ok = server.mock.addJob('runflow', 'batch', script.lifecycle({ queuedPolls: 1, progress: [0.5, 1] }));
  const failed = server.mock.addJob('runflow', 'batch', {
    ...script.lifecycle({ queuedPolls: 1, progress: [0.5], end: 'failed' }),
    total: 10,
  });
  const partial = server.mock.addJob('check', 'batch', {
    ...script.lifecycle({ queuedPolls: 0, progress: [1], end: 'partially_succeeded' }),
    total: 20,
  });
  const query = server.mock.addJob('supermetrics', 'query', script.lifecycle({ queuedPolls: 2 }));
  return {
    ok: `runflow:batch:${ok}`,
    failed: `runflow:batch:${failed}`,
    partial: `check:batch:${partial}`,
    query: `supermetrics:query:${query}`,
  };
}

/** The screen row of a job: the line that starts with its provider and ends its reference (ids are elided in the middle). */
const rowOf = (lines: readonly string[], ref: string) =>
  lines.find((line) => line.startsWith(ref.slice(0, 5)) && line.split(' ')[0]?.endsWith(ref.slice(-6))) ?? '';

describe.each([80, 120, 200])('batchwatch watch in a %i-column terminal', (columns) => {
  it('should fit every line, keep status and failure reason, and name what did not succeed', async () => {
    const refs = addJobs();
    const run = await tty(['watch', ...Object.values(refs), ...baseUrls, ...fast], env, columns);
    expect(run.code).toBe(1);
    expect(run.wrapped).toBe(false);
    for (const line of run.lines) expect(line.length).toBeLessThan(columns);
    const rows = Object.fromEntries(Object.entries(refs).map(([k, ref]) => [k, rowOf(run.lines, ref)]));
    expect(rows.ok).toMatch(/ 100% succeeded /);
    expect(rows.query).toMatch(/ 100% succeeded /);
    expect(rows.failed).toMatch(/ failed .*All 10 items failed\./);
    expect(rows.partial).toMatch(/ partially_succeeded .*of 20 items failed/);
    // The summary names each job that did not succeed, and why.
    const summary = run.lines.slice(run.lines.findIndex((l) => l.startsWith('4 jobs: ')));
    expect(summary[0]).toBe(
      `4 jobs: 2 succeeded, 1 failed, 1 partially_succeeded (${summary[0]?.match(/\(([\d.]+s)\)$/)?.[1]})`,
    );
    expect(summary).toHaveLength(3);
    expect(summary.find((l) => l.startsWith('  failed '))).toMatch(/runflow:batch:.*: All 10 items failed\./);
    expect(summary.find((l) => l.startsWith('  partially_succeeded '))).toMatch(/check:batch:.*: \d+ of 20 items/);
    if (columns >= 120) {
      // Counts with the failed count, and the elapsed time, have room.
      expect(rows.partial).toMatch(/ 20\/20 \(\d+ failed\) +\d+\.\ds /);
      expect(rows.ok).toMatch(/ \d+\/\d+ +\d+\.\ds$/);
    }
    if (columns >= 200) {
      // Whole ids and a full-width bar.
      for (const ref of Object.values(refs)) expect(run.lines.some((l) => l.startsWith(`${ref} `))).toBe(true);
      expect(rows.ok).toContain('\u2588'.repeat(24));
    } else {
      expect(rows.ok).toContain('…');
    }
  });
});

describe('batchwatch watch in a terminal, hostile provider', () => {
  it('should never pass provider escape sequences through to the terminal (bar display and summary)', async () => {
    const ID = '3c90c3cc-0d44-4b50-8888-8dd25736052a';
    const hostile = await startHostileServer(
      (): Reply => ({
        body: runflowBatchBody(ID, {
          status_code: 'failed',
          items_failed: 10,
          items_succeeded: 0,
          failure_message: 'boom \u001b]52;c;cm0gLXJmIH4=\u0007\u001b]0;pwned\u0007\u009b2J',
        }),
      }),
    );
    try {
      const run = await tty(
        ['watch', `runflow:batch:${ID}`, '--base-url', `runflow=${hostile.url}`, ...fast],
        { RUNFLOW_API_TOKEN: 'rf_token' },
        100,
      );
      expect(run.code).toBe(1);
      expect(run.raw).not.toContain('\u001b]');
      expect(run.raw).not.toContain('\u0007');
      expect(run.raw).not.toContain('\u009b');
      expect(run.lines.some((l) => l.includes('boom \\x1b]52;c;'))).toBe(true);
    } finally {
      await hostile.close();
    }
  });
});

describe('fatal errors (issue 18, point 8)', () => {
  it('should say a refused key is fatal and which variable to check, not that it backs off', async () => {
    const id = server.mock.addJob('runflow', 'batch');
    const run = await cli(['watch', `runflow:batch:${id}`, ...baseUrls, ...fast], { RUNFLOW_API_TOKEN: 'rf_wrong' });
    expect(run.code).toBe(1);
    expect(run.stdout).not.toContain('backoff');
    expect(run.stdout).not.toContain('next poll in');
    expect(run.stdout).toContain('ended error');
    expect(run.stdout).toContain('HTTP 401');
    expect(run.stdout).toContain('fatal: the key was refused, check RUNFLOW_API_TOKEN');
    const flag = await cli(['watch', `runflow:batch:${id}`, '--runflow-key', 'rf_wrong', ...baseUrls, ...fast]);
    expect(flag.stdout).toContain('fatal: the key was refused, check --runflow-key');
  });

  it('should say a missing job is fatal and to check the id', async () => {
    const run = await cli(['watch', 'runflow:batch:3c90c3cc-0d44-4b50-8888-8dd25736052a', ...baseUrls, ...fast], env);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('fatal: no such runflow batch, check the id');
  });
});

describe('batchwatch with no command (issue 18, point 11)', () => {
  it('should exit 2 and print the help', async () => {
    const run = await cli([]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('missing command');
    expect(run.stderr).toContain('Usage:\n  batchwatch watch <provider>:<kind>:<id>...');
    expect(run.stderr).toContain('Exit codes:');
  });
});
