import { AbortError } from '../errors.js';
import type { JobHandle } from '../handle-format.js';
import type { JobProgress, JobSnapshot } from '../job-state.js';
import type { JobNotification } from '../notify.js';
import { outcomeError, type PollErrorInfo, type PollEvent, type WatchOptions } from '../options.js';
import type { JobWatch } from '../watch.js';

/** How a watch ended: with a terminal snapshot, or with an error. */
export type End<TRaw> = { snapshot: JobSnapshot<TRaw>; error?: undefined } | { snapshot?: undefined; error: unknown };

/** What a view needs from the poll loop it watches. */
export interface ViewHost<TRaw> {
  readonly snapshot: JobSnapshot<TRaw> | undefined;
  /** The view stopped: forget it (and stop polling when it was the last). */
  detach(view: View<TRaw>): void;
  /** Sends the server-side cancel. */
  cancel(): Promise<void>;
  /** A notification for the job: poll now. Returns whether it matched the job. */
  notify(n: JobNotification): boolean;
  toHandle(): JobHandle;
}

interface Observer<TRaw> {
  next(snapshot: JobSnapshot<TRaw>): void;
  end(): void;
}

const noop = () => {};

/**
 * One watcher's view of a poll loop: its own `done`, callbacks, subscribers and iterators, and
 * its own `stop`. Several views can share a loop (scheduler dedupe).
 */
export class View<TRaw> implements JobWatch<TRaw> {
  readonly done: Promise<JobSnapshot<TRaw>>;
  readonly #ended: Promise<void>;
  #markEnded = noop;
  #resolve: (snapshot: JobSnapshot<TRaw>) => void = noop;
  #reject: (error: unknown) => void = noop;
  readonly #host: ViewHost<TRaw>;
  readonly #options: WatchOptions<TRaw>;
  #end: End<TRaw> | undefined;
  #last: JobSnapshot<TRaw> | undefined;
  readonly #observers = new Set<Observer<TRaw>>();
  readonly #unknownSeen = new Set<string>();
  #unlisten = noop;

