// The ETA column end to end (issue 14): the built binary watches a mock job whose count moves with
// the clock, and shows the end core estimates from the polls it made. What is asserted does not
// depend on timing: no estimate before the count moved, a rough one (`~`) first, a surer one once
// the count moved a few more times, none on queued or ended lines.
import { type MockProviderServer, script } from '@batchwatch/msw/server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cli, startCliServer, tty } from './helpers.js';

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

/** A Check batch of 60 items, queued briefly, then done in `runningMs` of real time (the server runs at 1x). */
const addMovingJob = (runningMs = 3_000) =>
  `check:batch:${server.mock.addJob('check', 'batch', { ...script.timed({ queuedMs: 300, runningMs }), total: 60 })}`;

describe('batchwatch watch shows the ETA core estimates', () => {
  it('should print an ETA on running lines once the count moved: rough first, then surer, never once ended', async () => {
    const ref = addMovingJob();
    const run = await cli(['watch', ref, ...baseUrls, ...fast], env);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n').filter((line) => line.includes(` ${ref} `));
    const running = lines.filter((line) => line.includes(' running '));
    expect(lines[0]).toMatch(/ queued( \[\w+\])? 0\/60$/);
    // One running snapshot is one point: no rate yet.
    expect(running[0]).toMatch(/ \d+\/60$/);
    const withEta = running.filter((line) => / eta ~?\d+s$/.test(line));
    expect(withEta.length).toBeGreaterThan(1);
    // The first estimate comes from the first change of the count: low confidence, marked `~`.
    expect(withEta[0]).toMatch(/ \d+\/60 eta ~\d+s$/);
    expect(withEta.some((line) => / eta \d+s$/.test(line))).toBe(true);
    for (const line of lines.filter((l) => !l.includes(' running '))) expect(line).not.toContain(' eta ');
    expect(lines.at(-1)).toMatch(/ ended succeeded 60\/60 after /);
  });

  it("should carry core's estimate in each running NDJSON snapshot once the count moved", async () => {
    const ref = addMovingJob();
    const run = await cli(['watch', ref, '--json', ...baseUrls, ...fast], env);
    expect(run.code).toBe(0);
    const snapshots = run.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    const running = snapshots.filter((s) => s.status === 'running');
    expect(running[0].estimate).toBeUndefined();
    const estimated = running.filter((s) => s.estimate !== undefined);
    expect(estimated.length).toBeGreaterThan(1);
    for (const { estimate, observedAt } of estimated) {
      expect(estimate).toEqual({
        endsAt: expect.any(Number),
        remainingMs: expect.any(Number),
        itemsPerSecond: expect.any(Number),
        confidence: expect.stringMatching(/^(low|medium|high)$/),
      });
      expect(estimate.itemsPerSecond).toBeGreaterThan(0);
      expect(estimate.remainingMs).toBe(Math.max(0, estimate.endsAt - observedAt));
    }
    expect(estimated[0].estimate.confidence).toBe('low');
    expect(estimated.some((s) => s.estimate.confidence !== 'low')).toBe(true);
    // Queued and ended snapshots have none.
    expect(snapshots.filter((s) => s.status !== 'running').map((s) => s.estimate)).toEqual([undefined, undefined]);
  });

  it('should show the ETA column in the live display of a 120-column terminal, and drop it once the job ended', async () => {
    const ref = addMovingJob(4_000);
    const run = await tty(['watch', ref, ...baseUrls, ...fast], env, 120);
    expect(run.code).toBe(0);
    // Some frame drew the running row with an ETA between the elapsed time and the next poll.
    expect(run.raw).toMatch(/ running +\d+\/60 +\d+\.\ds eta ~?\d+s +next \d/);
    const row = run.lines.find((line) => line.startsWith(ref));
    expect(row).toMatch(/ 100% succeeded +60\/60 +\d+\.\ds$/);
    expect(run.lines.join('\n')).not.toContain(' eta ');
  });
});
