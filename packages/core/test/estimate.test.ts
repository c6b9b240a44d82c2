// The estimate of a running job's end, and the ETA-aware schedule driven by it, through watchJob,
// pollOnce and the scheduler with a hand-driven clock.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createSnapshot } from '../src/client-kit/index.js';
import { createJobHandle, pollOnce } from '../src/handles.js';
import {
  type JobSnapshot,
  type JobSource,
  type JobStatus,
  type PollEvent,
  type ScheduleOptions,
  watchJob,
} from '../src/index.js';
import { createJobScheduler } from '../src/scheduler.js';
import { type ManualClock, manualClock } from './helpers.js';

const S = 1000;

/** A job that lives on the clock: queued, then running with its count from `countAt`, then ended. */
interface TimedJob {
  queuedMs: number;
  /** When the job ends, in ms after it was created. */
  endMs: number;
  total: number | null;
  /** The count at `t` ms after creation while running (defaults to linear from the start of the run to the end). */
  countAt?: (t: number) => number;
  end?: JobStatus;
}

function timedSource(clock: ManualClock, job: TimedJob, createdAt = clock.now()) {
  const calls: number[] = [];
  const runMs = job.endMs - job.queuedMs;
  const countAt = job.countAt ?? ((t: number) => Math.floor(((job.total ?? 0) * (t - job.queuedMs)) / runMs));
  const source: JobSource<null> = {
    provider: 'fake',
    kind: 'timed',
    async fetchSnapshot(id, context) {
      const t = context.now() - createdAt;
      calls.push(context.now());
      const status: JobStatus = t >= job.endMs ? (job.end ?? 'succeeded') : t >= job.queuedMs ? 'running' : 'queued';
      const completed = status === 'queued' || job.total === null ? 0 : Math.min(job.total, countAt(t));
      const snapshot = createSnapshot({
        provider: 'fake',
        kind: 'timed',
        id,
        status,
        rawStatus: status,
        progress: { completed: t >= job.endMs && job.total !== null ? job.total : completed, total: job.total },
        observedAt: context.now(),
        raw: null,
      });
      return { snapshot, hints: {} };
    },
  };
  return { source, calls };
}

/** Watches `job` to its end; returns when the end was seen, the polls, and every delivered snapshot. */
async function watchToEnd(job: TimedJob, options: ScheduleOptions = {}) {
  const clock = manualClock(1_000_000);
  const { source, calls } = timedSource(clock, job);
  const snapshots: JobSnapshot<null>[] = [];
  const events: PollEvent[] = [];
  const watch = watchJob(source, 'j1', {
    clock,
    resolveOnUnsuccessful: true,
    onSnapshot: (s) => snapshots.push(s),
    onPoll: (e) => events.push(e),
    random: () => 0.5,
    ...options,
  });
  let final: JobSnapshot<null> | undefined;
  watch.done.then((s) => {
    final = s;
  });
  for (let i = 0; i < 10_000 && !final; i++) await clock.advance(250);
  if (!final) throw new Error('the job was never seen to end');
  return { latencyMs: final.observedAt - (1_000_000 + job.endMs), calls, snapshots, events, clock };
}

