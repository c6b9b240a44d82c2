import { ValidationError } from '@batchwatch/core';

/** A BullMQ limiter: at most `max` jobs started per window of `duration` ms opened by the first. */
export interface Limiter {
  max: number;
  duration: number;
}

/**
 * No budget still gets a limiter: BullMQ's manual rate limit (what a 429 sets) only stops workers
 * of a queue that has one.
 */
export const UNLIMITED: Limiter = { max: 2 ** 52, duration: 1000 };

/**
 * The BullMQ limiter that keeps a provider within `requestsPerSecond` in every sliding second,
 * when one poll sends `requestsPerPoll` requests, with a margin of about 3% (at least one poll) for
 * the time between a poll's admission and its arrival at the provider.
 *
 * BullMQ's limiter is a fixed window opened by the first job: `{ max: N, duration: 1000 }` lets
 * 2N through in a sliding second (N at the end of one window, N at the start of the next). In any
 * sliding second, windows of `d` ms touch at most `ceil(1000 / d) + 1` windows, so `max: k` with
 * `ceil(1000 / d) <= P / k - 1` holds P polls; with `k = 1` every poll opens its own window and
 * `d = ceil(1000 / P)` holds P. The poll budget is `P = floor(N / requestsPerPoll)` (a Supermetrics
 * batch poll sends two requests), or for less than one poll a second one poll every `1000 / P` ms.
 * `k` is about 5% of `P`, so the limiter admits about 95% of the budget on average and never more
 * than the budget in any second.
 * @internal
 */
export function limiterFor(requestsPerSecond: number | undefined, requestsPerPoll: number): Limiter {
  if (requestsPerSecond === undefined) return UNLIMITED;
  const polls = requestsPerSecond / requestsPerPoll;
  if (polls < 1) return { max: 1, duration: Math.ceil(1000 / polls) };
  // The limiter admits polls; the provider counts requests when they arrive, a little later and not
  // all equally later (a busy worker's event loop). Keep ~3% (at least one poll) for that jitter.
  const whole = polls < 2 ? 1 : Math.floor(polls) - Math.max(1, Math.ceil(Math.floor(polls) * 0.03));
  const k = Math.floor(whole / 20);
  if (k <= 1) return { max: 1, duration: Math.ceil(1000 / whole) };
  return { max: k, duration: Math.ceil(1000 / (Math.floor(whole / k) - 1)) };
}

/** @internal Checks an optional positive finite number option. */
export function positive(value: unknown, field: string, integer = false): void {
  if (value === undefined) return;
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    value <= 0 ||
    (integer && !Number.isInteger(value)) ||
    value >= 2 ** 31
  ) {
    throw new ValidationError(field, integer ? 'an integer >= 1' : 'a finite number > 0', {
      received: String(value),
    });
  }
}
