import type { Clock } from './clock.js';
import { JobCancelledError, JobFailedError, ValidationError } from './errors.js';
import type { JobProgress, JobSnapshot, JobStatus } from './job-state.js';
import {
  type DelaySource,
  MAX_DELAY_MS,
  type ResolvedSchedule,
  readNumber,
  resolveSchedule,
  type ScheduleOptions,
} from './next-delay.js';
import type { PushModeOptions } from './notify.js';

/** How a watch polls: the schedule plus per-request timeout and error budget. */
export interface PollOptions extends ScheduleOptions {
  /** Abort one request after this many ms; it then counts as a transient `RequestTimeoutError`. Defaults to `30_000`. */
  requestTimeoutMs?: number;
  /**
   * How many polls in a row may fail with a transient error (network, 5xx, 429, unreadable body)
   * before the watch gives up with the last error. `Infinity` never gives up. Defaults to `5`.
   */
  maxConsecutiveErrors?: number;
}

/** How a terminal snapshot settles `done`. */
export interface OutcomeOptions {
  /**
   * Resolve `done` with the terminal snapshot even when the job `failed` or was `cancelled`,
   * instead of rejecting with `JobFailedError` / `JobCancelledError`. Defaults to `false`.
   */
  resolveOnUnsuccessful?: boolean;
  /** Treat `partially_succeeded` as a failure (`JobFailedError`). Defaults to `false`. */
  failOnPartial?: boolean;
}

/** Reported after every poll, successful or not. */
export interface PollEvent {
  /** Which poll this was, counting from 1 (continues across resumed handles). */
  attempt: number;
  /** When the request was sent, in clock ms. */
  at: number;
  /** How long the request took, in ms. */
  durationMs: number;
  /**
   * The delay until the next poll, or `null` when this was the last one. Under a scheduler it
   * includes what the scheduler already holds the next poll for (`delaySource` `'rate-limit'` or
   * `'budget'`); a hold that starts later is reported on the next event as `heldMs`.
   */
  delayMs: number | null;
  /** Which rule decided `delayMs`, or `null` when this was the last poll. */
  delaySource: DelaySource | null;
  /**
   * How much later than the previous event's `delayMs` said this poll was sent, when a scheduler
   * held it (another job's 429 paused the provider, the request budget or concurrency cap was
   * spent). Absent when it went on time.
   */
  heldMs?: number;
  /** Why the poll was held: `'rate-limit'` (a 429 paused the provider) or `'budget'`. Set with `heldMs`. */
  heldBy?: 'rate-limit' | 'budget';
  /** The HTTP status, when the source reported one. */
  httpStatus?: number;
  /** The provider's raw status, when the poll returned a snapshot. */
  rawStatus?: string | null;
  /** The normalized status, when the poll returned a snapshot. */
  status?: JobStatus;
  /** The error the poll failed with, if it failed. */
  error?: unknown;
  /** `true` when a notification (`notify`) brought this poll forward. */
  notified?: true;
}

/** Passed to `onPollError`. */
export interface PollErrorInfo {
  /** Which poll failed. */
  attempt: number;
  /** Whether polling goes on (the error is transient and within budget and deadline). */
  willRetry: boolean;
  /** The delay until the retry, or `null` when there is none. */
  delayMs: number | null;
}

/**
 * Callbacks of a watch. They run synchronously. One that throws (a `subscribe` listener too) does
 * not stop polling, does not touch the error budget and never becomes an uncaught exception: its
 * error goes to `onCallbackError`, or is dropped when there is none.
 */
export interface WatchCallbacks<TRaw> {
  /** Called with each changed snapshot (status, raw status, progress or failure changed). Defaults to none. */
  onSnapshot?: (snapshot: JobSnapshot<TRaw>) => void;
  /** Called when the status changed; `from` is `null` for the first snapshot. Defaults to none. */
  onStatusChange?: (from: JobStatus | null, to: JobStatus, snapshot: JobSnapshot<TRaw>) => void;
  /** Called when progress moved (including the first snapshot). Defaults to none. */
  onProgress?: (progress: JobProgress, snapshot: JobSnapshot<TRaw>) => void;
  /** Called when a poll request failed, whether or not it will be retried. Defaults to none. */
  onPollError?: (error: unknown, info: PollErrorInfo) => void;
  /** Called after every poll with timing and the next delay. Defaults to none. */
  onPoll?: (event: PollEvent) => void;
  /** Called once per distinct raw status string that maps to `unknown`. Defaults to none. */
  onUnknownStatus?: (rawStatus: string | null, snapshot: JobSnapshot<TRaw>) => void;
  /**
   * Called with the error of a callback that threw, and which callback it was (`'subscribe'` for a
   * `subscribe` listener). The watch goes on. An error thrown here is dropped. Defaults to none:
   * callback errors are dropped.
   */
  onCallbackError?: (
    error: unknown,
    callback:
      | 'onSnapshot'
      | 'onStatusChange'
      | 'onProgress'
      | 'onPollError'
      | 'onPoll'
      | 'onUnknownStatus'
      | 'subscribe',
  ) => void;
}

/** Options of `watchJob`, `waitForJob` and `resumeJob`. */
export interface WatchOptions<TRaw = unknown>
  extends PollOptions,
    OutcomeOptions,
    PushModeOptions,
    WatchCallbacks<TRaw> {
  /** Stops the watch; `done` rejects with `signal.reason` as it is. Defaults to none. */
  signal?: AbortSignal;
  /** The time source. Defaults to `systemClock` (the real one). */
  clock?: Clock;
}

/** @internal {@link PollOptions} with defaults applied and validated. */
export interface ResolvedPollOptions extends ResolvedSchedule {
  requestTimeoutMs: number;
  maxConsecutiveErrors: number;
}

/** @internal Applies defaults to {@link PollOptions}; throws `ValidationError` naming the bad option. */
export function resolvePollOptions(options: PollOptions): ResolvedPollOptions {
  const schedule = resolveSchedule(options);
  const requestTimeoutMs = readNumber(options, 'requestTimeoutMs', 30_000, 1, MAX_DELAY_MS);
  const maxConsecutiveErrors = options.maxConsecutiveErrors ?? 5;
  if (
    !(
      maxConsecutiveErrors === Number.POSITIVE_INFINITY ||
      (Number.isInteger(maxConsecutiveErrors) && maxConsecutiveErrors >= 0)
    )
  ) {
    throw new ValidationError('maxConsecutiveErrors', 'an integer >= 0 or Infinity', {
      received: String(maxConsecutiveErrors),
    });
  }
  return { ...schedule, requestTimeoutMs, maxConsecutiveErrors };
}

/**
 * @internal The error a terminal snapshot settles `done` with, or `undefined` when it resolves:
 * `failed` -> `JobFailedError`, `cancelled` -> `JobCancelledError`, `partially_succeeded` ->
 * `JobFailedError` only with `failOnPartial`; nothing with `resolveOnUnsuccessful`.
 */
export function outcomeError<TRaw>(snapshot: JobSnapshot<TRaw>, options: OutcomeOptions): Error | undefined {
  if (options.resolveOnUnsuccessful) return undefined;
  if (snapshot.status === 'failed') return new JobFailedError(snapshot);
  if (snapshot.status === 'cancelled') return new JobCancelledError(snapshot);
  if (snapshot.status === 'partially_succeeded' && options.failOnPartial) return new JobFailedError(snapshot);
  return undefined;
}
