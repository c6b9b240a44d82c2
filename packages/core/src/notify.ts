import { ValidationError } from './errors.js';
import type { JobStatus, ProviderName } from './job-state.js';
import { MAX_DELAY_MS, type NextDelay, readNumber } from './next-delay.js';

/**
 * "Something happened to this job": what a verified webhook or callback tells a watch or a
 * scheduler (`watch.notify(n)`, `scheduler.notify(n)`). Build one with a client helper such as
 * `runflowCallbackNotification(event)` or `checkWebhookNotification(event)`.
 *
 * A notification never ends a watch by itself: it triggers one poll, and only what that poll
 * sees ends the watch (callback bodies lack the counters, timestamps and raw body a snapshot has).
 */
export interface JobNotification {
  /** The provider, as the job source names it (`'runflow'`, `'check'`...). */
  provider: ProviderName;
  /** The kind of job, as the job source names it (`'batch'`...). */
  kind: string;
  /** The job id. */
  id: string;
  /**
   * The status the event announced, when it said one. A terminal status keeps the job on its
   * normal schedule (never the push safety interval) until a poll confirms it. Defaults to none.
   */
  status?: JobStatus;
}

/** Push mode: how polling relaxes while push notifications for the same provider and kind keep arriving. */
export interface PushOptions {
  /**
   * While push is alive, the delay between two polls is at least this many ms: polling only
   * guards against a lost notification. At most 2^31-1. Defaults to `300_000` (5 minutes).
   */
  safetyIntervalMs?: number;
  /**
   * Push counts as alive for this many ms after the last notification of the provider and kind;
   * then the normal schedule resumes. Defaults to `900_000` (15 minutes).
   */
  quietAfterMs?: number;
}

/** The `push` option of watches and schedulers. */
export interface PushModeOptions {
  /**
   * Set when this job's provider pushes events to you (a Runflow batch created with a
   * `callback_url`, Check webhooks) and you feed them to `notify`. Once a notification for the
   * same provider and kind arrived (for any job of the watch or scheduler), this job is polled at
   * most every `safetyIntervalMs` until push has been quiet for `quietAfterMs`. `true` uses the
   * defaults. Without it, notifications still trigger an immediate poll but never slow polling.
   * Defaults to `undefined` (off).
   */
  push?: boolean | PushOptions | undefined;
}

/** @internal {@link PushOptions} with defaults applied. */
export interface ResolvedPush {
  safetyIntervalMs: number;
  quietAfterMs: number;
}

/** @internal Applies defaults to the `push` option; `undefined` when push mode is off. Throws `ValidationError`. */
export function resolvePush(push: PushModeOptions['push']): ResolvedPush | undefined {
  if (push === undefined || push === false) return undefined;
  const options: PushOptions = push === true ? {} : push;
  if (typeof options !== 'object' || options === null) {
    throw new ValidationError('push', 'a boolean or { safetyIntervalMs, quietAfterMs }', {
      received: String(options),
    });
  }
  return {
    safetyIntervalMs: readNumber(options, 'safetyIntervalMs', 300_000, 1, MAX_DELAY_MS),
    quietAfterMs: readNumber(options, 'quietAfterMs', 900_000, 0, Number.MAX_SAFE_INTEGER),
  };
}

/**
 * @internal Raises `delay` to the push safety interval while push is alive (`lastPushAt` less than
 * `quietAfterMs` ago), but never past the moment push goes quiet (so the normal schedule resumes
 * then) nor past the deadline. Reports `'push'` when it raised the delay.
 */
export function pushDelay(
  delay: NextDelay,
  now: number,
  lastPushAt: number | undefined,
  push: ResolvedPush,
  deadline: number | null,
): NextDelay {
  if (lastPushAt === undefined) return delay;
  const quietAt = lastPushAt + push.quietAfterMs;
  if (now >= quietAt) return delay;
  const slowed = Math.min(push.safetyIntervalMs, quietAt - now, MAX_DELAY_MS);
  if (slowed <= delay.delayMs) return delay;
  if (deadline !== null && now + slowed > deadline)
    return { delayMs: Math.max(0, deadline - now), delaySource: 'deadline' };
  return { delayMs: slowed, delaySource: 'push' };
}

/** @internal Whether `n` looks like a {@link JobNotification} (strings where they must be). */
export function isNotification(n: unknown): n is JobNotification {
  if (typeof n !== 'object' || n === null) return false;
  const { provider, kind, id } = n as Record<string, unknown>;
  return typeof provider === 'string' && typeof kind === 'string' && typeof id === 'string';
}
