import type { Clock } from '../clock.js';
import { AbortError, CancelNotSupportedError, HttpError, InvalidResponseError, RateLimitError } from '../errors.js';
import { handleFromState, type JobHandle } from '../handle.js';
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

/**
 * @internal What a poll loop needs from whoever runs it: `watchJob` runs one loop on its own
 * ({@link soloHost}); the scheduler runs many under shared request budgets.
 */
export interface LoopHost {
  readonly clock: Clock;
  /** The loop is due: start its poll (`loop.run()`) now or later. */
  due(loop: Loop<unknown>): void;
  /** The loop ended: forget it. */
  ended(loop: Loop<unknown>): void;
  /** A notification for this host's jobs of `provider` and `kind` arrived now (keeps push alive). */
  sawPush(provider: string, kind: string): void;
  /** When the last notification for `provider` and `kind` arrived, if any. */
  lastPushAt(provider: string, kind: string): number | undefined;
  /**
   * The loop will next be due at `at`: returns a later time and why, when the host already knows
   * it will hold the poll until then (a provider paused after a 429, a reserved budget slot).
   */
  hold?(loop: Loop<unknown>, at: number, now: number): { at: number; source: DelaySource } | undefined;
}

/** @internal Called around one poll by a host that shares budgets between loops. */
export interface RunHooks {
  /** The request finished (or failed); called before the loop settles. */
  received(): void;
  /** The poll settled: `delay` is the schedule's delay before push adjustments (`null` when polling ends). */
  settled(input: PollInput<unknown>, delay: NextDelay | null, now: number): void;
}

type Phase = 'sleeping' | 'queued' | 'polling' | 'ended';

/** @internal One job being polled, shared by all its views. */
export class Loop<TRaw> implements ViewHost<TRaw> {
  readonly views = new Set<View<TRaw>>();
  readonly #controller = new AbortController();
  snapshot: JobSnapshot<TRaw> | undefined;
  #phase: Phase = 'queued';
  timer: unknown = undefined;
  /** Set by a host whose budget holds this sleep (a reserved request slot): a notification must not shorten it. */
  reserved = false;
  /** Notifications received so far, and how many there were when the current poll was sent. */
  #notices = 0;
  #noticesAtPoll = 0;
  /** A notification announced a terminal status that no poll has confirmed yet. */
  #expectsEnd = false;
  /** The next poll was brought forward by a notification; `notifiedPoll`: the current one was. */
  #woken = false;
  #notifiedPoll = false;
  /** When the last poll was sent, and the rule that decided the current sleep. */
  #lastPollAt = Number.NEGATIVE_INFINITY;
  #sleepSource: DelaySource | null = null;
  /** The last poll was rate limited: its backoff holds even when a notification arrives. */
  #limited = false;
  /** When the next poll was due as last reported, and why a host held it past that, if it did. */
  #reportedAt = Number.NEGATIVE_INFINITY;
  #heldBy: 'rate-limit' | 'budget' | undefined;

  constructor(
    readonly host: LoopHost,
    readonly source: JobSource<TRaw>,
    readonly id: string,
    readonly policy: ResolvedPollOptions,
    /** Push mode, or `undefined` when off. */
    readonly push: ResolvedPush | undefined,
    public state: PollState,
  ) {}

  get clock(): Clock {
    return this.host.clock;
  }

  detach(view: View<TRaw>): void {
    this.views.delete(view);
    if (this.views.size === 0) this.end({ error: new AbortError('every watcher stopped') });
  }

  toHandle(): JobHandle {
    return handleFromState(this.source, this.id, this.state);
  }

