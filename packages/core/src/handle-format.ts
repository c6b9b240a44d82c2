/** The job handle format: the `JobHandle` type, and writing one from a poll state (reading: handle-parse.ts). */
import type { PollState } from './internal/step.js';
import type { ProviderName } from './job-state.js';

/** The handle format this version reads and writes. */
export const JOB_HANDLE_VERSION = 1;

/**
 * A small, versioned, plain-JSON description of a watched job, so polling can continue in another
 * process (`resumeJob`) or one step at a time from a cron job or queue (`pollOnce`).
 * Times are clock milliseconds (Unix ms with the real clock).
 */
export interface JobHandle {
  /** Format version; always `1` here. */
  v: 1;
  /** The source's provider. */
  provider: ProviderName;
  /** The source's kind. */
  kind: string;
  /** The job id. */
  id: string;
  /** When the next poll is due. */
  nextPollAt: number;
  /** Polls sent so far. */
  attempt: number;
  /** When watching started. */
  startedAt: number;
  /** When watching gives up, or `null` for never. */
  deadline: number | null;
  /** Polls since the snapshot last changed, so backoff survives a `pollOnce` round trip. Defaults to `0`. */
  unchanged?: number;
  /** Failed polls in a row, so the error budget survives a round trip. Defaults to `0`. */
  errors?: number;
  /** An opaque key of the last snapshot's status and progress, to tell a change. Defaults to none. */
  sig?: string;
  /** The largest progress fraction reported so far, so progress never goes backwards. Defaults to none. */
  fraction?: number;
  /** Where the job's age counts from, when the provider said it was created before `startedAt`. Defaults to `startedAt`. */
  origin?: number;
  /**
   * What the estimate of the job's end is made from, so it survives a `pollOnce` round trip:
   * `[seenAt, t0, c0, t1, c1, n]`, when the last snapshot was seen and where the running job's
   * count changed (`n` points), times in ms after `startedAt`. Defaults to none.
   */
  eta?: [seenAt: number, t0: number, c0: number, t1: number, c1: number, n: number];
}

/** What a handle must match: a source, or its provider and kind. */
export interface HandleOwner {
  readonly provider: ProviderName;
  readonly kind: string;
}

/** @internal */
export function handleFromState(owner: HandleOwner, id: string, s: PollState): JobHandle {
  const handle: JobHandle = {
    v: 1,
    provider: owner.provider,
    kind: owner.kind,
    id,
    nextPollAt: s.nextPollAt,
    attempt: s.attempt,
    startedAt: s.startedAt,
    deadline: s.deadline,
    unchanged: s.unchanged,
    errors: s.errors,
  };
  if (s.sig !== undefined) handle.sig = s.sig;
  if (s.fraction !== null) handle.fraction = s.fraction;
  if (s.origin !== s.startedAt) handle.origin = s.origin;
  // Times (seenAt, t0, t1) relative to startedAt, in whole ms.
  if (s.eta) handle.eta = s.eta.map((x, i) => (i < 2 || i === 3 ? Math.round(x - s.startedAt) : x)) as typeof s.eta;
  return handle;
}

/** @internal */
export function stateFromHandle(h: JobHandle): PollState {
  return {
    startedAt: h.startedAt,
    deadline: h.deadline,
    nextPollAt: h.nextPollAt,
    attempt: h.attempt,
    unchanged: h.unchanged ?? 0,
    errors: h.errors ?? 0,
    sig: h.sig,
    fraction: h.fraction ?? null,
    origin: h.origin ?? h.startedAt,
    eta: h.eta?.map((x, i) => (i < 2 || i === 3 ? x + h.startedAt : x)) as JobHandle['eta'],
  };
}
