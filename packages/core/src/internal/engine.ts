import type { Clock } from '../clock.js';
import { AbortError, CancelNotSupportedError, HttpError, InvalidResponseError, RateLimitError } from '../errors.js';
import { handleFromState, type JobHandle, parseJobHandle, stateFromHandle } from '../handle.js';
import { isTerminalStatus, type JobSnapshot } from '../job-state.js';
import {
  isNotification,
  type JobNotification,
  type PushModeOptions,
  pushDelay,
  type ResolvedPush,
  resolvePush,
} from '../notify.js';
import {
  type OutcomeOptions,
  type PollEvent,
  type PollOptions,
  type ResolvedPollOptions,
  resolvePollOptions,
  type WatchOptions,
} from '../options.js';
import { type DelaySource, MAX_DELAY_MS, type NextDelay } from '../schedule.js';
import type { JobSource } from '../source.js';
import {
  advance,
  fetchOnce,
  initialState,
  observe,
  type PollInput,
  type PollState,
  pollSource,
  timeoutError,
} from './step.js';
import { validateId } from './validate.js';
import { type End, View, type ViewHost } from './view.js';

/** Limits for one provider, shared by every job of it. */
export interface ProviderLimits {
  /** Requests per second to this provider, spaced evenly. Defaults to unlimited. */
  requestsPerSecond?: number;
  /** Requests in flight to this provider at once. Defaults to unlimited (the scheduler's `maxConcurrent` still applies). */
  maxConcurrent?: number;
}

/** @internal */
export interface EngineConfig {
  clock: Clock;
  maxConcurrent?: number;
  perProvider?: Readonly<Record<string, ProviderLimits>>;
  defaults?: PollOptions & OutcomeOptions & PushModeOptions;
}

/** @internal Counters of an engine. */
export interface EngineStats {
  watching: number;
  inFlight: number;
  queued: number;
  timers: number;
}

// One provider's shared budget: a concurrency cap, an evenly spaced request rate, and a pause after a 429.
class ProviderGate {
  inFlight = 0;
  pausedUntil = Number.NEGATIVE_INFINITY;
  // After a 429, one request at a time until one sent after it succeeds, so resuming jobs don't earn a burst of 429s.
  probing = false;
  /** Counts 429s, to tell requests sent before the last one from those sent after. */
  limits = 0;
  #nextFreeAt = Number.NEGATIVE_INFINITY;
  #lastSentAt = Number.NEGATIVE_INFINITY;

  constructor(
    readonly maxConcurrent: number,
    readonly requestsPerSecond: number | undefined,
  ) {}

  blocked(): boolean {
    return this.inFlight >= this.maxConcurrent || (this.probing && this.inFlight > 0);
  }

  /** Reserves the next request slot of the rate budget; returns how long to wait for it. */
  reserve(now: number): number {
    if (this.requestsPerSecond === undefined) return 0;
    const at = Math.max(now, this.#nextFreeAt);
    this.#nextFreeAt = at + 1000 / this.requestsPerSecond;
    return at - now;
  }

  /**
   * Admits a request now if the last one actually sent was at least one slot ago, else returns how
   * long to wait. Reserved slots whose timers fired late (the event loop was blocked) must not all go
   * at once: missed slots are not banked.
   */
  admit(now: number): number {
    if (this.requestsPerSecond === undefined) return 0;
    const wait = this.#lastSentAt + 1000 / this.requestsPerSecond - now;
    if (wait > 0) return wait;
    this.#lastSentAt = now;
    return 0;
  }
}

/** One job being polled, shared by all its views. */
class Loop<TRaw> implements ViewHost<TRaw> {
  readonly views = new Set<View<TRaw>>();
  readonly controller = new AbortController();
  snapshot: JobSnapshot<TRaw> | undefined;
  phase: 'sleeping' | 'queued' | 'polling' | 'ended' = 'queued';
  timer: unknown = undefined;
  // Holds a reserved rate slot while waiting for it, so it is not reserved twice.
  reserved = false;
  /** Push mode, or `undefined` when off. */
  push: ResolvedPush | undefined = undefined;
  /** Notifications received so far, and how many there were when the current poll was sent. */
  notices = 0;
  noticesAtPoll = 0;
  /** A notification announced a terminal status that no poll has confirmed yet. */
  expectsEnd = false;
  /** The next poll was brought forward by a notification; `notifiedPoll`: the current one was. */
  woken = false;
  notifiedPoll = false;
  /** When the last poll was sent, and the rule that decided the current sleep. */
  lastPollAt = Number.NEGATIVE_INFINITY;
  sleepSource: DelaySource | null = null;

