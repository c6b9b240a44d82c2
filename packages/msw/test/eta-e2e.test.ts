// The ETA-aware schedule end to end: the real clients over HTTP against the mock provider server,
// with scripted time running 20x real time. A job that ends early, a straggler that sits at 100%
// while still running, and a job whose counts never move. The assertions are on what the schedule
// decided (the delay before the poll that saw the end, against the job's age then), which a busy
// machine cannot change, rather than on wall-clock latency, which it can.
import { type JobSnapshot, type PollEvent, waitForJob } from '@batchwatch/core';
import { createRunflowClient, runflowBatch } from '@batchwatch/runflow-client';
import { afterEach, describe, expect, it } from 'vitest';
import { type JobScript, type MockProviderServer, startMockProviderServer } from '../src/server.js';

const SPEED = 20;
/** The default schedule, every interval divided by SPEED, so delays are in scripted time / SPEED. */
const SCHEDULE = { minIntervalMs: 1000 / SPEED, maxIntervalMs: 30_000 / SPEED, resolveOnUnsuccessful: true };

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
  // Each delay the schedule chose and the job's age when it chose it (when the poll's answer
  // arrived), in scripted ms; `last` is the poll before the one that saw the end. The age counts
  // from the provider's created_at when that is more than a second before the watch started (it
  // can be, on a busy machine: the mock creates the job when it starts, and sends whole seconds).
  const created = Date.parse(final.timestamps.createdAt ?? '');
  const origin = created < startedAt - 1000 ? created : startedAt;
  const decided = (e: PollEvent) => ({
    ageMs: (e.at + e.durationMs - origin) * SPEED,
    delayMs: (e.delayMs ?? 0) * SPEED,
  });
  const last = decided(events.at(-2) as PollEvent);
  const delays = events.filter((e) => e.delayMs !== null).map(decided);
  return { final, last, delays, events, snapshots };
}

describe('the ETA-aware schedule against the mock provider server', () => {
  it('should see a job that ends long before its predicted end within half its age', async () => {
    // 200 items planned over 100 s; at 30 s (about 28% done) the batch fails.
    const { final, last, events, snapshots } = await watch({
      phases: [
        { state: 'queued', ms: 2000 },
        { state: 'running', ms: 28_000, progress: [0, 0.28] },
      ],
      total: 200,
      end: 'failed',
    });
    expect(final.status).toBe('failed');
    expect(snapshots.some((s) => s.estimate !== undefined)).toBe(true);
    // The estimate said about 100 s; the wait before the end was still at most half the job's age.
    expect(last.delayMs).toBeLessThanOrEqual(Math.max(2000, 0.5 * last.ageMs) + SPEED);
    expect(events.some((e) => e.delaySource === 'approach' || e.delaySource === 'age')).toBe(true);
  });

  it('should back off a straggler in proportion to how overdue it is, and still see its end', async () => {
    // All 50 items done by 22 s; the batch reports running until 40 s.
    const { final, last, events, snapshots } = await watch({
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
    // The predicted end was about 22 s: at most a tenth of how overdue the job was when it last looked.
    expect(last.delayMs).toBeLessThanOrEqual(Math.max(1000, 0.1 * (last.ageMs - 22_000) + 1000) + SPEED);
  });

  it('should poll a job whose counts never move by its age, and see its end within a tenth of its age', async () => {
    const { final, delays, events, snapshots } = await watch({
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
    // Every wait a tenth of the job's age, at least 2 s (one scripted ms per real ms of rounding).
    for (const { ageMs, delayMs } of delays) expect(delayMs).toBeLessThanOrEqual(Math.max(2000, 0.1 * ageMs) + SPEED);
    expect(delays.some(({ ageMs, delayMs }) => ageMs > 25_000 && delayMs > 2000 + SPEED)).toBe(true);
  });
});
