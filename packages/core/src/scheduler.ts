import { type Clock, systemClock } from './clock.js';
import { ValidationError } from './errors.js';
import type { JobHandle } from './handle.js';
import { Engine, type ProviderLimits } from './internal/engine.js';
import { type JobNotification, type PushModeOptions, resolvePush } from './notify.js';
import { type OutcomeOptions, type PollOptions, resolvePollOptions, type WatchOptions } from './options.js';
import type { JobSource } from './source.js';
import type { JobWatch } from './watch.js';

export type { ProviderLimits };

/** Options of {@link createJobScheduler}; the poll and outcome options are defaults for every watch. */
export interface JobSchedulerOptions extends PollOptions, OutcomeOptions, PushModeOptions {
  /** Requests in flight at once, over all providers. Defaults to `8`. */
  maxConcurrent?: number;
  /** Limits per provider name (`'runflow'`...): `requestsPerSecond` and `maxConcurrent`. Defaults to none. */
  perProvider?: Readonly<Record<string, ProviderLimits>>;
  /** The time source of every watch. Defaults to `systemClock`. */
  clock?: Clock;
}

/** Options of one scheduler watch: a watch's options without `clock` (the scheduler's is used). */
export type ScheduledWatchOptions<TRaw = unknown> = Omit<WatchOptions<TRaw>, 'clock'>;

/** Counters of a scheduler. */
export interface SchedulerStats {
  /** Jobs being polled (watchers of the same job count once). */
  watching: number;
  /** Requests in flight. */
  inFlight: number;
  /** Jobs due but waiting for a free request slot (they hold no timer). */
  queued: number;
  /** Jobs holding a timer (waiting for their next poll, or for their provider's budget). */
  timers: number;
}

/** Watches many jobs with shared request budgets. See {@link createJobScheduler}. */
export interface JobScheduler {
  /**
   * Watches a job. Watching a job that is already watched through the same source object joins
   * its poll loop (two source objects, e.g. two tenants' clients, never share one):
   * one request per poll, one view per caller, each with its own `done`, callbacks and `stop`.
   * The joining call's source and poll options are ignored (the loop keeps the first caller's);
   * its callbacks, `signal` and outcome options apply to its own view.
   */
  watch<TRaw>(source: JobSource<TRaw>, id: string, options?: ScheduledWatchOptions<NoInfer<TRaw>>): JobWatch<TRaw>;
  /** Like `resumeJob`, on this scheduler. */
  resume<TRaw>(
    source: JobSource<TRaw>,
    handle: JobHandle | string,
    options?: ScheduledWatchOptions<NoInfer<TRaw>>,
  ): JobWatch<TRaw>;
  /**
   * Routes a verified webhook or callback to the jobs it is about: every watch of that provider,
   * kind and id gets one poll now (see `JobWatch.notify`); the poll decides whether the job ended.
   * Returns whether a watched job matched: `false` for a job this scheduler does not watch (ignored,
   * not an error, e.g. a late duplicate delivery), after `close()` too. Any notification of a
   * provider and kind keeps push alive for the watches of it in push mode (the `push` option).
   */
  notify(n: JobNotification): boolean;
  /** Current counters. */
  stats(): SchedulerStats;
  /**
   * Stops every watch (`done` rejects with `AbortError`), clears every timer and resolves once the
   * requests in flight have been aborted. Later `watch` calls reject at once.
   */
  close(): Promise<void>;
}

/**
 * Creates a scheduler that polls many jobs with one timer per job waiting for its next poll
 * (jobs waiting for a request slot hold none), at most `maxConcurrent` requests in flight, and
 * per provider an evenly spaced request rate and concurrency cap. A 429 from any job of a provider
 * pauses every job of that provider until its `Retry-After` (or a backoff) has passed, then probes
 * with one request at a time until one succeeds. Throws `ValidationError` for invalid options.
 */
export function createJobScheduler(options: JobSchedulerOptions = {}): JobScheduler {
  const { maxConcurrent = 8, perProvider = {}, clock = systemClock, ...defaults } = options;
  if (!(maxConcurrent === Number.POSITIVE_INFINITY || (Number.isInteger(maxConcurrent) && maxConcurrent >= 1))) {
    throw new ValidationError('maxConcurrent', 'an integer >= 1 or Infinity', { received: String(maxConcurrent) });
  }
  for (const [provider, limits] of Object.entries(perProvider)) {
    const rps = limits.requestsPerSecond;
    if (rps !== undefined && !(typeof rps === 'number' && rps > 0 && Number.isFinite(rps))) {
      throw new ValidationError(`perProvider.${provider}.requestsPerSecond`, 'a finite number > 0', {
        received: String(rps),
      });
    }
    const max = limits.maxConcurrent;
    if (max !== undefined && !(Number.isInteger(max) && max >= 1)) {
      throw new ValidationError(`perProvider.${provider}.maxConcurrent`, 'an integer >= 1', { received: String(max) });
    }
  }
  resolvePollOptions(defaults);
  resolvePush(defaults.push);
  const engine = new Engine({ clock, maxConcurrent, perProvider, defaults });
  return {
    watch: (source, id, watchOptions = {}) => engine.watch(source, id, watchOptions),
    resume: (source, handle, watchOptions = {}) => engine.watch(source, '', watchOptions, handle),
    notify: (n) => engine.notify(n),
    stats: () => engine.stats(),
    close: () => engine.close(),
  };
}