  constructor(
    readonly engine: Engine,
    readonly key: string,
    readonly source: JobSource<TRaw>,
    readonly id: string,
    readonly policy: ResolvedPollOptions,
    public state: PollState,
  ) {}

  detach(view: View<TRaw>): void {
    this.views.delete(view);
    if (this.views.size === 0) this.engine.end(this, { error: new AbortError('every watcher stopped') });
  }

  cancel(): Promise<void> {
    return this.engine.cancel(this);
  }

  notify(n: JobNotification): boolean {
    return this.engine.notify(n, this as Loop<unknown>);
  }

  toHandle(): JobHandle {
    return handleFromState(this.source, this.id, this.state);
  }
}

/**
 * The polling engine behind `watchJob` (a private engine per watch) and `createJobScheduler`
 * (one engine for many jobs). One timer per job that waits for its next poll; jobs waiting for
 * a free request slot hold none.
 */
export class Engine {
  readonly clock: Clock;
  readonly #maxConcurrent: number;
  readonly #limits: Readonly<Record<string, ProviderLimits>>;
  readonly #defaults: PollOptions & OutcomeOptions & PushModeOptions;
  readonly #loops = new Map<string, Loop<unknown>>();
  /** Loops by provider, kind and id (without the source), for `notify`. */
  readonly #byJob = new Map<string, Set<Loop<unknown>>>();
  /** When the last notification of a provider and kind arrived. */
  readonly #pushSeen = new Map<string, number>();
  readonly #ready: Loop<unknown>[] = [];
  readonly #gates = new Map<string, ProviderGate>();
  readonly #running = new Set<Promise<void>>();
  #inFlight = 0;
  #closed = false;
  #pumping = false;

  constructor(config: EngineConfig) {
    this.clock = config.clock;
    this.#maxConcurrent = config.maxConcurrent ?? Number.POSITIVE_INFINITY;
    this.#limits = config.perProvider ?? {};
    this.#defaults = config.defaults ?? {};
  }

