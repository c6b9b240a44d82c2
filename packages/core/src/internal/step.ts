import type { Clock } from '../clock.js';
import { HttpError, isTransientError, PollTimeoutError, RequestTimeoutError } from '../errors.js';
import type { JobSnapshot } from '../job-state.js';
import { type NextDelay, nextDelay } from '../next-delay.js';
import type { ResolvedPollOptions } from '../options.js';
import type { JobSource, PollHints, SourceContext, SourceResult } from '../source.js';
import { type CountPoints, createdAt, predict, track } from './estimate.js';

/** Where a job's polling stands. Everything a `JobHandle` carries, so polling can resume anywhere. */
export interface PollState {
  startedAt: number;
  /** Where the job's age counts from: when it was first seen, or when the provider says it created it, if more than a second earlier. */
  origin: number;
  deadline: number | null;
  nextPollAt: number;
  /** Polls sent so far. */
  attempt: number;
  /** Polls since the snapshot last changed (the backoff exponent). */
  unchanged: number;
  /** Failed polls in a row. */
  errors: number;
  /** {@link signature} of the last snapshot, to tell a change. */
  sig: string | undefined;
  /** The largest progress fraction reported so far. */
  fraction: number | null;
  /** When the last snapshot was seen and where the running job's count changed, for the estimate of its end. */
  eta?: CountPoints | undefined;
}

/** What one poll produced. */
export type PollInput<TRaw> =
  | { ok: true; snapshot: JobSnapshot<TRaw>; hints: PollHints }
  | { ok: false; error: unknown };

/** The state after a poll and what to do next. */
export interface StepOutcome<TRaw> {
  state: PollState;
  /** The normalized snapshot, when the poll returned one. */
  snapshot?: JobSnapshot<TRaw>;
  /** Whether `snapshot` differs from the previous one. */
  changed: boolean;
  /** The error this poll failed with. */
  pollError?: unknown;
  /** Polling ends: the snapshot is terminal, or `error` says why not. */
  done: boolean;
  /** Why polling ends without a terminal snapshot (fatal error, spent budget, deadline). */
  error?: unknown;
  /** When polling goes on: the delay until the next poll. */
  delay: NextDelay | null;
}

/** A fresh state for a job first seen at `now`. */
export function initialState(now: number, timeoutMs: number | undefined): PollState {
  return {
    startedAt: now,
    origin: now,
    deadline: timeoutMs === undefined ? null : now + timeoutMs,
    nextPollAt: now,
    attempt: 0,
    unchanged: 0,
    errors: 0,
    sig: undefined,
    fraction: null,
  };
}

// Cheap equality key: only the fields a change is defined by, never the raw body.
function signature(s: JobSnapshot<unknown>): string {
  const p = s.progress;
  return JSON.stringify([
    s.status,
    s.rawStatus,
    p.completed,
    p.failed,
    p.total,
    p.fraction,
    s.failure?.code ?? null,
    s.failure?.message ?? null,
  ]);
}

/**
 * Copies `incoming` with a fraction that never goes below what was reported before (a growing
 * total must not move a progress bar backwards) and tells whether it changed.
 */
export function observe<TRaw>(
  state: PollState,
  incoming: JobSnapshot<TRaw>,
): { snapshot: JobSnapshot<TRaw>; sig: string; changed: boolean } {
  const f = incoming.progress.fraction;
  const fraction = state.fraction !== null && (f === null || f < state.fraction) ? state.fraction : f;
  const snapshot: JobSnapshot<TRaw> = {
    ...incoming,
    progress: { ...incoming.progress, fraction },
    timestamps: { ...incoming.timestamps },
  };
  const sig = signature(snapshot);
  return { snapshot, sig, changed: sig !== state.sig };
}

/**
 * Everything that changes a job's {@link PollState}, as actions for {@link advance}:
 * - `polled`: a poll answered (a snapshot) or failed (an error);
 * - `cancel-sent`: the provider accepted a server-side cancel, maybe answering with a snapshot;
 * - `notified`: a notification (webhook, callback) said something happened to the job.
 */
export type PollAction<TRaw> =
  | { type: 'polled'; input: PollInput<TRaw> }
  | { type: 'cancel-sent'; snapshot?: JobSnapshot<TRaw> | undefined }
  | { type: 'notified' };

/**
 * The one place a job's poll state changes: folds an action into the state and decides what
 * follows (terminal, give up, or poll again after a delay). Pure: `watchJob`, the scheduler,
 * `pollOnce` / `pollKeptHandle` (the React hooks) all go through it.
 */
export function advance<TRaw>(
  prev: PollState,
  action: PollAction<TRaw>,
  policy: ResolvedPollOptions,
  now: number,
  last: JobSnapshot<TRaw> | undefined,
): StepOutcome<TRaw> {
  if (action.type === 'polled') return polled(prev, action.input, policy, now, last);
  // A cancel sent or a notification: something happened, so the backoff starts over. A cancel's
  // answer counts as seen.
  const out: StepOutcome<TRaw> = { state: { ...prev, unchanged: 0 }, changed: false, done: false, delay: null };
  // Stryker disable next-line ConditionalExpression: only a cancel's answer has a snapshot
  if (action.type === 'cancel-sent' && action.snapshot) {
    const seen = observe(prev, action.snapshot);
    out.state.sig = seen.sig;
    out.state.fraction = seen.snapshot.progress.fraction;
    out.snapshot = seen.snapshot;
    out.changed = seen.changed;
    out.done = seen.snapshot.isTerminal;
  }
  return out;
}

