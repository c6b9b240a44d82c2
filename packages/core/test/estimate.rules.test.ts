// The arithmetic of a running job's estimated end, rule by rule: which snapshots count, where the
// points of a run are put, how a rate becomes an end and a confidence. estimate.test.ts watches
// whole jobs with it; these pin each rule with exact numbers.
import { describe, expect, it } from 'vitest';
import { createSnapshot } from '../src/client-kit/index.js';
import { type CountPoints, createdAt, predict, track } from '../src/internal/estimate.js';
import type { JobSnapshot, JobStatus } from '../src/job-state.js';

const job = (completed: number, total: number | null = 10, status: JobStatus = 'running', observedAt = 0) =>
  createSnapshot({
    provider: 'fake',
    kind: 'job',
    id: 'j1',
    status,
    rawStatus: status,
    progress: { completed, total },
    observedAt,
    raw: null,
  });

/** A snapshot as a source might build it by hand, without createSnapshot's clamping. */
const raw = (completed: number, total: number | null): JobSnapshot<null> => ({
  ...job(0),
  progress: { completed, failed: 0, total, fraction: null },
});

describe('track: the points of a run', () => {
  it('should start a run at the first look at a running job with counts', () => {
    expect(track(undefined, job(2), 1000)).toEqual([1000, 1000, 2, 1000, 2, 1]);
  });

  it('should put a change halfway between the looks for one item, and nearer the last look for many', () => {
    const first = track(undefined, job(2), 1000);
    // Two items since the last look 2 s ago: the last of them ended, on average, 500 ms ago.
    const second = track(first, job(4), 3000);
    expect(second).toEqual([3000, 1000, 2, 2500, 4, 2]);
    // No change: only the time of the last look moves.
    const same = track(second, job(4), 4000);
    expect(same).toEqual([4000, 1000, 2, 2500, 4, 2]);
    // One item since the look at 4 s: halfway, 5 s.
    expect(track(same, job(5), 6000)).toEqual([6000, 1000, 2, 5000, 5, 3]);
  });

  it('should never move the last change back in time (a clock that went backwards)', () => {
    const points: CountPoints = [10_000, 1000, 2, 8000, 4, 2];
    expect(track(points, job(6), 9000)).toEqual([9000, 1000, 2, 9000, 6, 3]);
    const late: CountPoints = [9000, 1000, 2, 8900, 4, 2];
    expect(track(late, job(5), 9100)).toEqual([9100, 1000, 2, 9050, 5, 3]);
    expect(track(late, job(5), 8000)[3]).toBe(8900);
  });

  it('should start over when the count goes backwards', () => {
    const points: CountPoints = [6000, 1000, 2, 5000, 5, 3];
    // Three items since the last look 1 s ago: the last one ended about 1/6 s ago.
    const restarted = track(points, job(3), 7000);
    expect(restarted.slice(2)).toEqual([3, restarted[1], 3, 1]);
    expect(restarted[0]).toBe(7000);
    expect(restarted[1]).toBeCloseTo(7000 - 1000 / 6, 6);
  });

  it('should start over from the last look after a stretch without counts', () => {
    const idle: CountPoints = [5000, 0, 0, 0, 0, 0];
    expect(track(idle, job(1), 9000)).toEqual([9000, 7000, 1, 7000, 1, 1]);
    expect(track(idle, job(0), 9000)).toEqual([9000, 7000, 0, 7000, 0, 1]);
  });

  it.each<[string, JobSnapshot<null>]>([
    ['a queued job', job(0, 10, 'queued')],
    ['an ended job', job(10, 10, 'succeeded')],
    ['an unknown status', job(3, 10, 'unknown')],
    ['no total', raw(3, null)],
    ['a total of 0', raw(0, 0)],
    ['an infinite total', raw(3, Number.POSITIVE_INFINITY)],
    ['a negative count', raw(-1, 10)],
    ['an infinite count', raw(Number.POSITIVE_INFINITY, 10)],
  ])('should hold no points for %s', (_, snapshot) => {
    expect(track([5000, 1000, 2, 4000, 4, 2], snapshot, 9000)).toEqual([9000, 0, 0, 0, 0, 0]);
  });

  it('should count at most the total', () => {
    expect(track(undefined, raw(15, 10), 1000)).toEqual([1000, 1000, 10, 1000, 10, 1]);
  });
});

describe('predict: from points to an end', () => {
  const points: CountPoints = [3000, 1000, 2, 2500, 4, 2];

  it('should extend the rate over the whole run to the total', () => {
    // 2 items in 1.5 s: 6 more items take 4.5 s after the last change at 2.5 s.
    expect(predict(points, job(4, 10, 'running', 3000))).toEqual({
      prediction: { endsAt: 7000, runMs: 6000, itemMs: 750 },
      estimate: { endsAt: 7000, remainingMs: 4000, itemsPerSecond: 2000 / 1500, confidence: 'low' },
    });
  });

  it('should keep the estimate of an overdue job, with nothing remaining', () => {
    expect(predict(points, job(4, 10, 'running', 9000))?.estimate.remainingMs).toBe(0);
  });

  it('should put the end at the last change when the count has reached the total', () => {
    expect(predict(points, job(4, 4, 'running', 3000))?.prediction.endsAt).toBe(2500);
    expect(predict([3000, 1000, 2, 2500, 4, 2], raw(4, 3))?.prediction.endsAt).toBe(2500);
  });

  it.each([
    [2, 'low'],
    [3, 'medium'],
    [5, 'medium'],
    [6, 'high'],
    [40, 'high'],
  ] as const)('should trust %i points as %s', (n, confidence) => {
    expect(predict([3000, 1000, 2, 2500, 4, n], job(4))?.estimate.confidence).toBe(confidence);
  });

  it('should need two points, a running snapshot with counts and a rate above 0', () => {
    expect(predict([3000, 1000, 2, 1000, 2, 1], job(2))).toBeUndefined();
    // A resumed handle may carry anything: one point is never a rate, whatever the numbers.
    expect(predict([3000, 1000, 2, 2500, 4, 1], job(4))).toBeUndefined();
    expect(predict(undefined, job(2))).toBeUndefined();
    expect(predict(points, undefined)).toBeUndefined();
    expect(predict(points, job(4, 10, 'queued'))).toBeUndefined();
    expect(predict(points, raw(4, null))).toBeUndefined();
    expect(predict([3000, 1000, 4, 2500, 4, 2], job(4))).toBeUndefined();
    expect(predict([3000, 1000, 6, 2500, 4, 2], job(4))).toBeUndefined();
  });
});

describe("createdAt: the provider's own start of a job", () => {
  const at = (timestamps: { createdAt?: string; startedAt?: string }) =>
    createdAt(createSnapshot({ ...job(0), progress: { completed: 0, total: null }, timestamps }));

  it('should read the creation time, else the start time, else nothing', () => {
    expect(at({ createdAt: '2026-01-01T00:00:00Z', startedAt: '2026-01-01T00:00:09Z' })).toBe(
      Date.parse('2026-01-01T00:00:00Z'),
    );
    expect(at({ startedAt: '2026-01-01T00:00:09Z' })).toBe(Date.parse('2026-01-01T00:00:09Z'));
    expect(at({})).toBeNaN();
    expect(at({ createdAt: 'soon' })).toBeNaN();
  });
});
