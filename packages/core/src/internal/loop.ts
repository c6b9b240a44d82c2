import type { Clock } from '../clock.js';
import { AbortError, CancelNotSupportedError, HttpError, InvalidResponseError, RateLimitError } from '../errors.js';
import { handleFromState, type JobHandle } from '../handle-format.js';
import type { JobSnapshot } from '../job-state.js';
import { type DelaySource, MAX_DELAY_MS, type NextDelay } from '../next-delay.js';
import { isNotification, type JobNotification, pushDelay, type ResolvedPush } from '../notify.js';
import type { PollEvent, ResolvedPollOptions } from '../options.js';
import type { JobSource } from '../source.js';
import { followUp, type Notices, noNotices, noticed, pollSent, woken } from './notices.js';
import {
  advance,
  fetchOnce,
  type PollAction,
  type PollInput,
  type PollState,
  pollSource,
  type StepOutcome,
  timeoutError,
} from './step.js';
import type { End, View, ViewHost } from './view.js';

/** Why a host keeps a due poll waiting: the provider is paused after a 429, or its request budget is spent. */
export type HoldReason = 'rate-limit' | 'budget';

/**
 * @internal What a poll loop needs from whoever runs it: `watchJob` runs one loop on its own
 * (`soloHost`); the scheduler runs many under shared request budgets. A host only defers, runs and
 * ends loops (`loop.defer`, `loop.run`, `loop.end`); it never changes a loop's state otherwise.
 */
export interface LoopHost {
  readonly clock: Clock;
  /** The loop is due: start its poll (`loop.run()`) now, or `loop.defer()` it. */
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
  hold?(loop: Loop<unknown>, at: number): { at: number; reason: HoldReason } | undefined;
}

/** @internal Called around one poll by a host that shares budgets between loops. */
export interface RunHooks {
  /** The request finished (or failed); called before the loop settles. */
  received(): void;
  /** The poll settled: `delay` is the schedule's delay before push adjustments (`null` when polling ends). */
  settled(input: PollInput<unknown>, delay: NextDelay | null, now: number): void;
}

/**
 * Where a loop is. Every change of phase goes through `#enter`; every change of poll state
 * through `#dispatch` (`advance`, step.ts).
 * - `sleeping`: a timer wakes it at `until`; `reason` is the rule that decided the wait (a
 *   notification must not shorten a wait the server, a 429 pause or a budget asked for).
 * - `queued`: due, waiting for the host to run it (the host's request slots are busy).
 * - `polling`: a request is in flight since `sentAt`.
 * - `ended`: done; nothing runs again.
 */
type Phase =
  | { type: 'sleeping'; until: number; timer: unknown; reason: DelaySource | null }
  | { type: 'queued' }
  | { type: 'polling'; sentAt: number }
  | { type: 'ended' };

/** @internal One job being polled, shared by all its views. */
export class Loop<TRaw> implements ViewHost<TRaw> {
  readonly views = new Set<View<TRaw>>();
  readonly #controller = new AbortController();
  #snapshot: JobSnapshot<TRaw> | undefined;
  #state: PollState;
  // Stryker disable next-line ObjectLiteral,StringLiteral: the phase before start() is only ever told apart from 'sleeping', 'polling' and 'ended', and start() leaves it at once
  #phase: Phase = { type: 'queued' };
  #notices: Notices = noNotices;
  /** The last poll was rate limited: its backoff holds even when a notification arrives. */
  #limited = false;
  /** When the next poll was due as last reported, and why a host held it past that, if it did. */
  #reportedAt = Number.NEGATIVE_INFINITY;
  #heldBy: HoldReason | undefined;

  constructor(
    readonly host: LoopHost,
    readonly source: JobSource<TRaw>,
    readonly id: string,
    readonly policy: ResolvedPollOptions,
    /** Push mode, or `undefined` when off. */
    readonly push: ResolvedPush | undefined,
    state: PollState,
  ) {
    this.#state = state;
  }

  get clock(): Clock {
    return this.host.clock;
  }

  /** The last snapshot delivered to the views. */
  get snapshot(): JobSnapshot<TRaw> | undefined {
    return this.#snapshot;
  }

  /** Whether the loop holds a timer (for a host's counters). */
  get sleeping(): boolean {
    return this.#phase.type === 'sleeping';
  }

  detach(view: View<TRaw>): void {
    this.views.delete(view);
    if (this.views.size === 0) this.end({ error: new AbortError('every watcher stopped') });
  }