describe('the estimate of a running job', () => {
  it('should predict the end of a steadily progressing job and carry it on the snapshot', async () => {
    const { snapshots } = await watchToEnd({ queuedMs: 3 * S, endMs: 103 * S, total: 200 });
    const running = snapshots.filter((s) => s.status === 'running');
    const estimated = running.filter((s) => s.estimate);
    expect(estimated.length).toBeGreaterThan(2);
    expect(running[0]?.estimate).toBeUndefined(); // one point is not a rate
    for (const s of estimated) {
      const estimate = s.estimate as NonNullable<typeof s.estimate>;
      // 200 items in 100 s: 2 per second, ending 103 s after creation. A first estimate from two
      // points is rough; one from many is close.
      const [lo, hi, off] = estimate.confidence === 'high' ? [1.9, 2.1, 4 * S] : [1.3, 2.7, 40 * S];
      expect(estimate.itemsPerSecond).toBeGreaterThan(lo);
      expect(estimate.itemsPerSecond).toBeLessThan(hi);
      expect(Math.abs(estimate.endsAt - (1_000_000 + 103 * S))).toBeLessThan(off);
      expect(estimate.remainingMs).toBe(Math.max(0, estimate.endsAt - s.observedAt));
    }
    const last = estimated.at(-1)?.estimate;
    expect(Math.abs((last?.endsAt ?? 0) - (1_000_000 + 103 * S))).toBeLessThan(S);
    expect(last?.confidence).toBe('high');
    expect(estimated.map((s) => s.estimate?.confidence)).toContain('low');
    expect(snapshots.at(-1)?.estimate).toBeUndefined(); // a terminal snapshot has none
  });

  it('should give no estimate to a job that reports no counts, and poll it by its age', async () => {
    const { snapshots, events } = await watchToEnd({ queuedMs: S, endMs: 200 * S, total: null });
    expect(snapshots.every((s) => s.estimate === undefined)).toBe(true);
    const sources = new Set(events.map((e) => e.delaySource).filter((x) => x !== null));
    expect([...sources].sort()).toEqual(['age']);
  });

  it('should start over when the count goes backwards, and never estimate a negative rate', async () => {
    // The count climbs to 50 by 40 s, drops to 0 (the provider restarted the job) and climbs again.
    const countAt = (t: number) => (t < 40 * S ? Math.floor((t - 2 * S) / 760) : Math.floor((t - 40 * S) / 600));
    const { snapshots } = await watchToEnd({ queuedMs: 2 * S, endMs: 100 * S, total: 100, countAt });
    const afterDrop = snapshots.filter((s) => s.observedAt > 1_000_000 + 40 * S && s.status === 'running');
    for (const s of snapshots) if (s.estimate) expect(s.estimate.itemsPerSecond).toBeGreaterThan(0);
    const rates = afterDrop.flatMap((s) => (s.estimate ? [s.estimate.itemsPerSecond] : []));
    // After the restart: 1 item per 0.6 s is about 1.67 per second, measured from the drop on.
    expect(rates.at(-1)).toBeGreaterThan(1.3);
    expect(rates.at(-1)).toBeLessThan(2.1);
  });

  it('should back off in proportion to how overdue a job is when it sits at 100% and still runs', async () => {
    // All 20 items done by 30 s; the job reports running until 90 s (finalizing).
    const countAt = (t: number) => Math.min(20, Math.floor((t - S) / 1450));
    const { events, latencyMs } = await watchToEnd({ queuedMs: S, endMs: 90 * S, total: 20, countAt });
    expect(events.some((e) => e.delaySource === 'overdue')).toBe(true);
    // Overdue by about 60 s at the end: seen within a tenth of that (plus rounding of the clock steps).
    expect(latencyMs).toBeLessThanOrEqual(6.5 * S);
  });

  it('should see a job that ends as predicted within about a second, with a fraction of the requests of a 2 s loop', async () => {
    const { latencyMs, calls } = await watchToEnd({ queuedMs: 3 * S, endMs: 123 * S, total: 120 }, { random: () => 0 });
    expect(latencyMs).toBeLessThanOrEqual(1250);
    expect(calls.length).toBeLessThan(0.65 * (123 / 2));
  });

  it('should see a job that ends long before its prediction within half its age', async () => {
    // Ten items in the first 50 s (an estimate of 500 s for 100 items), then the job fails at 60 s.
    const countAt = (t: number) => Math.floor((t - S) / 5000);
    const { latencyMs } = await watchToEnd({ queuedMs: S, endMs: 60 * S, total: 100, countAt, end: 'failed' });
    expect(latencyMs).toBeLessThanOrEqual(0.5 * 60 * S + 250);
  });
});

describe('the ETA guarantee', () => {
  const job = fc
    .record({
      queuedMs: fc.integer({ min: 0, max: 20 * S }),
      runMs: fc.integer({ min: 1, max: 600 * S }),
      total: fc.option(fc.integer({ min: 1, max: 500 }), { nil: null }),
      // Progress shapes: linear, bursts with stalls, or stuck then jumping.
      shape: fc.constantFrom('linear', 'bursty', 'stuck'),
      early: fc.option(fc.double({ min: 0.05, max: 0.95, noNaN: true }), { nil: undefined }),
      staleness: fc.constantFrom<ScheduleOptions['staleness']>('eager', 'balanced', 'frugal', 0.3),
      r: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
    })
    .map(({ queuedMs, runMs, total, shape, early, staleness, r }) => {
      const planned = queuedMs + runMs;
      const endMs = early === undefined ? planned : queuedMs + Math.max(1, Math.round(runMs * early));
      const n = total ?? 0;
      const at = (t: number) => Math.max(0, (t - queuedMs) / runMs);
      const countAt =
        shape === 'linear'
          ? (t: number) => Math.floor(n * at(t))
          : shape === 'bursty'
            ? (t: number) => Math.floor(n * Math.min(1, Math.floor(at(t) * 4) / 4))
            : (t: number) => (at(t) < 0.9 ? 0 : n);
      return { job: { queuedMs, endMs, total, countAt }, staleness, r };
    });

  it('should see every job within max(2 * floor, min(5 * r * age at its end, maxIntervalMs)) of its end', async () => {
    await fc.assert(
      fc.asyncProperty(job, async ({ job, staleness, r }) => {
        const { latencyMs } = await watchToEnd(job, { staleness, random: () => r });
        const share =
          typeof staleness === 'number'
            ? staleness
            : { eager: 0.05, balanced: 0.1, frugal: 0.25 }[staleness ?? 'balanced'];
        const bound = Math.max(2 * S, Math.min(5 * share * job.endMs, 30 * S));
        // The clock moves in 250 ms steps in this harness; a poll is seen at the step it was due in.
        expect(latencyMs).toBeLessThanOrEqual(bound + 250);
      }),
      { numRuns: 60 },
    );
  });
});