/**
 * Whether a failed request is tried again: only for a transient error (network, 5xx, 429,
 * unreadable body) while no more than `maxConsecutiveErrors` requests in a row failed, after the
 * `Retry-After` it carried, if any. The same rule for polls and for result pages.
 */
export function failureVerdict(
  error: unknown,
  failuresInARow: number,
  maxConsecutiveErrors: number,
): { retry: boolean; retryAfterMs: number | undefined } {
  return {
    retry: isTransientError(error) && failuresInARow <= maxConsecutiveErrors,
    retryAfterMs: error instanceof HttpError ? error.retryAfterMs : undefined,
  };
}

function polled<TRaw>(
  prev: PollState,
  input: PollInput<TRaw>,
  policy: ResolvedPollOptions,
  now: number,
  last: JobSnapshot<TRaw> | undefined,
): StepOutcome<TRaw> {
  const state: PollState = { ...prev, attempt: prev.attempt + 1, unchanged: prev.unchanged + 1, errors: 0 };
  const out: StepOutcome<TRaw> = { state, changed: false, done: true, delay: null };
  let retryAfterMs: number | undefined;
  let snapshot: JobSnapshot<TRaw> | undefined;
  if (input.ok) {
    const seen = observe(prev, input.snapshot);
    snapshot = out.snapshot = seen.snapshot;
    out.changed = seen.changed;
    state.sig = seen.sig;
    state.fraction = snapshot.progress.fraction;
    if (seen.changed) state.unchanged = 0;
    retryAfterMs = input.hints.retryAfterMs;
    // A job the provider says it created well before it was first seen is that much older. Provider
    // timestamps often have whole seconds (and clocks drift by some), so a second less is noise.
    const created = createdAt(snapshot);
    if (created < state.origin - 1000 && created <= now) state.origin = created;
    state.eta = track(prev.eta, snapshot, now);
    if (snapshot.isTerminal) return out;
  } else {
    state.errors = prev.errors + 1;
    out.pollError = input.error;
    const verdict = failureVerdict(input.error, state.errors, policy.maxConsecutiveErrors);
    if (!verdict.retry) {
      out.error = input.error;
      return out;
    }
    retryAfterMs = verdict.retryAfterMs;
  }
  if (state.deadline !== null && now >= state.deadline) {
    out.error = timeoutError(state, snapshot ?? last, out.pollError);
    return out;
  }
  const ahead = predict(state.eta, snapshot ?? last);
  if (snapshot) {
    if (ahead) snapshot.estimate = ahead.estimate;
    else delete snapshot.estimate;
  }
  const delay = nextDelay(
    {
      now,
      unchanged: state.unchanged,
      ageMs: now - state.origin,
      prediction: ahead?.prediction,
      errors: state.errors,
      retryAfterMs,
      deadline: state.deadline,
    },
    policy,
  );
  state.nextPollAt = now + delay.delayMs;
  out.done = false;
  out.delay = delay;
  return out;
}

/** The `PollTimeoutError` for a state whose deadline passed. */
export function timeoutError<TRaw>(
  state: PollState,
  snapshot: JobSnapshot<TRaw> | undefined,
  cause?: unknown,
): PollTimeoutError<TRaw> {
  const timeoutMs = (state.deadline ?? state.startedAt) - state.startedAt;
  return new PollTimeoutError(timeoutMs, state.attempt, snapshot, cause === undefined ? undefined : { cause });
}

/**
 * Runs one source call with its own AbortController, aborted by `parent` or after `timeoutMs`
 * (then it fails with `RequestTimeoutError`). It settles as soon as either fires, even when the
 * source ignores its signal, and leaves no timer or listener behind.
 */
export async function fetchOnce<T>(
  call: (context: SourceContext) => Promise<T>,
  parent: AbortSignal,
  clock: Clock,
  timeoutMs: number,
): Promise<T> {
  if (parent.aborted) throw parent.reason;
  const controller = new AbortController();
  const { signal } = controller;
  const onParentAbort = () => controller.abort(parent.reason);
  // No `once`: the finally below removes the listener whichever way the call ends.
  parent.addEventListener('abort', onParentAbort);
  const timer = clock.setTimeout(() => controller.abort(new RequestTimeoutError(timeoutMs)), timeoutMs);
  let onAbort = () => {};
  try {
    return await new Promise<T>((resolve, reject) => {
      onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort);
      // The executor turns a synchronous throw of the source into a rejection.
      new Promise<T>((r) => r(call({ signal, now: () => clock.now() }))).then(resolve, reject);
    });
  } catch (error) {
    // Whatever the source threw after an abort (a DOMException, a wrapped error), the abort reason is the truth.
    throw signal.aborted ? signal.reason : error;
  } finally {
    clock.clearTimeout(timer);
    parent.removeEventListener('abort', onParentAbort);
    signal.removeEventListener('abort', onAbort);
  }
}

/** One poll of `source`, as a {@link PollInput} (never rejects). */
export async function pollSource<TRaw>(
  source: JobSource<TRaw>,
  id: string,
  signal: AbortSignal,
  clock: Clock,
  timeoutMs: number,
): Promise<PollInput<TRaw>> {
  try {
    const result: SourceResult<TRaw> = await fetchOnce(
      (context) => source.fetchSnapshot(id, context),
      signal,
      clock,
      timeoutMs,
    );
    if (typeof result?.snapshot !== 'object' || result.snapshot === null) {
      throw new TypeError(
        `${source.provider} ${source.kind} source: fetchSnapshot must resolve with { snapshot, hints }`,
      );
    }
    return { ok: true, snapshot: result.snapshot, hints: result.hints ?? {} };
  } catch (error) {
    return { ok: false, error };
  }
}