  /**
   * Watches a job (or resumes `handle`, whose id then wins), joining the loop that already polls
   * it, if any. Never throws: `done` rejects.
   */
  watch<TRaw>(
    source: JobSource<TRaw>,
    id: string,
    options: WatchOptions<TRaw>,
    handle?: JobHandle | string,
  ): View<TRaw> {
    let loop: Loop<TRaw>;
    let created = false;
    try {
      if (this.#closed) throw new AbortError('the scheduler is closed');
      if (options.signal?.aborted) throw options.signal.reason;
      const resumed = handle === undefined ? undefined : parseJobHandle(handle, source);
      const jobId = resumed ? resumed.id : id;
      validateId(source, jobId);
      const merged = merge(this.#defaults, options);
      const policy = resolvePollOptions(merged);
      const push = resolvePush(merged.push);
      // The source object is part of the key: two sources (e.g. two tenants' clients) never share a poll.
      const key = `${sourceId(source)}\u0000${source.provider}\u0000${source.kind}\u0000${jobId}`;
      const existing = this.#loops.get(key) as Loop<TRaw> | undefined;
      if (existing) {
        loop = existing;
      } else {
        const state = resumed ? stateFromHandle(resumed) : initialState(this.clock.now(), policy.timeoutMs);
        loop = new Loop(this, key, source, jobId, policy, state);
        loop.push = push;
        this.#loops.set(key, loop as Loop<unknown>);
        const byJob = jobKey(source.provider, source.kind, jobId);
        this.#byJob.set(byJob, (this.#byJob.get(byJob) ?? new Set()).add(loop as Loop<unknown>));
        created = true;
      }
    } catch (error) {
      const view = new View<TRaw>(deadHost(source, id, this.clock), options);
      view.finish({ error });
      return view;
    }
    const view = new View(loop, merge(this.#defaults, options));
    loop.views.add(view);
    view.listen(options.signal);
    if (created) this.#schedule(loop, loop.state.nextPollAt);
    return view;
  }

  stats(): EngineStats {
    let timers = 0;
    for (const loop of this.#loops.values()) if (loop.timer !== undefined) timers++;
    return { watching: this.#loops.size, inFlight: this.#inFlight, queued: this.#ready.length, timers };
  }

  /** Ends every loop (views reject with `AbortError`) and waits for in-flight polls to unwind. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const loop of [...this.#loops.values()]) this.end(loop, { error: new AbortError('the scheduler was closed') });
    await Promise.allSettled([...this.#running]);
  }

  /** Ends a loop: clears its timer, aborts its request and settles every view. */
  end<TRaw>(loop: Loop<TRaw>, end: End<TRaw>): void {
    if (loop.phase === 'ended') return;
    loop.phase = 'ended';
    if (loop.timer !== undefined) {
      this.clock.clearTimeout(loop.timer);
      loop.timer = undefined;
    }
    const queued = this.#ready.indexOf(loop as Loop<unknown>);
    if (queued >= 0) this.#ready.splice(queued, 1);
    if (this.#loops.get(loop.key) === loop) this.#loops.delete(loop.key);
    const byJob = jobKey(loop.source.provider, loop.source.kind, loop.id);
    const siblings = this.#byJob.get(byJob);
    if (siblings?.delete(loop as Loop<unknown>) && siblings.size === 0) this.#byJob.delete(byJob);
    loop.controller.abort(end.error ?? new AbortError('the job finished'));
    for (const view of [...loop.views]) view.finish(end);
    loop.views.clear();
  }

  /** Sends the server-side cancel, then looks at the job again soon. */
  async cancel<TRaw>(loop: Loop<TRaw>): Promise<void> {
    const { source } = loop;
    const send = source.cancel?.bind(source);
    if (!send) {
      throw new CancelNotSupportedError(
        `${source.provider} ${source.kind} jobs cannot be cancelled: the source has no cancel()`,
      );
    }
    const result = await fetchOnce(
      (context) => send(loop.id, context),
      loop.controller.signal,
      this.clock,
      loop.policy.requestTimeoutMs,
    );
    if (loop.phase === 'ended') return;
    loop.state = { ...loop.state, unchanged: 0 };
    if (result?.snapshot) {
      const seen = observe(loop.state, result.snapshot);
      loop.state = { ...loop.state, sig: seen.sig, fraction: seen.snapshot.progress.fraction };
      if (seen.changed) this.#deliver(loop, seen.snapshot);
      if (seen.snapshot.isTerminal) {
        this.end(loop, { snapshot: seen.snapshot });
        return;
      }
    }
    // The job should be cancelling now: don't wait out a long backoff to see it.
    const soon = this.clock.now() + loop.policy.minIntervalMs;
    if (loop.phase === 'sleeping' && soon < loop.state.nextPollAt) {
      this.clock.clearTimeout(loop.timer);
      loop.timer = undefined;
      this.#schedule(loop, soon);
    }
  }

  /**
   * A notification: wakes the loops polling its job (every one, or only `only`) for one poll now.
   * Returns whether any matched. Any notification of a provider and kind that reaches this engine
   * (for `only`: a matching one) keeps push alive for it.
   */
  notify(n: JobNotification, only?: Loop<unknown>): boolean {
    if (this.#closed || !isNotification(n)) return false;
    const key = jobKey(n.provider, n.kind, n.id);
    const loops = only
      ? only.phase !== 'ended' && jobKey(only.source.provider, only.source.kind, only.id) === key
        ? [only]
        : []
      : [...(this.#byJob.get(key) ?? [])];
    if (!only || loops.length > 0) this.#pushSeen.set(jobKey(n.provider, n.kind, ''), this.clock.now());
    for (const loop of loops) this.#wake(loop, n);
    return loops.length > 0;
  }

  // One poll as soon as the floor allows. A poll already due or in flight counts; one in flight that
  // was sent on the schedule may predate the event, so it is followed by one more (see #nextDelay).
  // A poll sent for a notification less than minIntervalMs ago counts too: it saw the event that a
  // burst of duplicate deliveries repeats. A Retry-After is honoured.
  #wake<TRaw>(loop: Loop<TRaw>, n: JobNotification): void {
    loop.notices++;
    if (n.status !== undefined && isTerminalStatus(n.status)) loop.expectsEnd = true;
    // Something happened: the backoff starts over.
    loop.state = { ...loop.state, unchanged: 0 };
    if (loop.phase !== 'sleeping' || loop.reserved || loop.sleepSource === 'server') return;
    const now = this.clock.now();
    if (loop.notifiedPoll && now < loop.lastPollAt + loop.policy.minIntervalMs) return;
    const at = Math.max(now, loop.lastPollAt + loop.policy.minIntervalMs);
    if (at >= loop.state.nextPollAt) return;
    this.clock.clearTimeout(loop.timer);
    loop.timer = undefined;
    loop.woken = true;
    this.#schedule(loop, at);
  }

  #schedule<TRaw>(loop: Loop<TRaw>, at: number): void {
    loop.state.nextPollAt = at;
    const wait = at - this.clock.now();
    if (wait > 0) {
      loop.phase = 'sleeping';
      loop.timer = this.clock.setTimeout(
        () => {
          loop.timer = undefined;
          this.#enqueue(loop);
        },
        Math.min(wait, MAX_DELAY_MS),
      );
    } else {
      this.#enqueue(loop);
    }
  }

  #enqueue<TRaw>(loop: Loop<TRaw>): void {
    loop.phase = 'queued';
    this.#ready.push(loop as Loop<unknown>);
    this.#pump();
  }

  // Starts as many due jobs as the global and per-provider budgets allow, in arrival order.
  #pump(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      let i = 0;
      while (i < this.#ready.length && this.#inFlight < this.#maxConcurrent) {
        const loop = this.#ready[i] as Loop<unknown>;
        const gate = this.#gate(loop.source.provider);
        if (gate.blocked()) {
          i++;
          continue;
        }
        this.#ready.splice(i, 1);
        const now = this.clock.now();
        if (now < gate.pausedUntil) {
          this.#defer(loop, gate.pausedUntil, now);
          continue;
        }
        if (!loop.reserved) {
          const wait = gate.reserve(now);
          if (wait > 0) {
            loop.reserved = true;
            this.#defer(loop, now + wait, now);
            continue;
          }
        }
        const late = gate.admit(now);
        if (late > 0) {
          loop.reserved = true;
          this.#defer(loop, now + late, now);
          continue;
        }
        loop.reserved = false;
        const run = this.#poll(loop, gate);
        this.#running.add(run);
        void run.finally(() => this.#running.delete(run));
      }
    } finally {
      this.#pumping = false;
    }
  }

  // The provider is paused or out of budget: wait, but a poll the gate pushes past the deadline is not sent.
  #defer<TRaw>(loop: Loop<TRaw>, at: number, now: number): void {
    const { deadline } = loop.state;
    if (deadline !== null && at > deadline && now >= deadline) {
      this.end(loop, { error: timeoutError(loop.state, loop.snapshot) });
    } else {
      this.#schedule(loop, deadline === null ? at : Math.min(at, deadline));
    }
  }

  async #poll<TRaw>(loop: Loop<TRaw>, gate: ProviderGate): Promise<void> {
    loop.phase = 'polling';
    this.#inFlight++;
    gate.inFlight++;
    const at = this.clock.now();
    const epoch = gate.limits;
    loop.lastPollAt = at;
    loop.noticesAtPoll = loop.notices;
    loop.notifiedPoll = loop.woken;
    loop.woken = false;
    let input: PollInput<TRaw>;
    try {
      input = await pollSource(loop.source, loop.id, loop.controller.signal, this.clock, loop.policy.requestTimeoutMs);
    } finally {
      this.#inFlight--;
      gate.inFlight--;
    }
    // The loop may have ended while the request was in flight (stop, abort, close).
    if ((loop.phase as Loop<TRaw>['phase']) !== 'ended') this.#settle(loop, gate, input, at, epoch);
    this.#pump();
  }

  #settle<TRaw>(loop: Loop<TRaw>, gate: ProviderGate, input: PollInput<TRaw>, at: number, epoch: number): void {
    const now = this.clock.now();
    const out = advance(loop.state, input, loop.policy, now, loop.snapshot);
    loop.state = out.state;
    const delay = out.done ? null : this.#nextDelay(loop, out.delay, at, now);
    if (delay) out.state.nextPollAt = now + delay.delayMs;
    loop.sleepSource = delay?.delaySource ?? null;
    const error = input.ok ? undefined : input.error;
    if (error instanceof RateLimitError) {
      gate.probing = true;
      gate.limits++;
      const pauseMs = error.retryAfterMs ?? out.delay?.delayMs ?? loop.policy.minIntervalMs;
      gate.pausedUntil = Math.max(gate.pausedUntil, now + pauseMs);
    } else if (input.ok && epoch === gate.limits) {
      gate.probing = false;
    }
    // A resumed watch delivers its first snapshot even when the handle says nothing changed.
    if (out.snapshot && (out.changed || !loop.snapshot)) this.#deliver(loop, out.snapshot);
    const event: PollEvent = {
      attempt: out.state.attempt,
      at,
      durationMs: now - at,
      delayMs: delay?.delayMs ?? null,
      delaySource: delay?.delaySource ?? null,
    };
    if (loop.notifiedPoll) event.notified = true;
    const httpStatus = input.ok
      ? input.hints.httpStatus
      : error instanceof HttpError || error instanceof InvalidResponseError
        ? error.status
        : undefined;
    if (httpStatus !== undefined) event.httpStatus = httpStatus;
    if (out.snapshot) {
      event.rawStatus = out.snapshot.rawStatus;
      event.status = out.snapshot.status;
    }
    if (!input.ok) event.error = error;
    for (const view of [...loop.views]) view.polled(event);
    if (loop.phase === 'ended') return;
    if (!out.done) this.#schedule(loop, out.state.nextPollAt);
    else if (out.error !== undefined || !out.snapshot) this.end(loop, { error: out.error });
    else this.end(loop, { snapshot: out.snapshot });
  }

  // The schedule's delay, adjusted for notifications: shortened when one arrived during a poll sent
  // on the schedule (that poll may predate the event; one sent for a notification already saw it,
  // so duplicates cost nothing more), else raised to the push safety interval while push is alive.
  #nextDelay<TRaw>(loop: Loop<TRaw>, delay: NextDelay | null, at: number, now: number): NextDelay | null {
    if (!delay) return null;
    if (loop.notices !== loop.noticesAtPoll && !loop.notifiedPoll && delay.delaySource !== 'server') {
      const soon = Math.max(0, at + loop.policy.minIntervalMs - now);
      if (soon >= delay.delayMs) return delay;
      loop.woken = true;
      return { delayMs: soon, delaySource: 'notify' };
    }
    if (!loop.push || loop.expectsEnd) return delay;
    const lastPushAt = this.#pushSeen.get(jobKey(loop.source.provider, loop.source.kind, ''));
    return pushDelay(delay, now, lastPushAt, loop.push, loop.state.deadline);
  }

  #deliver<TRaw>(loop: Loop<TRaw>, snapshot: JobSnapshot<TRaw>): void {
    loop.snapshot = snapshot;
    for (const view of [...loop.views]) view.receive(snapshot);
  }

  #gate(provider: string): ProviderGate {
    let gate = this.#gates.get(provider);
    if (!gate) {
      const limits = Object.hasOwn(this.#limits, provider) ? this.#limits[provider] : undefined;
      gate = new ProviderGate(limits?.maxConcurrent ?? Number.POSITIVE_INFINITY, limits?.requestsPerSecond);
      this.#gates.set(provider, gate);
    }
    return gate;
  }
}

// The host of a watch that never started (bad input, aborted signal, closed scheduler).
function deadHost<TRaw>(source: JobSource<TRaw>, id: string, clock: Clock): ViewHost<TRaw> {
  const owner = { provider: String(source?.provider), kind: String(source?.kind) };
  return {
    snapshot: undefined,
    detach: () => {},
    cancel: async () => {},
    notify: () => false,
    toHandle: () => handleFromState(owner, String(id), initialState(clock.now(), undefined)),
  };
}

// Options without their `undefined` fields, over defaults.
function merge<T extends object>(defaults: Partial<T>, options: T): T {
  const out: Record<string, unknown> = { ...defaults };
  for (const [key, value] of Object.entries(options)) if (value !== undefined) out[key] = value;
  return out as T;
}

const jobKey = (provider: string, kind: string, id: string) => `${provider}\u0000${kind}\u0000${id}`;

const sourceIds = new WeakMap<object, number>();
let nextSourceId = 0;

function sourceId(source: object): number {
  let id = sourceIds.get(source);
  if (id === undefined) {
    id = nextSourceId++;
    sourceIds.set(source, id);
  }
  return id;
}
