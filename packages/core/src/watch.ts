import { systemClock } from './clock.js';
import type { JobHandle } from './handle-format.js';
import { openWatch, soloHost } from './internal/open-watch.js';
import type { JobSnapshot } from './job-state.js';
import type { JobNotification } from './notify.js';
import type { WatchOptions } from './options.js';
import type { JobSource } from './source.js';

/**
 * A job being watched. `await watch.done` for the end, `for await (const s of watch)` or
 * `subscribe` for each changed snapshot, `stop()` to stop polling, `cancel()` to cancel the job
 * at the provider, `toHandle()` to continue elsewhere.
 */
export interface JobWatch<TRaw = unknown> extends AsyncIterable<JobSnapshot<TRaw>> {
  /**
   * Resolves with the terminal snapshot on `succeeded` and `partially_succeeded` (and on `failed`
   * and `cancelled` with `resolveOnUnsuccessful`). Rejects with `JobFailedError`,
   * `JobCancelledError`, `PollTimeoutError`, a fatal poll error, the last transient error once the
   * error budget is spent, `AbortError` after `stop()`, or `signal.reason` after an abort.
   * Never an unhandled rejection when nobody awaits it.
   */
  readonly done: Promise<JobSnapshot<TRaw>>;
  /**
   * Calls `listener` with each changed snapshot (not with the current one: see `getSnapshot`).
   * Returns the unsubscribe function.
   */
  subscribe(listener: (snapshot: JobSnapshot<TRaw>) => void): () => void;
  /** The last changed snapshot, or `undefined` before the first poll answered. */
  getSnapshot(): JobSnapshot<TRaw> | undefined;
  /**
   * Stops this watch now: `done` rejects with `AbortError(reason)`, the timer is cleared and the
   * request in flight is aborted (for a scheduler watch: once no other watcher of the job is left).
   */
  stop(reason?: unknown): void;
  /**
   * Asks the provider to cancel the job, keeps polling until it is terminal, and resolves with
   * that final snapshot (whatever its status; `done` still settles by its own rules). The next poll
   * comes after `minIntervalMs` instead of a long backoff, but never inside a `Retry-After`, a 429's
   * pause or a scheduler's hold. Rejects
   * with `CancelNotSupportedError` when the source has no `cancel` (polling goes on), with the
   * cancel request's error, or with what ended the watch otherwise.
   */
  cancel(): Promise<JobSnapshot<TRaw>>;
  /** The current polling state as a plain-JSON {@link JobHandle}, for `resumeJob` or `pollOnce`. */
  toHandle(): JobHandle;
  /**
   * Tells the watch that a verified webhook or callback reported on its job: one poll is sent
   * now (no sooner than `minIntervalMs` after the last one, and never before a server's
   * `Retry-After` or the backoff after a 429), and that poll, not the notification, decides whether the job ended. A poll
   * already due or in flight counts (one in flight that was sent on the schedule may predate the
   * event, so one more follows it), and so does one sent for a notification less than
   * `minIntervalMs` ago: a burst of duplicate deliveries costs one poll. Returns `false`, and does
   * nothing, when `n` is for another job or the watch has ended. See the `push` option to also slow polling while notifications arrive.
   */
  notify(n: JobNotification): boolean;
  /**
   * Yields the current snapshot (if any), then each changed one, and ends after the terminal one
   * (also for `failed` and `cancelled`). Throws what `done` rejects with for every other end.
   * `break` stops the watch.
   */
  [Symbol.asyncIterator](): AsyncIterator<JobSnapshot<TRaw>, undefined>;
}

/**
 * Polls a job until it is terminal. The first poll is sent at once; later ones follow the
 * schedule (server hints, backoff with full jitter, floor, deadline). Never throws: bad input
 * rejects `done` with `ValidationError` before any request is sent.
 *
 * @example
 * const watch = watchJob(runflowBatch(client), batchId, { timeoutMs: 600_000, onProgress: (p) => bar.update(p.fraction ?? 0) });
 * const final = await watch.done;
 */
export function watchJob<TRaw>(
  source: JobSource<TRaw>,
  id: string,
  options: WatchOptions<NoInfer<TRaw>> = {},
): JobWatch<TRaw> {
  return openWatch(soloHost(options.clock ?? systemClock), source, id, options);
}

/** `watchJob(source, id, options).done`: the terminal snapshot, or a rejection (see {@link JobWatch.done}). */
export function waitForJob<TRaw>(
  source: JobSource<TRaw>,
  id: string,
  options: WatchOptions<NoInfer<TRaw>> = {},
): Promise<JobSnapshot<TRaw>> {
  return watchJob(source, id, options).done;
}
