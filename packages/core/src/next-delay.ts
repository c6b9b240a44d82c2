import { ValidationError } from './errors.js';

/**
 * The largest delay a timer can take: `setTimeout` turns anything above 2^31-1 ms into 1 ms,
 * which is how hot loops are born.
 */
export const MAX_DELAY_MS = 2_147_483_647;

/**
 * Which rule decided a delay.
 *
 * The ETA-aware schedule (the default, `strategy: 'eta'`): `'age'` (a share of the job's age:
 * no estimate yet, or the cap that keeps a wrong estimate from hiding an early end), `'approach'`
 * (half the time left until the predicted end), `'window'` (the tight interval around the
 * predicted end) and `'overdue'` (a share of how long the job is past its predicted end).
 *
 * Either strategy: `'server'` (a `Retry-After` hint), `'backoff'` (exponential backoff: the
 * `'backoff'` strategy, or failed polls in a row), `'floor'` (raised to `minIntervalMs`) and
 * `'deadline'` (shortened so the next poll lands on the deadline).
 *
 * Watches also report `'notify'` (a notification arrived while the poll was in flight: the next
 * one is sent right away), `'push'` (raised to the push safety interval while notifications
 * arrive), and under a scheduler `'rate-limit'` (the provider is paused after a 429, this job's or
 * another's) and `'budget'` (waiting for the provider's request budget).
 */
export type DelaySource =
  | 'age'
  | 'approach'
  | 'window'
  | 'overdue'
  | 'server'
  | 'backoff'
  | 'floor'
  | 'deadline'
  | 'push'
  | 'notify'
  | 'rate-limit'
  | 'budget';

/** Named trade-offs for {@link ScheduleOptions.staleness}: `eager` 0.05, `balanced` 0.1, `frugal` 0.25. */
export type StalenessPreset = 'eager' | 'balanced' | 'frugal';

const PRESETS: Record<StalenessPreset, number> = { eager: 0.05, balanced: 0.1, frugal: 0.25 };

/**
 * How many times `staleness * age` a poll may wait while the schedule trusts an estimate: the
 * latency guarantee is `max(2 * minIntervalMs, min(GUARANTEE_FACTOR * staleness * age, maxIntervalMs))`.
 */
const GUARANTEE_FACTOR = 5;
// The window around a predicted end: this share of the predicted run (at least minIntervalMs and
// one item's time) on each side; polls inside it are this share of the run apart.
const WINDOW_SHARE = 0.03;
const TIGHT_SHARE = 0.002;
// Delays are shortened by up to this share at random, so jobs started together drift apart.
const JITTER = 0.1;

/** How polls are spaced. Every field is optional. */
export interface ScheduleOptions {
  /**
   * `'eta'` polls when the job will probably end (see {@link computeNextDelay}); `'backoff'` is
   * the exponential backoff with full jitter that resets when the job changes (batchwatch before
   * 0.2). Defaults to `'eta'`.
   */
  strategy?: 'eta' | 'backoff';
  /**
   * The one knob of the `'eta'` strategy: the share of its age a job's status may be stale when
   * nothing predicts its end (a 40 s old job is looked at again within `0.1 * 40 s`). Lower polls
   * more and sees ends sooner. A number in `(0, 10]` or a preset: `'eager'` (0.05), `'balanced'`
   * (0.1), `'frugal'` (0.25). Defaults to `'balanced'`.
   */
  staleness?: number | StalenessPreset;
  /** The shortest delay between two polls, in ms (at least 1). Defaults to `1000`. */
  minIntervalMs?: number;
  /**
   * The backoff ceiling right after the job changed (`'backoff'` strategy), and the first delay after
   * a failed poll (either strategy), in ms. Defaults to `1000`.
   */
  initialIntervalMs?: number;
  /** How much the backoff ceiling grows per poll without change or per failed poll (at least 1). Defaults to `2`. */
  multiplier?: number;
  /**
   * The largest delay the schedule picks, in ms, at most 2^31-1. A server hint may exceed it. Defaults to `30_000`.
   */
  maxIntervalMs?: number;
  /** Give up this many ms after the watch started; `undefined` waits forever. Defaults to `undefined`. */
  timeoutMs?: number | undefined;
  /** Returns a number in `[0, 1)`, for jitter. Inject one for deterministic tests. Defaults to `Math.random`. */
  random?: () => number;
}

