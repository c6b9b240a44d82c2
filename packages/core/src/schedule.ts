import { ValidationError } from './errors.js';

/**
 * The largest delay a timer can take: `setTimeout` turns anything above 2^31-1 ms into 1 ms,
 * which is how hot loops are born.
 */
export const MAX_DELAY_MS = 2_147_483_647;

/**
 * Which rule decided a delay: `'server'` (a `Retry-After` hint), `'backoff'` (exponential backoff
 * with full jitter), `'floor'` (raised to `minIntervalMs`) or `'deadline'` (shortened so the next
 * poll lands on the deadline). Watches also report `'notify'` (a notification arrived while the
 * poll was in flight: the next one is sent right away) and, in push mode, `'push'` (raised to the
 * push safety interval while notifications arrive).
 */
export type DelaySource = 'server' | 'backoff' | 'floor' | 'deadline' | 'push' | 'notify';

/** How polls are spaced. Every field is optional. */
export interface ScheduleOptions {
  /** The shortest delay between two polls, in ms (at least 1). Defaults to `1000`. */
  minIntervalMs?: number;
  /** The backoff ceiling right after the job changed, in ms. Defaults to `1000`. */
  initialIntervalMs?: number;
  /** How much the backoff ceiling grows per poll without change (at least 1). Defaults to `2`. */
  multiplier?: number;
  /**
   * The largest backoff delay, in ms, at most 2^31-1. A server hint may exceed it. Defaults to `30_000`.
   */
  maxIntervalMs?: number;
  /** Give up this many ms after the watch started; `undefined` waits forever. Defaults to `undefined`. */
  timeoutMs?: number | undefined;
  /** Returns a number in `[0, 1)`, for jitter. Inject one for deterministic tests. Defaults to `Math.random`. */
  random?: () => number;
}

/** What {@link computeNextDelay} needs to know about the moment. */
export interface DelayInput {
  /** The current clock time, in ms. */
  now: number;
  /** Polls since the snapshot last changed; `0` right after a change. */
  unchanged: number;
  /** What the server asked for (`Retry-After`), in ms from now. Defaults to none. */
  retryAfterMs?: number | undefined;
  /** The deadline in clock ms, or `null` for none. Defaults to none. */
  deadline?: number | null | undefined;
}

/** A delay and the rule that decided it. */
export interface NextDelay {
  /** Milliseconds until the next poll. */
  delayMs: number;
  /** Which rule decided `delayMs`. */
  delaySource: DelaySource;
}

/** @internal {@link ScheduleOptions} with defaults applied and validated. */
export interface ResolvedSchedule {
  minIntervalMs: number;
  initialIntervalMs: number;
  multiplier: number;
  maxIntervalMs: number;
  timeoutMs: number | undefined;
  random: () => number;
}

/**
 * Computes the delay until the next poll. In order of precedence:
 * 1. a server hint (`retryAfterMs`), honoured even above `maxIntervalMs` (a 429 that says
 *    `Retry-After: 3600` means it) but never above 2^31-1 ms;
 * 2. otherwise `random() * min(maxIntervalMs, initialIntervalMs * multiplier^unchanged)` (full jitter);
 * 3. raised to `minIntervalMs` when below it (`'floor'`: `Retry-After: 0`, a jitter near 0);
 * 4. shortened to land exactly on the deadline when it would pass it (`'deadline'`).
 *
 * Throws {@link ValidationError} for invalid options.
 */
export function computeNextDelay(input: DelayInput, options: ScheduleOptions = {}): NextDelay {
  return nextDelay(input, resolveSchedule(options));
}

/** @internal {@link computeNextDelay} without re-validating the options. */
export function nextDelay(input: DelayInput, s: ResolvedSchedule): NextDelay {
  const { now, unchanged, retryAfterMs, deadline } = input;
  let delayMs: number;
  let delaySource: DelaySource;
  if (retryAfterMs !== undefined && retryAfterMs >= 0 && !Number.isNaN(retryAfterMs)) {
    delayMs = Math.min(retryAfterMs, MAX_DELAY_MS);
    delaySource = 'server';
  } else {
    // `|| 0` turns 0 * Infinity (initialIntervalMs 0 after many polls) into 0 instead of NaN.
    const ceiling = Math.min(s.maxIntervalMs, s.initialIntervalMs * s.multiplier ** Math.max(0, unchanged)) || 0;
    const r = s.random();
    delayMs = Math.round((r >= 0 && r <= 1 ? r : 0) * ceiling);
    delaySource = 'backoff';
  }
  if (delayMs < s.minIntervalMs) {
    delayMs = s.minIntervalMs;
    delaySource = 'floor';
  }
  if (deadline !== null && deadline !== undefined && now + delayMs > deadline) {
    delayMs = Math.max(0, deadline - now);
    delaySource = 'deadline';
  }
  return { delayMs, delaySource };
}

/** @internal Applies defaults to {@link ScheduleOptions} and validates them. */
export function resolveSchedule(options: ScheduleOptions): ResolvedSchedule {
  const minIntervalMs = readNumber(options, 'minIntervalMs', 1000, 1, MAX_DELAY_MS);
  const initialIntervalMs = readNumber(options, 'initialIntervalMs', 1000, 0, MAX_DELAY_MS);
  const multiplier = readNumber(options, 'multiplier', 2, 1, Number.MAX_VALUE);
  const maxIntervalMs = readNumber(options, 'maxIntervalMs', 30_000, 1, MAX_DELAY_MS);
  if (minIntervalMs > maxIntervalMs) {
    throw new ValidationError('minIntervalMs', `at most maxIntervalMs (${maxIntervalMs})`, {
      received: String(minIntervalMs),
    });
  }
  const timeoutMs =
    options.timeoutMs === undefined ? undefined : readNumber(options, 'timeoutMs', 0, 0, Number.MAX_SAFE_INTEGER);
  const random = options.random ?? Math.random;
  if (typeof random !== 'function') throw new ValidationError('random', 'a function', { received: typeof random });
  return { minIntervalMs, initialIntervalMs, multiplier, maxIntervalMs, timeoutMs, random };
}

/** @internal Reads a numeric option, applying its default and checking `[min, max]`. */
export function readNumber<T extends object>(
  options: T,
  field: keyof T & string,
  fallback: number,
  min: number,
  max: number,
): number {
  const value = options[field] as unknown;
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || Number.isNaN(value) || value < min || value > max) {
    const range =
      max === Number.MAX_VALUE || max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `between ${min} and ${max}`;
    throw new ValidationError(field, `a finite number ${range}`, { received: String(value) });
  }
  return value;
}
