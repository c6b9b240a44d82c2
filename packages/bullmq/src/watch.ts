import {
  AbortError,
  BatchwatchError,
  JobCancelledError,
  JobFailedError,
  type JobHandle,
  type JobNotification,
  type JobSnapshot,
  type JobWatch,
  type OutcomeOptions,
} from '@batchwatch/core';
import { snapshotKey } from './snapshot.js';

/**
 * The BullMQ job of a watch failed: a fatal poll error (401, 403, 404, a rejected id), the error
 * budget spent, the deadline passed, or data that is not a watch. `errorName` is the name of the
 * error that ended the watch (`NotFoundError`, `PollTimeoutError`...), `message` its message.
 */
export class FleetJobError extends BatchwatchError {
  override name = 'FleetJobError';
  /** The name of the error that failed the job, e.g. `'NotFoundError'`; `'Error'` when it had none. */
  readonly errorName: string;
  /** BullMQ's failed reason, as stored in Redis. */
  readonly reason: string;
  constructor(reason: string) {
    const m = /^([A-Za-z][A-Za-z0-9]*Error): /.exec(reason);
    // UnrecoverableError only wraps ours: the name that matters is the one in the message.
    const errorName = m?.[1] ?? 'Error';
    super(m ? reason.slice(m[0].length) : reason);
    this.errorName = errorName;
    this.reason = reason;
  }
}

/** Options of `fleet.watch` for how this watcher's `done` settles and what it is told. */
export interface FleetViewOptions extends OutcomeOptions {
  /** Stops this watcher (not the polling): `done` rejects with `signal.reason`. Defaults to none. */
  signal?: AbortSignal;
  /** Called with each changed snapshot. Defaults to none. */
  onSnapshot?: (snapshot: JobSnapshot<unknown>) => void;
}

/** What a view asks of the follower it belongs to. @internal */
export interface FollowerLink {
  readonly provider: string;
  readonly kind: string;
  readonly id: string;
  handle(): JobHandle;
  cancel(): Promise<void>;
  promote(): void;
  detach(view: FleetView): void;
}

type End = { snapshot: JobSnapshot<unknown> } | { error: unknown };

/**
 * One watcher of a fleet job: the `JobWatch` shape of core over events from Redis.
 * @internal
 */
export class FleetView implements JobWatch<unknown> {
  readonly done: Promise<JobSnapshot<unknown>>;
  #resolve!: (s: JobSnapshot<unknown>) => void;
  #reject!: (e: unknown) => void;
  #listeners = new Set<(s: JobSnapshot<unknown>) => void>();
  #snapshot: JobSnapshot<unknown> | undefined;
  #end: End | undefined;
  #endWaiters = new Set<() => void>();
  #abort: (() => void) | undefined;

  constructor(
    readonly link: FollowerLink,
    readonly options: FleetViewOptions,
  ) {
    this.done = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.done.catch(() => {});
    const { signal } = options;
    if (signal) {
      if (signal.aborted) queueMicrotask(() => this.#finish({ error: signal.reason }));
      else {
        const onAbort = () => this.#finish({ error: signal.reason });
        signal.addEventListener('abort', onAbort, { once: true });
        this.#abort = () => signal.removeEventListener('abort', onAbort);
      }
    }
  }

  get ended(): boolean {
    return this.#end !== undefined;
  }

  /** The snapshot the job has now, for a watcher that joins late (not emitted). @internal */
  seed(snapshot: JobSnapshot<unknown>): void {
    this.#snapshot ??= snapshot;
  }

  /** A changed, non-terminal snapshot. @internal */
  deliver(snapshot: JobSnapshot<unknown>): void {
    if (this.#end) return;
    if (this.#snapshot && snapshotKey(this.#snapshot) === snapshotKey(snapshot)) return;
    this.#snapshot = snapshot;
    this.#emit(snapshot);
  }

  /** The job completed with its final snapshot. @internal */
  complete(snapshot: JobSnapshot<unknown>): void {
    if (this.#end) return;
    this.#snapshot = snapshot;
    this.#emit(snapshot);
    this.#finish({ snapshot });
  }

  /** The BullMQ job failed. @internal */
  fail(error: unknown): void {
    this.#finish({ error });
  }

  #emit(snapshot: JobSnapshot<unknown>): void {
    const call = (fn: (s: JobSnapshot<unknown>) => void) => {
      try {
        fn(snapshot);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    };
    if (this.options.onSnapshot) call(this.options.onSnapshot);
    for (const listener of [...this.#listeners]) call(listener);
  }

  #finish(end: End): void {
    if (this.#end) return;
    this.#end = end;
    this.#abort?.();
    this.link.detach(this);
    if ('snapshot' in end) {
      const error = outcome(end.snapshot, this.options);
      if (error) this.#reject(error);
      else this.#resolve(end.snapshot);
    } else this.#reject(end.error);
    for (const wake of [...this.#endWaiters]) wake();
  }

  subscribe(listener: (snapshot: JobSnapshot<unknown>) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  getSnapshot(): JobSnapshot<unknown> | undefined {
    return this.#snapshot;
  }

  stop(reason?: unknown): void {
    this.#finish({ error: new AbortError(reason) });
  }

  async cancel(): Promise<JobSnapshot<unknown>> {
    if (this.#end) return this.#final();
    await this.link.cancel();
    return this.#final();
  }

  // The terminal snapshot whatever its status; rejects for every other end.
  #final(): Promise<JobSnapshot<unknown>> {
    return new Promise((resolve, reject) => {
      const settle = () => {
        const end = this.#end as End;
        if ('snapshot' in end) resolve(end.snapshot);
        else reject(end.error);
      };
      if (this.#end) settle();
      else this.#endWaiters.add(settle);
    });
  }

  toHandle(): JobHandle {
    return this.link.handle();
  }

  notify(n: JobNotification): boolean {
    if (this.#end || n.provider !== this.link.provider || n.kind !== this.link.kind || n.id !== this.link.id) {
      return false;
    }
    this.link.promote();
    return true;
  }

  [Symbol.asyncIterator](): AsyncIterator<JobSnapshot<unknown>, undefined> {
    const queue: JobSnapshot<unknown>[] = this.#snapshot ? [this.#snapshot] : [];
    let wake: (() => void) | undefined;
    const unsubscribe = this.subscribe((s) => {
      queue.push(s);
      wake?.();
    });
    const onEnd = () => wake?.();
    this.#endWaiters.add(onEnd);
    const cleanup = () => {
      unsubscribe();
      this.#endWaiters.delete(onEnd);
    };
    return {
      next: async (): Promise<IteratorResult<JobSnapshot<unknown>, undefined>> => {
        for (;;) {
          const next = queue.shift();
          if (next) return { value: next, done: false };
          const end = this.#end;
          if (end) {
            cleanup();
            if ('snapshot' in end) return { value: undefined, done: true };
            throw end.error;
          }
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
          wake = undefined;
        }
      },
      return: async (): Promise<IteratorResult<JobSnapshot<unknown>, undefined>> => {
        cleanup();
        this.stop('the iteration was stopped');
        return { value: undefined, done: true };
      },
    };
  }
}

function outcome(snapshot: JobSnapshot<unknown>, options: OutcomeOptions): Error | undefined {
  if (options.resolveOnUnsuccessful) return undefined;
  if (snapshot.status === 'failed') return new JobFailedError(snapshot);
  if (snapshot.status === 'cancelled') return new JobCancelledError(snapshot);
  if (snapshot.status === 'partially_succeeded' && options.failOnPartial) return new JobFailedError(snapshot);
  return undefined;
}
