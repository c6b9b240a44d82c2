/**
 * `@batchwatch/core/handles`: continue polling elsewhere. A {@link JobHandle} is a small
 * versioned JSON object (from `watch.toHandle()` or {@link createJobHandle}) that you can store;
 * {@link resumeJob} watches on from it in another process, and {@link pollOnce} polls exactly once
 * per call for durable schedulers (cron, queues, workflow engines).
 *
 * @module
 */
import { type Clock, systemClock } from './clock.js';
import { handleFromState, type JobHandle, stateFromHandle } from './handle-format.js';
import { parseJobHandle, resumeFrom } from './handle-parse.js';
import { openWatch, soloHost } from './internal/open-watch.js';
import { sleep } from './internal/sleep.js';
import { advance, initialState, pollSource, timeoutError } from './internal/step.js';
import { validateId } from './internal/validate.js';
import type { JobSnapshot } from './job-state.js';
import type { DelaySource } from './next-delay.js';
import {
  type OutcomeOptions,
  outcomeError,
  type PollOptions,
  resolvePollOptions,
  type WatchOptions,
} from './options.js';
import type { JobSource } from './source.js';
import type { JobWatch } from './watch.js';

export { type HandleOwner, JOB_HANDLE_VERSION, type JobHandle } from './handle-format.js';
export { InvalidHandleError, parseJobHandle } from './handle-parse.js';

/** Options of {@link createJobHandle}. */
export interface CreateJobHandleOptions {
  /** Give up this many ms from now; `undefined` never gives up. Defaults to `undefined`. */
  timeoutMs?: number | undefined;
  /** The time source. Defaults to `systemClock`. */
  clock?: Clock;
}

/**
 * A handle for a job nobody has polled yet, due now: the start of a `pollOnce` chain.
 * Throws `ValidationError` for an invalid id or timeout.
 */
export function createJobHandle(
  source: JobSource<unknown>,
  id: string,
  options: CreateJobHandleOptions = {},
): JobHandle {
  const { timeoutMs } = resolvePollOptions({ timeoutMs: options.timeoutMs });
  validateId(source, id);
  return handleFromState(source, id, initialState((options.clock ?? systemClock).now(), timeoutMs));
}

/** Options of {@link pollOnce}. The deadline comes from the handle, so `timeoutMs` is not used. */
export interface PollOnceOptions extends Omit<PollOptions, 'timeoutMs'>, OutcomeOptions {
  /** Aborts the request; `pollOnce` then rejects with `signal.reason`. Defaults to none. */
  signal?: AbortSignal;
  /** The time source. Defaults to `systemClock`. */
  clock?: Clock;
}

/** What one {@link pollOnce} step found. */
export interface PollOnceResult<TRaw> {
  /** The snapshot, when the poll returned one (progress kept monotonic across steps). */
  snapshot?: JobSnapshot<TRaw>;
  /**
   * Why this step failed or polling ended badly: a transient poll error (`done: false`), a fatal
   * one, a spent error budget or `PollTimeoutError` (`done: true`), or `JobFailedError` /
   * `JobCancelledError` for an unsuccessful terminal snapshot (unless `resolveOnUnsuccessful`).
   */
  error?: unknown;
  /** Whether to stop polling this job. */
  done: boolean;
  /** The next state: store it and call `pollOnce` again at `handle.nextPollAt`. */
  handle: JobHandle;
  /** The delay until the next poll, or `null` when `done`. */
  delayMs: number | null;
  /** Which schedule rule decided `delayMs`, or `null` when `done`. */
  delaySource: DelaySource | null;
}

/**
 * Polls a job exactly once, for durable schedulers (cron, queues, workflow engines): pass the
 * handle you stored, store the handle it returns, and call again at `handle.nextPollAt` until
 * `done`. Uses the same schedule, error budget and deadline as `watchJob`. Never throws for poll
 * errors (they are in `error`); rejects with `InvalidHandleError` for a bad handle and with
 * `signal.reason` when aborted.
 */
export function pollOnce<TRaw>(
  source: JobSource<TRaw>,
  handle: JobHandle | string,
  options: PollOnceOptions = {},
): Promise<PollOnceResult<TRaw>> {
  return checkedSteps(source, handle, options, false);
}

/**
 * Steps from a stored or received handle: its fields read and checked (`InvalidHandleError`), its
 * id checked by the source's rules (a failed check ends polling: `done` with the `ValidationError`),
 * then the kept-handle steps, with the outcome error of a terminal snapshot (`JobFailedError`,
 * `JobCancelledError`) as `options` say.
 */
async function checkedSteps<TRaw>(
  source: JobSource<TRaw>,
  handle: JobHandle | string,
  options: PollOnceOptions,
  untilSnapshot: boolean,
): Promise<PollOnceResult<TRaw>> {
  const h = parseJobHandle(handle, source);
  try {
    validateId(source, h.id);
  } catch (error) {
    return { error, done: true, handle: h, delayMs: null, delaySource: null };
  }
  const step = await keptSteps(source, h, options, untilSnapshot);
  // A terminal snapshot comes with no other error.
  const error = step.snapshot?.isTerminal ? outcomeError(step.snapshot, options) : undefined;
  if (error !== undefined) step.error = error;
  return step;
}

