// One pass over a job's result pages: the producer, its bounds and its per-page retries.
import { AbortError, InvalidResponseError } from '../errors.js';
import { sleep } from '../internal/sleep.js';
import { failureVerdict, fetchOnce } from '../internal/step.js';
import { MAX_DELAY_MS, nextDelay } from '../next-delay.js';
import type { ResultPage, ResultPager } from '../source.js';
import type { PageErrorInfo, ResolvedResults, ResultPageInfo } from './types.js';

/**
 * One pass over the pages: a producer fetches pages in order (each retried at its own cursor) into
 * a queue of at most `prefetch` pages, or one more when the consumer is waiting for it.
 */
export class PageRun<TRaw> {
  readonly #queue: ResultPageInfo<TRaw>[] = [];
  readonly #controller = new AbortController();
  #producer: Promise<void> | undefined;
  #done = false;
  #failed = false;
  #error: unknown;
  // Stryker disable next-line BooleanLiteral: the producer starts inside next(), which sets #waiting before it waits: starting true only fetches the first page a moment sooner
  #waiting = false;
  #wakeConsumer: (() => void) | undefined;
  #wakeProducer: (() => void) | undefined;
  readonly #onParentAbort = () => {
    // Stryker disable next-line OptionalChaining: this listener is only ever added to a signal that exists
    this.#controller.abort(this.options.signal?.reason);
    this.#wake();
  };

  constructor(
    readonly pager: ResultPager<TRaw>,
    readonly id: string,
    readonly options: ResolvedResults,
  ) {}

  async next(): Promise<ResultPageInfo<TRaw> | undefined> {
    const parent = this.options.signal;
    if (!this.#producer) {
      if (parent?.aborted) throw parent.reason;
      // Stryker disable next-line ObjectLiteral,BooleanLiteral: stop() removes the listener whichever way the run ends, so `once` changes nothing
      parent?.addEventListener('abort', this.#onParentAbort, { once: true });
      this.#producer = this.#produce();
    }
    for (;;) {
      if (parent?.aborted) throw parent.reason;
      const page = this.#queue.shift();
      if (page) {
        this.#wake();
        return page;
      }
      if (this.#failed) throw this.#error;
      if (this.#done) return undefined;
      this.#waiting = true;
      this.#wake();
      await new Promise<void>((resolve) => {
        this.#wakeConsumer = resolve;
      });
      this.#waiting = false;
    }
  }

  /** Cancels the request in flight and any wait, and resolves once the producer has unwound. */
  async stop(): Promise<void> {
    if (!this.#controller.signal.aborted) this.#controller.abort(new AbortError('the result stream was closed'));
    this.#wake();
    this.#queue.length = 0;
    await this.#producer;
    this.options.signal?.removeEventListener('abort', this.#onParentAbort);
  }

  #wake(): void {
    const consumer = this.#wakeConsumer;
    const producer = this.#wakeProducer;
    this.#wakeConsumer = undefined;
    this.#wakeProducer = undefined;
    consumer?.();
    producer?.();
  }

  #hasRoom(): boolean {
    const length = this.#queue.length;
    return length < this.options.prefetch || (length === 0 && this.#waiting);
  }

  async #produce(): Promise<void> {
    const { signal } = this.#controller;
    let cursor: string | null = null;
    let page = 0;
    let seen = 0;
    // The smallest total any page reported: a provider cannot raise it to stream more.
    let bound = Number.POSITIVE_INFINITY;
    const cursors = new Set<string>();
    try {
      for (;;) {
        while (!this.#hasRoom()) {
          if (signal.aborted) throw signal.reason;
          await new Promise<void>((resolve) => {
            this.#wakeProducer = resolve;
          });
        }
        if (signal.aborted) throw signal.reason;
        const result = await this.#fetch(cursor, page, seen);
        const { items } = result;
        let next = result.next;
        const total = typeof result.total === 'number' ? result.total : null;
        if (total !== null && total < bound) bound = total;
        seen += items.length;
        if (seen > bound) {
          throw new InvalidResponseError(
            `results page ${page} brought the job to ${seen} items, more than its total of ${bound}`,
          );
        }
        if (next !== null) {
          // Stop at the total: nothing the provider says after it can be an item of this job. `cursors`
          // holds every cursor asked for so far, the current one included.
          if (seen === bound) next = null;
          else if (items.length === 0) {
            throw new InvalidResponseError(`results page ${page} had no items but named a next page`);
          } else if (cursors.has(next)) {
            throw new InvalidResponseError(
              `the results cursor ${JSON.stringify(next.slice(0, 40))} came back after page ${page}: the pages go round in a cycle`,
            );
          } else cursors.add(next);
        }
        this.#queue.push({ page, items, total, cursor, next });
        this.#wake();
        if (next === null) {
          this.#done = true;
          return;
        }
        cursor = next;
        page++;
        const wait = result.hints?.retryAfterMs ?? 0;
        if (wait > 0) await sleep(Math.min(wait, MAX_DELAY_MS), signal, this.options.clock);
      }
    } catch (error) {
      this.#failed = true;
      this.#error = error;
    } finally {
      this.#wake();
    }
  }

  async #fetch(cursor: string | null, page: number, seen: number): Promise<ResultPage<TRaw>> {
    const { clock, policy, pageSize, onPageError } = this.options;
    const { signal } = this.#controller;
    for (let failures = 1; ; failures++) {
      try {
        const result = await fetchOnce(
          (context) => this.pager.fetchPage(this.id, cursor, { ...context, pageSize, page, seen }),
          signal,
          clock,
          policy.requestTimeoutMs,
        );
        if (typeof result !== 'object' || result === null || !Array.isArray(result.items)) {
          throw new TypeError('a ResultPager must resolve with { items, next, hints }');
        }
        if (result.next !== null && typeof result.next !== 'string') {
          throw new TypeError('a ResultPager must give next as a string cursor or null');
        }
        return result;
      } catch (error) {
        if (signal.aborted) throw signal.reason;
        // The same verdict as a failed poll's; a page is retried on the exponential backoff.
        const { retry: willRetry, retryAfterMs } = failureVerdict(error, failures, policy.maxConsecutiveErrors);
        const delay = willRetry
          ? nextDelay(
              { now: clock.now(), unchanged: failures - 1, retryAfterMs, deadline: null },
              // Stryker disable next-line StringLiteral: nextDelay takes any strategy but 'eta' as the backoff
              { ...policy, strategy: 'backoff' },
            )
          : null;
        const info: PageErrorInfo = { page, attempt: failures, willRetry, delayMs: delay?.delayMs ?? null };
        try {
          // Stryker disable next-line OptionalChaining: calling a missing callback throws, and the catch below drops it
          onPageError?.(error, info);
        } catch {
          // A throwing callback never stops the stream nor becomes an uncaught exception.
        }
        if (!delay) throw error;
        await sleep(delay.delayMs, signal, clock);
      }
    }
  }
}
