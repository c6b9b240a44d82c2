/**
 * `@batchwatch/core/scheduler`: watch many jobs in one process with shared request budgets: at
 * most `maxConcurrent` requests in flight, per provider an evenly spaced request rate and a
 * concurrency cap, a 429 that pauses every job of its provider, dedupe of watchers of the same
 * job, and `notify` to route webhooks to the jobs they are about.
 *
 * @module
 */
import { type Clock, systemClock } from './clock.js';
import { AbortError, RateLimitError, ValidationError } from './errors.js';
import type { JobHandle } from './handle-format.js';
import { resumeFrom } from './handle-parse.js';
import type { HoldReason, Loop, LoopHost } from './internal/loop.js';
import { deadView, openWatch } from './internal/open-watch.js';
import { isNotification, type JobNotification, type PushModeOptions, resolvePush } from './notify.js';
import { type OutcomeOptions, type PollOptions, resolvePollOptions, type WatchOptions } from './options.js';
import type { JobSource } from './source.js';
import type { JobWatch } from './watch.js';

/** Limits for one provider, shared by every job of it. */
export interface ProviderLimits {
  /** Requests per second to this provider, spaced evenly. Defaults to unlimited. */
  requestsPerSecond?: number;
  /** Requests in flight to this provider at once. Defaults to unlimited (the scheduler's `maxConcurrent` still applies). */
  maxConcurrent?: number;
}

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
  const host = new SchedulerHost(clock, maxConcurrent, perProvider, defaults);
  return {
    watch: (source, id, watchOptions = {}) => host.watch(source, id, watchOptions),
    resume: (source, handle, watchOptions = {}) => host.watch(source, '', watchOptions, handle),
    notify: (n) => host.notify(n),
    stats: () => host.stats(),
    close: () => host.close(),
  };
}

// One provider's shared budget, in HTTP requests (a poll costs its source's `requestsPerPoll`): a
// concurrency cap, an evenly spaced request rate, and a pause after a 429.
class ProviderGate {
  inFlight = 0;
  pausedUntil = Number.NEGATIVE_INFINITY;
  // After a 429, one poll at a time until one sent after it succeeds, so resuming jobs don't earn a burst of 429s.
  probing = false;
  /** Counts 429s, to tell requests sent before the last one from those sent after. */
  rateLimits = 0;
  #nextFreeAt = Number.NEGATIVE_INFINITY;
  #nextSendAt = Number.NEGATIVE_INFINITY;

  constructor(
    readonly maxConcurrent: number,
    readonly requestsPerSecond: number | undefined,
  ) {}

  /** Whether a poll of `cost` requests must wait for requests in flight. One poll always fits an idle gate. */
  blocked(cost: number): boolean {
    return this.inFlight > 0 && (this.inFlight + cost > this.maxConcurrent || this.probing);
  }

  /** Reserves the next slot of the rate budget for a poll of `cost` requests due at `at`; returns when it is. */
  reserve(at: number, cost: number): number {
    if (this.requestsPerSecond === undefined) return at;
    const slot = Math.max(at, this.#nextFreeAt);
    this.#nextFreeAt = slot + (cost * 1000) / this.requestsPerSecond;
    return slot;
  }

  /** Whether the rate budget is spoken for at `at`: a poll due then would wait for a slot. */
  binds(at: number): boolean {
    // Without a rate, `reserve` never moves `#nextFreeAt` from -Infinity.
    return this.#nextFreeAt > at;
  }

  /**
   * Admits a poll of `cost` requests now if the requests actually sent before it are spaced out,
   * else returns how long to wait. Reserved slots whose timers fired late (the event loop was
   * blocked) must not all go at once: missed slots are not banked.
   */
  admit(now: number, cost: number): number {
    if (this.requestsPerSecond === undefined) return 0;
    const wait = this.#nextSendAt - now;
    if (wait > 0) return wait;
    this.#nextSendAt = now + (cost * 1000) / this.requestsPerSecond;
    return 0;
  }
}

/**
 * Runs many poll loops under shared budgets. One timer per job that waits for its next poll; jobs
 * waiting for a free request slot hold none.
 */
class SchedulerHost implements LoopHost {
  readonly #loops = new Map<string, Loop<unknown>>();
  /** Loops by provider, kind and id (without the source), for `notify`. */
  readonly #byJob = new Map<string, Set<Loop<unknown>>>();
  /** When the last notification of a provider and kind arrived. */
  readonly #pushSeen = new Map<string, number>();
  readonly #ready: Loop<unknown>[] = [];
  readonly #gates = new Map<string, ProviderGate>();
  readonly #running = new Set<Promise<void>>();
  /** Loops holding a slot of their provider's rate budget: at their slot they go without asking again. */
  readonly #reserved = new WeakSet<Loop<unknown>>();
  #inFlight = 0;
  #closed = false;
  #pumping = false;