  constructor(host: ViewHost<TRaw>, options: WatchOptions<TRaw>) {
    this.#host = host;
    this.#options = options;
    this.#last = host.snapshot;
    this.done = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    // Nobody has to await `done`: an unobserved rejection must not crash the process.
    this.done.catch(noop);
    this.#ended = new Promise((resolve) => {
      this.#markEnded = resolve;
    });
  }

  /** Stops this view when `signal` aborts; the listener is removed when the view ends. */
  listen(signal: AbortSignal | undefined): void {
    if (!signal) return;
    const onAbort = () => this.#stop(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    this.#unlisten = () => signal.removeEventListener('abort', onAbort);
  }

  /** A changed snapshot from the loop. */
  receive(snapshot: JobSnapshot<TRaw>): void {
    const prev = this.#last;
    this.#last = snapshot;
    const o = this.#options;
    if (!prev || prev.status !== snapshot.status)
      this.#call('onStatusChange', o.onStatusChange, prev?.status ?? null, snapshot.status, snapshot);
    if (!prev || progressMoved(prev.progress, snapshot.progress))
      this.#call('onProgress', o.onProgress, snapshot.progress, snapshot);
    if (snapshot.status === 'unknown' && !this.#unknownSeen.has(snapshot.rawStatus ?? '')) {
      this.#unknownSeen.add(snapshot.rawStatus ?? '');
      this.#call('onUnknownStatus', o.onUnknownStatus, snapshot.rawStatus, snapshot);
    }
    this.#call('onSnapshot', o.onSnapshot, snapshot);
    for (const observer of [...this.#observers]) this.#call('subscribe', observer.next, snapshot);
  }

  /** A poll finished. */
  polled(event: PollEvent): void {
    if ('error' in event) {
      const info: PollErrorInfo = { attempt: event.attempt, willRetry: event.delayMs !== null, delayMs: event.delayMs };
      this.#call('onPollError', this.#options.onPollError, event.error, info);
    }
    this.#call('onPoll', this.#options.onPoll, event);
  }

  // A throwing callback must not break polling nor become an uncaught exception: it goes to onCallbackError.
  #call<A extends unknown[]>(
    name: Parameters<NonNullable<WatchOptions['onCallbackError']>>[1],
    fn: ((...args: A) => void) | undefined,
    ...args: A
  ): void {
    try {
      fn?.(...args);
    } catch (error) {
      try {
        this.#options.onCallbackError?.(error, name);
      } catch {
        // A failing error reporter has nowhere left to report to.
      }
    }
  }

  /** Ends this view; `done` settles. Later calls do nothing. */
  finish(end: End<TRaw>): void {
    if (this.#end) return;
    if (end.snapshot && end.snapshot !== this.#last) this.receive(end.snapshot);
    this.#end = end;
    this.#unlisten();
    const error = end.snapshot ? outcomeError(end.snapshot, this.#options) : end.error;
    if (end.snapshot && error === undefined) this.#resolve(end.snapshot);
    else this.#reject(error);
    for (const observer of [...this.#observers]) observer.end();
    this.#observers.clear();
    this.#markEnded();
  }

  #stop(error: unknown): void {
    if (this.#end) return;
    this.#host.detach(this);
    this.finish({ error });
  }

  stop(reason?: unknown): void {
    this.#stop(new AbortError(reason));
  }

  async cancel(): Promise<JobSnapshot<TRaw>> {
    try {
      if (!this.#end) await this.#host.cancel();
    } catch (error) {
      // Ending the watch aborts the cancel request too; then the end is the answer, not that abort.
      if (!this.#end) throw error;
    }
    await this.#ended;
    const end = this.#end as End<TRaw>;
    if (end.snapshot) return end.snapshot;
    throw end.error;
  }

  subscribe(listener: (snapshot: JobSnapshot<TRaw>) => void): () => void {
    const observer: Observer<TRaw> = { next: listener, end: noop };
    if (!this.#end) this.#observers.add(observer);
    return () => {
      this.#observers.delete(observer);
    };
  }

  getSnapshot(): JobSnapshot<TRaw> | undefined {
    return this.#last;
  }

  notify(n: JobNotification): boolean {
    return this.#end ? false : this.#host.notify(n);
  }

  toHandle(): JobHandle {
    return this.#host.toHandle();
  }

  [Symbol.asyncIterator](): AsyncIterator<JobSnapshot<TRaw>, undefined> {
    const queue: JobSnapshot<TRaw>[] = this.#last ? [this.#last] : [];
    const waiters: {
      resolve: (r: IteratorResult<JobSnapshot<TRaw>, undefined>) => void;
      reject: (e: unknown) => void;
    }[] = [];
    let closed = false;
    const flush = () => {
      while (waiters.length > 0) {
        const waiter = waiters[0] as (typeof waiters)[number];
        const value = queue.shift();
        if (value !== undefined) {
          waiters.shift();
          waiter.resolve({ value, done: false });
          continue;
        }
        const end = this.#end;
        if (!end && !closed) return;
        waiters.shift();
        if (!closed && end && !end.snapshot) {
          closed = true;
          waiter.reject(end.error);
          continue;
        }
        closed = true;
        waiter.resolve({ value: undefined, done: true });
      }
    };
    const observer: Observer<TRaw> = {
      next: (snapshot) => {
        queue.push(snapshot);
        flush();
      },
      end: flush,
    };
    if (!this.#end) this.#observers.add(observer);
    return {
      next: () =>
        new Promise((resolve, reject) => {
          waiters.push({ resolve, reject });
          flush();
        }),
      return: async () => {
        closed = true;
        queue.length = 0;
        this.#observers.delete(observer);
        flush();
        // `break` out of `for await` means the caller is done watching.
        this.stop('the iterator was closed');
        return { value: undefined, done: true };
      },
    };
  }
}

function progressMoved(a: JobProgress, b: JobProgress): boolean {
  return a.completed !== b.completed || a.failed !== b.failed || a.total !== b.total || a.fraction !== b.fraction;
}