  toHandle(): JobHandle {
    return handleFromState(this.source, this.id, this.#state);
  }

  /** Starts the loop: its first poll is at the state's `nextPollAt` (now for a new job). */
  start(): void {
    // A first poll held by a host counts from when it was due (there is no earlier event).
    this.#reportedAt = this.#state.nextPollAt;
    this.#sleepUntil(this.#state.nextPollAt, null);
  }

  /** Adds a view (a watcher) to the loop. */
  attach(view: View<TRaw>): void {
    this.views.add(view);
  }

  /**
   * The host keeps a due poll waiting (why: `reason`): until `at` (always later than now), or in
   * its queue without a timer when `at` is absent. The next poll event reports how long. A poll
   * pushed past the deadline is not sent: the loop sleeps until the deadline, and ends there when
   * the host still holds it.
   */
  defer(reason: HoldReason, at?: number): void {
    this.#heldBy = reason;
    if (at === undefined) return;
    const { deadline } = this.#state;
    // Held at (or after) the deadline: `at` is later still, so the poll would go out past it.
    if (deadline !== null && this.clock.now() >= deadline)
      this.end({ error: timeoutError(this.#state, this.#snapshot) });
    else this.#sleepUntil(deadline === null ? at : Math.min(at, deadline), reason);
  }

  /** Ends the loop: clears its timer, aborts its request and settles every view. */
  end(end: End<TRaw>): void {
    if (this.#phase.type === 'ended') return;
    this.#enter({ type: 'ended' });
    this.host.ended(this as Loop<unknown>);
    this.#controller.abort(end.error ?? new AbortError('the job finished'));
    for (const view of [...this.views]) view.finish(end);
    this.views.clear();
  }

  /** Sends one poll and settles it. Never rejects. */
  async run(hooks?: RunHooks): Promise<void> {
    const at = this.clock.now();
    this.#enter({ type: 'polling', sentAt: at });
    // Waiting in the host's queue or for a slot past what the last event said is a hold too.
    const heldMs = at - this.#reportedAt;
    const wait = heldMs > 0 && this.#heldBy ? { heldMs, heldBy: this.#heldBy } : undefined;
    this.#heldBy = undefined;
    this.#notices = pollSent(this.#notices, at);
    let input: PollInput<TRaw>;
    try {
      input = await pollSource(this.source, this.id, this.#controller.signal, this.clock, this.policy.requestTimeoutMs);
    } finally {
      hooks?.received();
    }
    // The loop may have ended while the request was in flight (stop, abort, close).
    if (this.#phase.type === 'polling') this.#settle(input, at, hooks, wait);
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
    if (this.#phase.type === 'ended') return;
    const out = this.#dispatch({ type: 'cancel-sent', snapshot: result?.snapshot });
    if (out.snapshot?.isTerminal) {
      this.end({ snapshot: out.snapshot });
      return;
    }
    // The job should be cancelling now: don't wait out a long backoff to see it. A provider's wait
    // (`Retry-After`, a 429's pause) and a host's hold are honoured, as for a notification.
    const phase = this.#phase;
    if (phase.type !== 'sleeping' || this.#held(phase.reason)) return;
    const soon = this.clock.now() + this.policy.minIntervalMs;
    if (soon < phase.until) this.#sleepUntil(soon, null);
  }

  /** Whether a sleep for `reason` waits for the provider or the host, so nothing may shorten it. */
  #held(reason: DelaySource | null): boolean {
    return this.#limited || reason === 'server' || reason === 'rate-limit' || reason === 'budget';
  }

  /** A notification from one of this loop's views. */
  notify(n: JobNotification): boolean {
    if (this.#phase.type === 'ended' || !isNotification(n) || !this.matches(n)) return false;
    this.host.sawPush(n.provider, n.kind);
    this.wake(n);
    return true;
  }

  /** Whether `n` is about this loop's job. */
  matches(n: JobNotification): boolean {
    return n.provider === this.source.provider && n.kind === this.source.kind && n.id === this.id;
  }

  /**
   * A notification about this loop's job: one poll as soon as the floor allows. A poll already due
   * or in flight counts; one in flight that was sent on the schedule may predate the event, so it is
   * followed by one more (see `followUp`). A `Retry-After`, a 429's backoff and a host's hold are honoured.
   */
  wake(n: JobNotification): void {
    this.#notices = noticed(this.#notices, n);
    this.#dispatch({ type: 'notified' });
    const phase = this.#phase;
    if (phase.type !== 'sleeping' || this.#held(phase.reason)) return;
    const next = woken(this.#notices, this.clock.now(), this.policy.minIntervalMs, phase.until);
    if (!next) return;
    this.#notices = next.notices;
    // Stryker disable next-line StringLiteral: a sleep's reason is only compared with 'server', 'rate-limit' and 'budget' (#held)
    this.#sleepUntil(next.at, 'notify');
  }

  /** Applies an action to the poll state (the only place it changes) and delivers a changed snapshot. */
  #dispatch(action: PollAction<TRaw>, now = this.clock.now()): StepOutcome<TRaw> {
    const out = advance(this.#state, action, this.policy, now, this.#snapshot);
    this.#state = out.state;
    // A resumed watch delivers its first snapshot even when the handle says nothing changed.
    if (out.snapshot && (out.changed || !this.#snapshot)) {
      this.#snapshot = out.snapshot;
      for (const view of [...this.views]) view.receive(out.snapshot);
    }
    return out;
  }

  /** Moves to another phase, clearing the timer of the phase it leaves. */
  #enter(phase: Phase): void {
    const leaving = this.#phase;
    if (leaving.type === 'sleeping') this.clock.clearTimeout(leaving.timer);
    this.#phase = phase;
  }

  /**
   * Sleeps until `at` (or is due now), then asks the host to run it. A poll that would be sent past
   * the deadline (an expired handle) is never sent: the loop ends with `PollTimeoutError`.
   */
  #sleepUntil(at: number, reason: DelaySource | null): void {
    const now = this.clock.now();
    const { deadline } = this.#state;
    if (deadline !== null && Math.max(at, now) > deadline) {
      this.end({ error: timeoutError(this.#state, this.#snapshot) });
      return;
    }
    this.#state = { ...this.#state, nextPollAt: at };
    const wait = at - now;
    if (wait <= 0) {
      // Stryker disable next-line ObjectLiteral,StringLiteral: 'queued' is only ever told apart from 'sleeping', 'polling' and 'ended'; leaving 'sleeping' clears the timer whatever the new phase
      this.#enter({ type: 'queued' });
      this.host.due(this as Loop<unknown>);
      return;
    }
    const timer = this.clock.setTimeout(
      () => {
        if (this.#phase.type !== 'sleeping' || this.#phase.timer !== timer) return;
        // Stryker disable next-line ObjectLiteral,StringLiteral: 'queued' is only ever told apart from 'sleeping', 'polling' and 'ended'; leaving 'sleeping' clears the timer whatever the new phase
        this.#enter({ type: 'queued' });
        this.host.due(this as Loop<unknown>);
      },
      Math.min(wait, MAX_DELAY_MS),
    );
    this.#enter({ type: 'sleeping', until: at, timer, reason });
  }

  #settle(
    input: PollInput<TRaw>,
    at: number,
    hooks: RunHooks | undefined,
    wait: { heldMs: number; heldBy: HoldReason } | undefined,
  ): void {
    const now = this.clock.now();
    const out = this.#dispatch({ type: 'polled', input }, now);
    // A poll that goes on always has a delay (step.ts); one that ends has none.
    let delay = out.delay && this.#adjust(out.delay, now);
    this.#limited = !input.ok && input.error instanceof RateLimitError;
    hooks?.settled(input, out.delay, now);
    // What the host holds the next poll for (a provider paused after a 429, a request budget) is
    // part of the delay: report the delay that is applied, not the one the schedule wished for.
    const held = delay && this.host.hold?.(this as Loop<unknown>, now + delay.delayMs);
    const { deadline } = this.#state;
    if (held) {
      const until = deadline === null ? held.at : Math.min(held.at, deadline);
      delay = { delayMs: until - now, delaySource: held.reason };
    }
    this.#reportedAt = delay ? now + delay.delayMs : Number.NEGATIVE_INFINITY;
    for (const view of [...this.views]) view.polled(pollEvent(out, input, at, now, delay, this.#notices, wait));
    if (this.#phase.type === 'ended') return;
    if (delay) this.#sleepUntil(now + delay.delayMs, delay.delaySource);
    else if (out.error !== undefined || !out.snapshot) this.end({ error: out.error });
    else this.end({ snapshot: out.snapshot });
  }

  // The schedule's delay, adjusted for notifications (a follow-up poll) and push mode (raised to
  // the safety interval while push is alive, unless a notification announced the end).
  #adjust(delay: NextDelay, now: number): NextDelay {
    const next = followUp(this.#notices, delay, now, this.policy.minIntervalMs);
    this.#notices = next.notices;
    if (next.delay) return next.delay;
    if (!this.push || this.#notices.expectsEnd) return delay;
    const lastPushAt = this.host.lastPushAt(this.source.provider, this.source.kind);
    return pushDelay(delay, now, lastPushAt, this.push, this.#state.deadline);
  }
}

/** What the views are told about one poll. */
function pollEvent(
  out: StepOutcome<unknown>,
  input: PollInput<unknown>,
  at: number,
  now: number,
  delay: NextDelay | null,
  notices: Notices,
  wait: { heldMs: number; heldBy: HoldReason } | undefined,
): PollEvent {
  const event: PollEvent = {
    attempt: out.state.attempt,
    at,
    durationMs: now - at,
    delayMs: delay?.delayMs ?? null,
    delaySource: delay?.delaySource ?? null,
  };
  if (notices.sentForNotice) event.notified = true;
  // Stryker disable next-line ConditionalExpression: Object.assign(event, undefined) adds nothing
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
  return event;
}