  constructor(
    readonly clock: Clock,
    readonly maxConcurrent: number,
    readonly providerLimits: Readonly<Record<string, ProviderLimits>>,
    readonly defaults: PollOptions & OutcomeOptions & PushModeOptions,
  ) {}

  watch<TRaw>(
    source: JobSource<TRaw>,
    id: string,
    options: WatchOptions<TRaw>,
    handle?: JobHandle | string,
  ): JobWatch<TRaw> {
    if (this.#closed) return deadView(source, id, this.clock, options, new AbortError('the scheduler is closed'));
    return openWatch(this, source, id, options, {
      resume: handle === undefined ? undefined : () => resumeFrom(handle, source),
      defaults: this.defaults,
      check: () => checkCost(source),
      find: (jobId) => this.#loops.get(loopKey(source, jobId)) as Loop<TRaw> | undefined,
      created: (loop) => {
        this.#loops.set(loopKey(source, loop.id), loop as Loop<unknown>);
        const byJob = jobKey(source.provider, source.kind, loop.id);
        this.#byJob.set(byJob, (this.#byJob.get(byJob) ?? new Set()).add(loop as Loop<unknown>));
      },
    });
  }

  due(loop: Loop<unknown>): void {
    // Every request slot is taken: it waits in the queue, held by the budget (its next event says how long).
    if (this.#inFlight >= this.maxConcurrent) loop.defer('budget');
    this.#ready.push(loop);
    this.#pump();
  }

  ended(loop: Loop<unknown>): void {
    const queued = this.#ready.indexOf(loop);
    if (queued >= 0) this.#ready.splice(queued, 1);
    const key = loopKey(loop.source, loop.id);
    if (this.#loops.get(key) === loop) this.#loops.delete(key);
    const byJob = jobKey(loop.source.provider, loop.source.kind, loop.id);
    const siblings = this.#byJob.get(byJob);
    // Stryker disable next-line OptionalChaining: `siblings` is always there: every created loop was added under its job key
    if (siblings?.delete(loop) && siblings.size === 0) this.#byJob.delete(byJob);
  }

  sawPush(provider: string, kind: string): void {
    this.#pushSeen.set(jobKey(provider, kind, ''), this.clock.now());
  }

  lastPushAt(provider: string, kind: string): number | undefined {
    return this.#pushSeen.get(jobKey(provider, kind, ''));
  }

  /**
   * A notification: wakes every loop polling its job for one poll now. Returns whether any
   * matched. Any notification of a provider and kind keeps push alive for it.
   */
  notify(n: JobNotification): boolean {
    if (this.#closed || !isNotification(n)) return false;
    this.sawPush(n.provider, n.kind);
    const loops = [...(this.#byJob.get(jobKey(n.provider, n.kind, n.id)) ?? [])];
    for (const loop of loops) loop.wake(n);
    return loops.length > 0;
  }

  stats(): SchedulerStats {
    let timers = 0;
    for (const loop of this.#loops.values()) if (loop.sleeping) timers++;
    return { watching: this.#loops.size, inFlight: this.#inFlight, queued: this.#ready.length, timers };
  }

  /** Ends every loop (views reject with `AbortError`) and waits for in-flight polls to unwind. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const loop of [...this.#loops.values()]) loop.end({ error: new AbortError('the scheduler was closed') });
    await Promise.allSettled([...this.#running]);
  }

  // Starts as many due jobs as the global and per-provider budgets allow, in arrival order.
  #pump(): void {
    if (this.#pumping) return;
    // Stryker disable next-line BooleanLiteral: the re-entry guard: re-entry only comes from a source notifying synchronously inside its own fetch, and a nested pump starts the same loops in the same order
    this.#pumping = true;
    try {
      let i = 0;
      while (i < this.#ready.length && this.#inFlight < this.maxConcurrent) {
        const loop = this.#ready[i] as Loop<unknown>;
        const cost = costOf(loop);
        const gate = this.#gate(loop.source.provider);
        if (gate.blocked(cost) || (this.#inFlight > 0 && this.#inFlight + cost > this.maxConcurrent)) {
          loop.defer(gate.probing ? 'rate-limit' : 'budget');
          i++;
          continue;
        }
        this.#ready.splice(i, 1);
        const now = this.clock.now();
        if (now < gate.pausedUntil) {
          loop.defer('rate-limit', gate.pausedUntil);
          continue;
        }
        if (!this.#reserved.has(loop)) {
          const slot = gate.reserve(now, cost);
          if (slot > now) {
            this.#reserved.add(loop);
            loop.defer('budget', slot);
            continue;
          }
        }
        const late = gate.admit(now, cost);
        if (late > 0) {
          this.#reserved.add(loop);
          loop.defer('budget', now + late);
          continue;
        }
        this.#reserved.delete(loop);
        this.#start(loop, gate, cost);
      }
    } finally {
      this.#pumping = false;
    }
  }

  #start(loop: Loop<unknown>, gate: ProviderGate, cost: number): void {
    this.#inFlight += cost;
    gate.inFlight += cost;
    const epoch = gate.rateLimits;
    const run = loop
      .run({
        received: () => {
          this.#inFlight -= cost;
          gate.inFlight -= cost;
        },
        settled: (input, delay, now) => {
          const error = input.ok ? undefined : input.error;
          if (error instanceof RateLimitError) {
            gate.probing = true;
            // Stryker disable next-line UpdateOperator: only equality with the count taken at send time matters, and counting down changes it just as well
            gate.rateLimits++;
            const pauseMs = error.retryAfterMs ?? delay?.delayMs ?? loop.policy.minIntervalMs;
            gate.pausedUntil = Math.max(gate.pausedUntil, now + pauseMs);
          } else if (input.ok && epoch === gate.rateLimits) {
            gate.probing = false;
          }
        },
      })
      .then(() => this.#pump());
    this.#running.add(run);
    // Stryker disable next-line ArrowFunction: memory only: close() waits for every run, settled ones included
    void run.finally(() => this.#running.delete(run));
  }

  /**
   * Where the gate will hold a loop due at `at`: until its provider's pause after a 429 ends, or
   * (reserved now) until its slot of the request budget when the budget is spoken for by then.
   */
  hold(loop: Loop<unknown>, at: number): { at: number; reason: HoldReason } | undefined {
    const gate = this.#gate(loop.source.provider);
    if (gate.pausedUntil > at) return { at: gate.pausedUntil, reason: 'rate-limit' };
    if (!gate.binds(at) || this.#reserved.has(loop)) return undefined;
    this.#reserved.add(loop);
    return { at: gate.reserve(at, costOf(loop)), reason: 'budget' };
  }

  #gate(provider: string): ProviderGate {
    let gate = this.#gates.get(provider);
    if (!gate) {
      const limits = Object.hasOwn(this.providerLimits, provider) ? this.providerLimits[provider] : undefined;
      gate = new ProviderGate(limits?.maxConcurrent ?? Number.POSITIVE_INFINITY, limits?.requestsPerSecond);
      this.#gates.set(provider, gate);
    }
    return gate;
  }
}

/** A source's `requestsPerPoll` is a whole number of requests, at least 1: checked when watched, before any request. */
function checkCost(source: JobSource<unknown>): void {
  const cost = source.requestsPerPoll;
  if (cost !== undefined && !(Number.isInteger(cost) && cost >= 1)) {
    throw new ValidationError('source.requestsPerPoll', 'an integer >= 1', { received: String(cost) });
  }
}

/** What one poll of a loop costs the request budgets: its source's `requestsPerPoll` (validated when watched). */
const costOf = (loop: Loop<unknown>) => loop.source.requestsPerPoll ?? 1;

const jobKey = (provider: string, kind: string, id: string) => `${provider}\u0000${kind}\u0000${id}`;

// The source object is part of a loop's key: two sources (e.g. two tenants' clients) never share a poll.
const loopKey = (source: JobSource<unknown>, id: string) =>
  `${sourceId(source)}\u0000${jobKey(source.provider, source.kind, id)}`;

const sourceIds = new WeakMap<object, number>();
let nextSourceId = 0;

function sourceId(source: object): number {
  let id = sourceIds.get(source);
  if (id === undefined) {
    // Stryker disable next-line UpdateOperator: ids only need to differ, and counting down keeps them distinct
    id = nextSourceId++;
    sourceIds.set(source, id);
  }
  return id;
}