/** Options of {@link pollKeptHandle}: those of `pollOnce` but the outcome ones (an unsuccessful end is a snapshot). */
export type KeptHandleOptions = Omit<PollOnceOptions, keyof OutcomeOptions>;

/**
 * One poll step for a handle this process made and keeps in memory between steps (from
 * `createJobHandle` or an earlier step), for live views such as `@batchwatch/react`'s hooks: the
 * `pollOnce` step without reading and checking the handle first, and an unsuccessful end (`failed`,
 * `cancelled`) is its snapshot, never `JobFailedError` / `JobCancelledError`. So a page ships
 * neither. A handle that was stored, queued or sent goes through `pollOnce`, which checks it.
 */
export function pollKeptHandle<TRaw>(
  source: JobSource<TRaw>,
  handle: JobHandle,
  options: KeptHandleOptions = {},
): Promise<PollOnceResult<TRaw>> {
  return keptSteps(source, handle, options, false);
}

/** Kept-handle steps: one, or (`untilSnapshot`) as many as it takes to a snapshot or the end, waiting between them. */
async function keptSteps<TRaw>(
  source: JobSource<TRaw>,
  h: JobHandle,
  options: KeptHandleOptions,
  untilSnapshot: boolean,
): Promise<PollOnceResult<TRaw>> {
  const policy = resolvePollOptions({ ...options, timeoutMs: undefined });
  const clock = options.clock ?? systemClock;
  const signal = options.signal ?? new AbortController().signal;
  for (;;) {
    if (signal.aborted) throw signal.reason;
    const state = stateFromHandle(h);
    // An expired handle: no request past the deadline.
    if (h.deadline !== null && clock.now() > h.deadline) {
      return { error: timeoutError(state, undefined), done: true, handle: h, delayMs: null, delaySource: null };
    }
    const input = await pollSource(source, h.id, signal, clock, policy.requestTimeoutMs);
    if (signal.aborted) throw signal.reason;
    const out = advance(state, { type: 'polled', input }, policy, clock.now(), undefined);
    const step: PollOnceResult<TRaw> = {
      done: out.done,
      handle: handleFromState(h, h.id, out.state),
      delayMs: out.delay?.delayMs ?? null,
      delaySource: out.delay?.delaySource ?? null,
    };
    if (out.snapshot) step.snapshot = out.snapshot;
    const error = out.error ?? out.pollError;
    if (error !== undefined) step.error = error;
    if (!untilSnapshot || step.snapshot || step.done) return step;
    h = step.handle;
    await sleep(step.delayMs ?? 0, signal, clock);
  }
}

/**
 * The handle after a server-side cancel of its job was sent (e.g. by your own `source.cancel`
 * call): the backoff starts over, so the next `pollOnce` sees the job cancelling soon. Throws
 * `InvalidHandleError` for a bad handle.
 */
export function handleAfterCancel(handle: JobHandle | string): JobHandle {
  return keptHandleAfterCancel(parseJobHandle(handle));
}

/** {@link handleAfterCancel} for a handle this process keeps in memory (see {@link pollKeptHandle}): not checked. */
export function keptHandleAfterCancel(h: JobHandle): JobHandle {
  const { state } = advance(
    stateFromHandle(h),
    { type: 'cancel-sent' },
    resolvePollOptions({}),
    h.nextPollAt,
    undefined,
  );
  return handleFromState(h, h.id, state);
}

/**
 * Polls from `handle` until a step returns a snapshot or polling ends (`done`), waiting between
 * steps as the schedule says: a transient error before there is anything to show is retried, not
 * returned. This is how a UI loads a job it has not seen yet; later steps are single `pollOnce`
 * calls. Rejects like {@link pollOnce}.
 */
export function pollUntilSnapshot<TRaw>(
  source: JobSource<TRaw>,
  handle: JobHandle | string,
  options: PollOnceOptions = {},
): Promise<PollOnceResult<TRaw>> {
  return checkedSteps(source, handle, options, true);
}

/** {@link pollUntilSnapshot} for a handle this process keeps in memory (see {@link pollKeptHandle}). */
export function pollKeptHandleUntilSnapshot<TRaw>(
  source: JobSource<TRaw>,
  handle: JobHandle,
  options: KeptHandleOptions = {},
): Promise<PollOnceResult<TRaw>> {
  return keptSteps(source, handle, options, true);
}

/**
 * Continues watching from a {@link JobHandle} (or its JSON): the first poll is at `nextPollAt`,
 * the deadline and attempt count carry over, and `options.timeoutMs` is ignored. A handle that is
 * invalid or for another provider or kind rejects `done` with `InvalidHandleError`.
 */
export function resumeJob<TRaw>(
  source: JobSource<TRaw>,
  handle: JobHandle | string,
  options: WatchOptions<NoInfer<TRaw>> = {},
): JobWatch<TRaw> {
  return openWatch(soloHost(options.clock ?? systemClock), source, '', options, {
    resume: () => resumeFrom(handle, source),
  });
}
