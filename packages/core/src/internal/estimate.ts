import type { JobEstimate, JobSnapshot } from '../job-state.js';
import type { EndPrediction } from '../schedule.js';

/**
 * Where a running job's count was measured: the first point (when it was first seen running) and
 * the last point where the count changed. The rate is measured between the two, over the whole run,
 * so one poll landing just after a change does not swing it. A change seen by a poll happened
 * somewhere since the poll before, so it is placed where it most likely happened (see `track`).
 */
export interface CountPoints {
  t0: number;
  c0: number;
  t1: number;
  c1: number;
  /** Points so far: 1 is the first one only. */
  n: number;
}

/** The count and total a snapshot reports, when it is running and says both. */
function counts(s: JobSnapshot<unknown>): { done: number; total: number } | undefined {
  const { completed, total } = s.progress;
  if (s.status !== 'running' || typeof total !== 'number' || !(total > 0) || !Number.isFinite(total)) return undefined;
  if (!(completed >= 0) || !Number.isFinite(completed)) return undefined;
  return { done: Math.min(completed, total), total };
}

/**
 * Folds one snapshot seen at `now` into the points. `seenAt` is when the previous snapshot was
 * seen. A job that is not running or reports no counts has none; a count that goes backwards
 * starts over.
 */
export function track(
  points: CountPoints | undefined,
  snapshot: JobSnapshot<unknown>,
  seenAt: number | undefined,
  now: number,
): CountPoints | undefined {
  const c = counts(snapshot);
  if (!c) return undefined;
  // The last of `moved` items seen done since the previous look finished in its last 1/moved
  // share, on average halfway through it: halfway between the looks for one item, about now for many.
  const when = (moved: number) =>
    seenAt !== undefined && seenAt < now ? now - (now - seenAt) / (2 * Math.max(1, moved)) : now;
  if (!points || c.done < points.c1) {
    const t = when(c.done);
    return { t0: t, c0: c.done, t1: t, c1: c.done, n: 1 };
  }
  if (c.done === points.c1) return points;
  return { ...points, t1: Math.max(points.t1, when(c.done - points.c1)), c1: c.done, n: points.n + 1 };
}

/**
 * The estimate of when the job ends, from its points and the snapshot they were last updated
 * with, or `undefined` when there is none (fewer than two points, no rate).
 */
export function predict(
  points: CountPoints | undefined,
  snapshot: JobSnapshot<unknown> | undefined,
): { estimate: JobEstimate; prediction: EndPrediction } | undefined {
  const c = snapshot && counts(snapshot);
  if (!snapshot || !points || !c || points.n < 2) return undefined;
  const rate = (points.c1 - points.c0) / (points.t1 - points.t0);
  if (!(rate > 0) || !Number.isFinite(rate)) return undefined;
  const endsAt = points.t1 + Math.max(0, c.total - points.c1) / rate;
  if (!Number.isFinite(endsAt)) return undefined;
  return {
    estimate: {
      endsAt,
      remainingMs: Math.max(0, endsAt - snapshot.observedAt) || 0,
      itemsPerSecond: rate * 1000,
      confidence: points.n >= 6 ? 'high' : points.n >= 3 ? 'medium' : 'low',
    },
    prediction: { endsAt, runMs: endsAt - points.t0, itemMs: 1 / rate },
  };
}

/** The provider's own creation time of the job, in clock ms, when it is readable and not in the future. */
export function createdAt(snapshot: JobSnapshot<unknown>, now: number): number | undefined {
  const text = snapshot.timestamps.createdAt ?? snapshot.timestamps.startedAt;
  const at = typeof text === 'string' ? Date.parse(text) : Number.NaN;
  return at <= now ? at : undefined;
}
