// The ETA-aware schedule end to end: the real clients over HTTP against the mock provider server,
// with scripted time running 20x real time. A job that ends early, a straggler that sits at 100%
// while still running, and a job whose counts never move.
import { type JobSnapshot, type PollEvent, waitForJob } from '@batchwatch/core';
import { createRunflowClient, runflowBatch } from '@batchwatch/runflow-client';
import { afterEach, describe, expect, it } from 'vitest';
import { type JobScript, type MockProviderServer, startMockProviderServer } from '../src/server.js';

const SPEED = 20;
/** The default schedule, every interval divided by SPEED, so delays are in scripted time / SPEED. */
const SCHEDULE = { minIntervalMs: 1000 / SPEED, maxIntervalMs: 30_000 / SPEED, resolveOnUnsuccessful: true };
// Scripted ms a request's round trip and the timers may add on a busy machine.
const SLACK = 60 * SPEED;

const open: MockProviderServer[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

async function watch(script: JobScript) {
  const server = await startMockProviderServer({
    speed: SPEED,
    jobs: [{ provider: 'runflow', kind: 'batch', script }],
  });
  open.push(server);
  const id = server.jobs[0]?.id as string;
  const source = runflowBatch(createRunflowClient({ apiKey: 'k', baseUrl: server.urls.runflow }));
  const events: PollEvent[] = [];
  const snapshots: JobSnapshot<unknown>[] = [];
  const startedAt = Date.now();
  const final = await waitForJob(source, id, {
    ...SCHEDULE,
    onPoll: (e) => events.push(e),
    onSnapshot: (s) => snapshots.push(s),
  });
  // Scripted time since the job was created, when the end was seen.
  const seenAt = (final.observedAt - startedAt) * SPEED;
  return { final, seenAt, events, snapshots, requests: events.length };
}

describe('the ETA-aware schedule against the mock provider server', () => {
  it('should see a job that ends long before its predicted end within half its age', async () => {
    // 200 items planned over 100 s; at 30 s (about 28% done) the batch fails.
    const { final, seenAt, events } = await watch({
      phases: [
        { state: 'queued', ms: 2000 },
        { state: 'running', ms: 28_000, progress: [0, 0.28] },
      ],
      total: 200,
      end: 'failed',
    });
    expect(final.status).toBe('failed');
    expect(seenAt - 30_000).toBeLessThanOrEqual(0.5 * 30_000 + SLACK);
    expect(events.some((e) => e.delaySource === 'approach' || e.delaySource === 'age')).toBe(true);
  });

  it('should back off a straggler in proportion to how overdue it is, and still see its end', async () => {
    // All 50 items done by 22 s; the batch reports running until 40 s.
    const { final, seenAt, events, snapshots } = await watch({
      phases: [
        { state: 'queued', ms: 2000 },
        { state: 'running', ms: 20_000, progress: [0, 1] },
        { state: 'running', ms: 18_000, progress: 1 },
      ],
      total: 50,
    });
    expect(final.status).toBe('succeeded');
    expect(snapshots.some((s) => s.estimate !== undefined)).toBe(true);
    expect(events.some((e) => e.delaySource === 'overdue')).toBe(true);
    // About 18 s overdue at the end: seen within a tenth of that, give or take the window and the machine.
    expect(seenAt - 40_000).toBeLessThanOrEqual(0.1 * 18_000 + 1000 + SLACK);
  });

  it('should poll a job whose counts never move by its age, and see its end within a tenth of its age', async () => {
    const { final, seenAt, events, snapshots } = await watch({
      phases: [
        { state: 'queued', ms: 2000 },
        { state: 'running', ms: 38_000, progress: 0 },
      ],
      total: 10,
    });
    expect(final.status).toBe('succeeded');
    expect(snapshots.every((s) => s.estimate === undefined)).toBe(true);
    const sources = new Set(events.flatMap((e) => (e.delaySource ? [e.delaySource] : [])));
    expect([...sources]).toEqual(['age']);
    expect(seenAt - 40_000).toBeLessThanOrEqual(0.1 * 40_000 + SLACK);
  });
});
