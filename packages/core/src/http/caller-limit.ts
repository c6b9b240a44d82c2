// Per-caller limits of the status handler: the provider requests each caller causes (reads the
// handler cannot answer from memory, and cancels) come out of a token bucket of its own, so one
// user cannot spend the server's provider budget.
import type { Clock } from '../clock.js';
import { ValidationError } from '../errors.js';
import { fail } from './responses.js';
import type { JobRef } from './wire.js';

/** A limit on the provider requests each caller of the status handler may cause. */
export interface CallerLimit {
  /**
   * Who is asking: the signed-in user's id, an API token's id, the client's address. Called after
   * `authorize`, only for a request that would reach the provider. `undefined` leaves it unlimited;
   * throwing a `Response` answers with that response; throwing anything else answers 500.
   */
  key: (request: Request, ref: JobRef) => string | undefined | Promise<string | undefined>;
  /** Provider requests per second one caller may cause, on average. */
  requestsPerSecond: number;
  /** Provider requests a caller that was idle may cause at once. Defaults to `requestsPerSecond`, at least 1. */
  burst?: number;
}

/** Callers remembered at most; past it, the one seen longest ago is forgotten (its bucket starts full again). */
const MAX_CALLERS = 10_000;

/** `value` when it is a finite number from `min`; else a `ValidationError` naming `perCaller.<field>`. */
function finite(field: string, value: unknown, min: number, range: string): number {
  if (typeof value === 'number' && value >= min && value < Number.POSITIVE_INFINITY) return value;
  throw new ValidationError(`perCaller.${field}`, `a finite number ${range}`, { received: String(value) });
}

/** Answers a request over its caller's limit (429 with `Retry-After`), or `undefined` to let it through. */
export type CallerGate = (request: Request, ref: JobRef) => Promise<Response | undefined>;

/**
 * The gate for `limit` (validated: a `ValidationError` names the `perCaller` field). Each caller's
 * bucket holds `burst` requests and refills at `requestsPerSecond`.
 */
export function createCallerGate(
  limit: CallerLimit,
  clock: Clock,
  report: (error: unknown, ref: JobRef) => void,
): CallerGate {
  if (typeof limit?.key !== 'function') {
    throw new ValidationError('perCaller.key', 'a function (request, ref) => string | undefined');
  }
  const rate = finite('requestsPerSecond', limit.requestsPerSecond, Number.MIN_VALUE, '> 0');
  const burst = finite('burst', limit.burst ?? Math.max(1, rate), 1, '>= 1');
  // Least recently seen first: a caller is moved to the end each time it is seen.
  const buckets = new Map<string, { tokens: number; at: number }>();
  return async (request, ref) => {
    let key: string | undefined;
    try {
      key = await limit.key(request, ref);
    } catch (error) {
      // As for `authorize`: a thrown Response is the answer; anything else is a 500 and goes to onError.
      if (error instanceof Response) return error;
      report(error, ref);
      return fail(500, 'internal_error', 'the caller could not be identified');
    }
    if (key === undefined) return undefined;
    const now = clock.now();
    const last = buckets.get(key);
    buckets.delete(key);
    const tokens = last ? Math.min(burst, last.tokens + ((now - last.at) * rate) / 1000) : burst;
    if (buckets.size >= MAX_CALLERS) buckets.delete(buckets.keys().next().value as string);
    const allowed = tokens >= 1;
    buckets.set(key, { tokens: allowed ? tokens - 1 : tokens, at: now });
    if (allowed) return undefined;
    return fail(429, 'rate_limited', 'too many requests from this caller', {
      retryAfterMs: Math.ceil(((1 - tokens) * 1000) / rate),
    });
  };
}