/** Where the `'eta'` strategy expects a running job to end (the watch derives it from progress). */
export interface EndPrediction {
  /** The predicted end, in clock ms. */
  endsAt: number;
  /** How long the whole run is predicted to take, in ms (sets the size of the window around `endsAt`). */
  runMs: number;
  /** How long one item takes, in ms: the end cannot be known more precisely than this. */
  itemMs: number;
}

/** What {@link computeNextDelay} needs to know about the moment. */
export interface DelayInput {
  /** The current clock time, in ms. */
  now: number;
  /** Polls since the snapshot last changed; `0` right after a change (`'backoff'` strategy). */
  unchanged: number;
  /** How old the job is, in ms (`'eta'` strategy). Defaults to `0`. */
  ageMs?: number;
  /** Where the job is predicted to end (`'eta'` strategy). Defaults to none. */
  prediction?: EndPrediction | undefined;
  /** Failed polls in a row; from 1 on, the delay is at least the backoff for that many. Defaults to `0`. */
  errors?: number;
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
  strategy: 'eta' | 'backoff';
  staleness: number;
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
 * 2. the strategy. `'eta'` (default), with `r` = `staleness` and `age` = `ageMs`:
 *    - no prediction: `r * age`, at least `2 * minIntervalMs` (`'age'`);
 *    - before the window around the predicted end: half the time left (`'approach'`);
 *    - inside the window (3% of the predicted run, at least `minIntervalMs` and one item's time,
 *      on each side): 0.2% of the run (`'window'`);
 *    - past the window: `r` times how long the job is overdue (`'overdue'`);
 *    - with a prediction, never more than `5 * r * age` (`'age'`), so a job that ends earlier than
 *      predicted is still seen within half its age (at the default `r`);
 *    - shortened by up to 10% at random, and at most `maxIntervalMs`.
 *
 *    `'backoff'`: `random() * min(maxIntervalMs, initialIntervalMs * multiplier^unchanged)` (full jitter).
 *
 *    After failed polls (`errors` > 0) `'eta'` waits at least
 *    `initialIntervalMs * multiplier^(errors - 1)` (`'backoff'`, at most `maxIntervalMs`, half of it jittered);
 * 3. raised to `minIntervalMs` when below it (`'floor'`: `Retry-After: 0`, a jitter near 0);
 * 4. shortened to land exactly on the deadline when it would pass it (`'deadline'`).
 *
 * The guarantee of `'eta'`: without server hints, failed polls or push mode, a job is seen within
 * `max(2 * minIntervalMs, min(5 * r * age_at_end, maxIntervalMs))` of its end.
 *
 * Throws {@link ValidationError} for invalid options.
 */
export function computeNextDelay(input: DelayInput, options: ScheduleOptions = {}): NextDelay {
  return nextDelay(input, resolveSchedule(options));
}

/** @internal {@link computeNextDelay} without re-validating the options. */
export function nextDelay(input: DelayInput, s: ResolvedSchedule): NextDelay {
  const { now, retryAfterMs, deadline, errors = 0 } = input;
  const rand = s.random();
  // A bad injected random() (NaN, out of range) must not become NaN delays or a hot loop.
  const jitter = rand >= 0 && rand <= 1 ? rand : 0;
  let next: NextDelay;
  if (retryAfterMs !== undefined && retryAfterMs >= 0 && !Number.isNaN(retryAfterMs)) {
    next = { delayMs: Math.min(retryAfterMs, MAX_DELAY_MS), delaySource: 'server' };
  } else {
    next = s.strategy === 'eta' ? etaDelay(input, s, jitter) : backoffDelay(input.unchanged, s, jitter);
    if (errors > 0 && s.strategy === 'eta') {
      const backoff = Math.round(ceiling(errors - 1, s) * (0.5 + jitter / 2));
      if (backoff > next.delayMs) next = { delayMs: backoff, delaySource: 'backoff' };
    }
  }
  if (next.delayMs < s.minIntervalMs) next = { delayMs: s.minIntervalMs, delaySource: 'floor' };
  if (deadline !== null && deadline !== undefined && now + next.delayMs > deadline) {
    next = { delayMs: Math.max(0, deadline - now), delaySource: 'deadline' };
  }
  return next;
}

/** The backoff ceiling after `n` steps: `initialIntervalMs * multiplier^n`, at most `maxIntervalMs`. */
function ceiling(n: number, s: ResolvedSchedule): number {
  // `|| 0` turns 0 * Infinity (initialIntervalMs 0 after many steps) into 0 instead of NaN.
  return Math.min(s.maxIntervalMs, s.initialIntervalMs * s.multiplier ** Math.max(0, n)) || 0;
}

function backoffDelay(unchanged: number, s: ResolvedSchedule, jitter: number): NextDelay {
  return { delayMs: Math.round(jitter * ceiling(unchanged, s)), delaySource: 'backoff' };
}

function etaDelay({ now, ageMs = 0, prediction: p }: DelayInput, s: ResolvedSchedule, jitter: number): NextDelay {
  const r = s.staleness;
  const age = Number.isFinite(ageMs) && ageMs > 0 ? ageMs : 0;
  let delayMs: number;
  let delaySource: DelaySource;
  const left = p ? p.endsAt - now : Number.NaN;
  if (p && Number.isFinite(left) && p.runMs >= 0 && p.itemMs >= 0) {
    const window = Math.max(s.minIntervalMs, WINDOW_SHARE * p.runMs, p.itemMs);
    if (left > window) [delayMs, delaySource] = [left / 2, 'approach'];
    else if (left >= -window) [delayMs, delaySource] = [TIGHT_SHARE * p.runMs, 'window'];
    else [delayMs, delaySource] = [r * -left, 'overdue'];
    const cap = GUARANTEE_FACTOR * r * age;
    if (delayMs > cap) [delayMs, delaySource] = [cap, 'age'];
  } else {
    [delayMs, delaySource] = [Math.max(2 * s.minIntervalMs, r * age), 'age'];
  }
  delayMs = Math.round(Math.min(s.maxIntervalMs, delayMs * (1 - JITTER * jitter)));
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
  const timeoutMs = readNumber(options, 'timeoutMs', undefined, 0, Number.MAX_SAFE_INTEGER);
  const random = options.random ?? Math.random;
  if (typeof random !== 'function') throw new ValidationError('random', 'a function', { received: typeof random });
  const strategy = options.strategy ?? 'eta';
  if (strategy !== 'eta' && strategy !== 'backoff') {
    throw new ValidationError('strategy', "'eta' or 'backoff'", { received: String(strategy) });
  }
  const preset = options.staleness ?? 'balanced';
  const staleness = typeof preset === 'string' && Object.hasOwn(PRESETS, preset) ? PRESETS[preset] : preset;
  if (typeof staleness !== 'number' || !(staleness > 0 && staleness <= 10)) {
    throw new ValidationError('staleness', "a number in (0, 10] or 'eager', 'balanced', 'frugal'", {
      received: String(preset),
    });
  }
  return { strategy, staleness, minIntervalMs, initialIntervalMs, multiplier, maxIntervalMs, timeoutMs, random };
}

/** @internal Reads a numeric option, applying its default and checking `[min, max]`. */
export function readNumber<T extends object, F extends number | undefined = number>(
  options: T,
  field: keyof T & string,
  fallback: F,
  min: number,
  max: number,
): number | F {
  const value = options[field] as unknown;
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || Number.isNaN(value) || value < min || value > max) {
    const range =
      max === Number.MAX_VALUE || max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `between ${min} and ${max}`;
    throw new ValidationError(field, `a finite number ${range}`, { received: String(value) });
  }
  return value;
}