  /**
   * Sleeps until `at` (or is due now), then asks the host to run it. A poll that would be sent past
   * the deadline (an expired handle, a hold beyond it) is never sent: the loop ends with `PollTimeoutError`.
   */
  schedule(at: number): void {
    const now = this.clock.now();
    const { deadline } = this.state;
    if (deadline !== null && Math.max(at, now) > deadline) {
      this.end({ error: timeoutError(this.state, this.snapshot) });
      return;
    }
    this.state.nextPollAt = at;
    const wait = at - now;
    if (wait > 0) {
      this.#phase = 'sleeping';
      this.timer = this.clock.setTimeout(
        () => {
          this.timer = undefined;
          this.#due();
        },
        Math.min(wait, MAX_DELAY_MS),
      );
    } else {
      this.#due();
    }
  }

  #due(): void {
    this.#phase = 'queued';
    this.host.due(this as Loop<unknown>);
  }

  /** The host keeps a due poll waiting (for `why`): the next event reports how long. */
  held(why: 'rate-limit' | 'budget'): void {
    this.#heldBy = why;
  }

  /** Clears the sleep timer; the loop then waits for `schedule`. */
  #clearTimer(): void {
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Ends the loop: clears its timer, aborts its request and settles every view. */
  end(end: End<TRaw>): void {
    if (this.#phase === 'ended') return;
    this.#phase = 'ended';
    if (this.timer !== undefined) this.#clearTimer();
    this.host.ended(this as Loop<unknown>);
    this.#controller.abort(end.error ?? new AbortError('the job finished'));
    for (const view of [...this.views]) view.finish(end);
    this.views.clear();
  }

  /** Sends one poll and settles it. Never rejects. */
  async run(hooks?: RunHooks): Promise<void> {
    this.#phase = 'polling';
    const at = this.clock.now();
    // Waiting in the host's queue for a free request slot is a hold too.
    const heldMs = at - this.#reportedAt;
    const heldBy = heldMs > 0 ? this.#heldBy : undefined;
    this.#heldBy = undefined;
    this.#lastPollAt = at;
    this.#noticesAtPoll = this.#notices;
    this.#notifiedPoll = this.#woken;
    this.#woken = false;
    let input: PollInput<TRaw>;
    try {
      input = await pollSource(this.source, this.id, this.#controller.signal, this.clock, this.policy.requestTimeoutMs);
    } finally {
      hooks?.received();
    }
    // The loop may have ended while the request was in flight (stop, abort, close).
    if ((this.#phase as Phase) !== 'ended') this.#settle(input, at, hooks, heldBy && { heldMs, heldBy });
  }

  #settle(
    input: PollInput<TRaw>,
    at: number,
    hooks: RunHooks | undefined,
    wait: { heldMs: number; heldBy: 'rate-limit' | 'budget' } | undefined,
  ): void {
    const now = this.clock.now();
    const out = advance(this.state, input, this.policy, now, this.snapshot);
    this.state = out.state;
    let delay = out.done ? null : this.#nextDelay(out.delay, at, now);
    this.#limited = !input.ok && input.error instanceof RateLimitError;
    hooks?.settled(input, out.delay, now);
    // What the host holds the next poll for (a provider paused after a 429, a request budget) is
    // part of the delay: report the delay that is applied, not the one the schedule wished for.
    const held = delay && this.host.hold?.(this as Loop<unknown>, now + delay.delayMs, now);
    if (held) delay = { delayMs: held.at - now, delaySource: held.source };
    if (delay) out.state.nextPollAt = now + delay.delayMs;
    this.#reportedAt = delay ? out.state.nextPollAt : Number.NEGATIVE_INFINITY;
    this.#sleepSource = delay?.delaySource ?? null;
    // A resumed watch delivers its first snapshot even when the handle says nothing changed.
    if (out.snapshot && (out.changed || !this.snapshot)) this.#deliver(out.snapshot);
    const event: PollEvent = {
      attempt: out.state.attempt,
      at,
      durationMs: now - at,
      delayMs: delay?.delayMs ?? null,
      delaySource: delay?.delaySource ?? null,
    };
    if (this.#notifiedPoll) event.notified = true;
    if (wait) Object.assign(event, wait);
    const error = input.ok ? undefined : input.error;
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
    for (const view of [...this.views]) view.polled(event);
    if (this.#phase === 'ended') return;
    if (!out.done) this.schedule(out.state.nextPollAt);
    else if (out.error !== undefined || !out.snapshot) this.end({ error: out.error });
    else this.end({ snapshot: out.snapshot });
  }

  // The schedule's delay, adjusted for notifications: shortened when one arrived during a poll sent
  // on the schedule (that poll may predate the event; one sent for a notification already saw it,
  // so duplicates cost nothing more), else raised to the push safety interval while push is alive.
  #nextDelay(delay: NextDelay | null, at: number, now: number): NextDelay | null {
    if (!delay) return null;
    if (this.#notices !== this.#noticesAtPoll && !this.#notifiedPoll && delay.delaySource !== 'server') {
      const soon = Math.max(0, at + this.policy.minIntervalMs - now);
      if (soon >= delay.delayMs) return delay;
      this.#woken = true;
      return { delayMs: soon, delaySource: 'notify' };
    }
    if (!this.push || this.#expectsEnd) return delay;
    const lastPushAt = this.host.lastPushAt(this.source.provider, this.source.kind);
    return pushDelay(delay, now, lastPushAt, this.push, this.state.deadline);
  }

  #deliver(snapshot: JobSnapshot<TRaw>): void {
    this.snapshot = snapshot;
    for (const view of [...this.views]) view.receive(snapshot);
  }

  /** Sends the server-side cancel, then looks at the job again soon. */
  async cancel(): Promise<void> {
    const { source } = this;
    const send = source.cancel?.bind(source);
    if (!send) {
      throw new CancelNotSupportedError(
        `${source.provider} ${source.kind} jobs cannot be cancelled: the source has no cancel()`,
      );
    }
    const result = await fetchOnce(
      (context) => send(this.id, context),
      this.#controller.signal,
      this.clock,
      this.policy.requestTimeoutMs,
    );
    if (this.#phase === 'ended') return;
    this.state = { ...this.state, unchanged: 0 };
    if (result?.snapshot) {
      const seen = observe(this.state, result.snapshot);
      this.state = { ...this.state, sig: seen.sig, fraction: seen.snapshot.progress.fraction };
      if (seen.changed) this.#deliver(seen.snapshot);
      if (seen.snapshot.isTerminal) {
        this.end({ snapshot: seen.snapshot });
        return;
      }
    }
    // The job should be cancelling now: don't wait out a long backoff to see it.
    const soon = this.clock.now() + this.policy.minIntervalMs;
    if (this.#phase === 'sleeping' && soon < this.state.nextPollAt) {
      this.#clearTimer();
      this.schedule(soon);
    }
  }

  /** Whether `n` is about this loop's job. */
  matches(n: JobNotification): boolean {
    return n.provider === this.source.provider && n.kind === this.source.kind && n.id === this.id;
  }

  /** A notification from one of this loop's views. */
  notify(n: JobNotification): boolean {
    if (this.#phase === 'ended' || !isNotification(n) || !this.matches(n)) return false;
    this.host.sawPush(n.provider, n.kind);
    this.wake(n);
    return true;
  }

  /**
   * A notification about this loop's job: one poll as soon as the floor allows. A poll already due
   * or in flight counts; one in flight that was sent on the schedule may predate the event, so it is
   * followed by one more (see #nextDelay). A poll sent for a notification less than minIntervalMs
   * ago counts too: it saw the event that a burst of duplicate deliveries repeats. A Retry-After,
   * and the backoff after a 429, are honoured.
   */
  wake(n: JobNotification): void {
    this.#notices++;
    if (n.status !== undefined && isTerminalStatus(n.status)) this.#expectsEnd = true;
    // Something happened: the backoff starts over.
    this.state = { ...this.state, unchanged: 0 };
    if (this.#phase !== 'sleeping' || this.reserved || this.#limited) return;
    if (this.#sleepSource === 'server' || this.#sleepSource === 'rate-limit') return;
    const now = this.clock.now();
    if (this.#notifiedPoll && now < this.#lastPollAt + this.policy.minIntervalMs) return;
    const at = Math.max(now, this.#lastPollAt + this.policy.minIntervalMs);
    if (at >= this.state.nextPollAt) return;
    this.#clearTimer();
    this.#woken = true;
    this.schedule(at);
  }
}

/** @internal Where a new loop's watch options come from: the caller's over a host's defaults. */
export type LoopDefaults = PollOptions & OutcomeOptions & PushModeOptions;

/** @internal How {@link openWatch} resumes, and how a host that shares loops finds and keeps them. */
export interface OpenWatchOptions<TRaw> {
  /** Where a resumed watch starts; its id wins over `id`. A throw rejects `done`. */
  resume?: () => { id: string; state: PollState };
  /** Poll options every watch of the host starts from. */
  defaults?: LoopDefaults;
  /** The loop already polling `jobId` (scheduler dedupe). */
  find?: (jobId: string) => Loop<TRaw> | undefined;
  /** A new loop, before its first poll is scheduled. */
  created?: (loop: Loop<TRaw>) => void;
}

/**
 * @internal Opens a watch on `host`: validates the input, joins the loop `find` returns or creates
 * one, and attaches a view. Never throws: bad input gives a view whose `done` rejects.
 */
export function openWatch<TRaw>(
  host: LoopHost,
  source: JobSource<TRaw>,
  id: string,
  options: WatchOptions<TRaw>,
  { resume, defaults = {}, find, created }: OpenWatchOptions<TRaw> = {},
): View<TRaw> {
  const merged = merge(defaults, options);
  let loop: Loop<TRaw> | undefined;
  let fresh = false;
  try {
    if (options.signal?.aborted) throw options.signal.reason;
    const resumed = resume?.();
    const jobId = resumed ? resumed.id : id;
    validateId(source, jobId);
    const policy = resolvePollOptions(merged);
    const push = resolvePush(merged.push);
    loop = find?.(jobId);
    if (!loop) {
      const state = resumed ? resumed.state : initialState(host.clock.now(), policy.timeoutMs);
      loop = new Loop(host, source, jobId, policy, push, state);
      fresh = true;
    }
  } catch (error) {
    return deadView(source, id, host.clock, options, error);
  }
  const view = new View(loop, merged);
  loop.views.add(view);
  view.listen(options.signal);
  if (fresh) {
    created?.(loop);
    loop.schedule(loop.state.nextPollAt);
  }
  return view;
}

/** @internal A view that ended before it started (bad input, aborted signal, closed scheduler). */
export function deadView<TRaw>(
  source: JobSource<TRaw>,
  id: string,
  clock: Clock,
  options: WatchOptions<TRaw>,
  error: unknown,
): View<TRaw> {
  const owner = { provider: String(source?.provider), kind: String(source?.kind) };
  const view = new View<TRaw>(
    {
      snapshot: undefined,
      detach: () => {},
      cancel: async () => {},
      notify: () => false,
      toHandle: () => handleFromState(owner, String(id), initialState(clock.now(), undefined)),
    },
    options,
  );
  view.finish({ error });
  return view;
}

/** @internal The host of a loop that runs on its own: polls as soon as it is due. */
export function soloHost(clock: Clock): LoopHost {
  let pushAt: number | undefined;
  return {
    clock,
    due: (loop) => void loop.run(),
    ended: () => {},
    sawPush: () => {
      pushAt = clock.now();
    },
    lastPushAt: () => pushAt,
  };
}

// Options without their `undefined` fields, over defaults.
function merge<T extends object>(defaults: Partial<T>, options: T): T {
  const out: Record<string, unknown> = { ...defaults };
  for (const [key, value] of Object.entries(options)) if (value !== undefined) out[key] = value;
  return out as T;
}