describe('the estimate across handles and schedulers', () => {
  it('should keep the estimate through a pollOnce chain, in a few dozen bytes more per handle', async () => {
    const clock = manualClock(1_000_000);
    const { source } = timedSource(clock, { queuedMs: 2 * S, endMs: 102 * S, total: 100 });
    let handle = createJobHandle(source, 'j1', { clock });
    let last: JobSnapshot<null> | undefined;
    for (let i = 0; i < 12; i++) {
      const step = await pollOnce(source, JSON.stringify(handle), { clock, random: () => 0 });
      last = step.snapshot ?? last;
      handle = step.handle;
      await clock.advance(Math.max(0, handle.nextPollAt - clock.now()));
    }
    expect(last?.estimate?.endsAt).toBeGreaterThan(1_000_000 + 90 * S);
    expect(last?.estimate?.endsAt).toBeLessThan(1_000_000 + 114 * S);
    expect(handle.eta).toHaveLength(6);
    const { eta, origin, ...withoutEstimate } = handle;
    const grown = JSON.stringify(handle).length - JSON.stringify(withoutEstimate).length;
    expect(grown).toBeLessThan(48);
  });

  it('should use the same rule on the scheduler as on a single watch', async () => {
    const job = { queuedMs: 3 * S, endMs: 63 * S, total: 60 };
    const solo = await watchToEnd(job, { random: () => 0 });
    const clock = manualClock(1_000_000);
    const { source, calls } = timedSource(clock, job);
    const scheduler = createJobScheduler({ clock, random: () => 0 });
    let ended = false;
    scheduler.watch(source, 'j1').done.then(() => {
      ended = true;
    });
    for (let i = 0; i < 1000 && !ended; i++) await clock.advance(250);
    expect(calls.map((at) => at - 1_000_000)).toEqual(solo.calls.map((at) => at - 1_000_000));
    await scheduler.close();
  });
});

describe("the job's age", () => {
  /** A running job without counts whose provider says it was created `before` ms before it was first seen. */
  async function firstDelay(before: number | string) {
    const start = Date.parse('2026-06-01T12:00:00Z');
    const clock = manualClock(start);
    const createdAt = typeof before === 'string' ? before : new Date(start - before).toISOString();
    const source: JobSource<null> = {
      provider: 'fake',
      kind: 'aged',
      async fetchSnapshot(id, context) {
        const snapshot = createSnapshot({
          provider: 'fake',
          kind: 'aged',
          id,
          status: 'running',
          rawStatus: 'running',
          progress: { completed: 0, total: null },
          timestamps: { createdAt },
          observedAt: context.now(),
          raw: null,
        });
        return { snapshot, hints: {} };
      },
    };
    const events: PollEvent[] = [];
    const watch = watchJob(source, 'j1', { clock, random: () => 0, onPoll: (e) => events.push(e) });
    await clock.advance(0);
    watch.stop();
    await watch.done.catch(() => {});
    return events[0]?.delayMs;
  }

  it("should count from the provider's created_at when it is well before the job was first seen", async () => {
    expect(await firstDelay(200_000)).toBe(20_000); // a tenth of 200 s
    expect(await firstDelay(3_600_000)).toBe(30_000); // at most maxIntervalMs
  });

  it('should ignore a created_at within a second (whole-second timestamps), in the future, or unreadable', async () => {
    expect(await firstDelay(900)).toBe(2000);
    expect(await firstDelay(-60_000)).toBe(2000);
    expect(await firstDelay('yesterday-ish')).toBe(2000);
  });
});
