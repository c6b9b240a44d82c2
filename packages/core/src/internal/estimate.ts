import type { JobEstimate, JobSnapshot } from '../job-state.js';
import type { EndPrediction } from '../next-delay.js';

/**
 * What the estimate of a job's end is made from, as plain numbers (so a handle carries it as is):
 * `[seenAt, t0, c0, t1, c1, n]`. `seenAt` is when the last snapshot was seen; `(t0, c0)` is the
 * first point of the run (time, count) and `(t1, c1)` the last point where the count changed; `n`
 * counts the points (0: none, the job is not running or reports no counts). The rate is measured
 * between the first and the last point, over the whole run, so one poll landing just after a
 * change does not swing it.
 */
export type CountPoints = [seenAt: number, t0: number, c0: number, t1: number, c1: number, n: number];

/**
 * Folds a snapshot seen at `now` into the points. A count that goes backwards starts over. A
 * change seen by a poll happened since the poll before: the last of `moved` items finished in its
 * last `1/moved` share, on average halfway through it (halfway between the looks for one item,
 * about now for many).
 */
export function track(points: CountPoints | undefined, snapshot: JobSnapshot<unknown>, now: number): CountPoints {
  const [seen = now, t0 = 0, c0 = 0, t1 = 0, c1 = 0, n = 0] = points ?? [];
  const count = counted(snapshot);
  const when = (moved: number) => now - (now - Math.min(seen, now)) / (2 * Math.max(1, moved));
  if (count < 0) return [now, 0, 0, 0, 0, 0];
  if (!n || count < c1) return [now, when(count), count, when(count), count, 1];
  if (count === c1) return [now, t0, c0, t1, c1, n];
  return [now, t0, c0, Math.max(t1, when(count - c1)), count, n + 1];
}

/** A running snapshot's count (capped at its total), or -1 when it is not running or says no counts. */
function counted({ status, progress: { completed, total } }: JobSnapshot<unknown>): number {
  return status === 'running' && total && total > 0 && total < Infinity && completed >= 0 && completed < Infinity
    ? Math.min(completed, total)
    : -1;
}

/** Where the job will end, from its points and the snapshot they were last updated with; `undefined` without a rate. */
export function predict(points: CountPoints | undefined, snapshot: JobSnapshot<unknown> | undefined) {
  const [, t0 = 0, c0 = 0, t1 = 0, c1 = 0, n = 0] = points ?? [];
  const rate = (c1 - c0) / (t1 - t0);
  if (n < 2 || !snapshot || counted(snapshot) < 0) return undefined;
  const endsAt = t1 + Math.max(0, (snapshot.progress.total as number) - c1) / rate;
  if (!(rate > 0 && endsAt < Infinity)) return undefined;
  const prediction: EndPrediction = { endsAt, runMs: endsAt - t0, itemMs: 1 / rate };
  const estimate: JobEstimate = {
    endsAt,
    remainingMs: Math.max(0, endsAt - snapshot.observedAt) || 0,
    itemsPerSecond: rate * 1000,
    confidence: n < 3 ? 'low' : n < 6 ? 'medium' : 'high',
  };
  return { prediction, estimate };
}

/** The provider's own creation (or start) time of the job, in clock ms, or `NaN` when unreadable. */
export const createdAt = ({ timestamps: t }: JobSnapshot<unknown>): number =>
  Date.parse(t.createdAt ?? t.startedAt ?? '');
