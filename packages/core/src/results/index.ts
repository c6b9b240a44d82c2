/**
 * `@batchwatch/core/results`: stream a finished job's results page by page, in one item shape for
 * every provider: `jobResults(source, id)` with prefetch, page retries at the same cursor,
 * `Retry-After`, abort, and `toArray` / `collect({ max })`.
 *
 * @module
 */
import { type Clock, systemClock } from '../clock.js';
import { AbortError, BatchwatchError, InvalidResponseError, ValidationError } from '../errors.js';
import { lookupStatus } from '../internal/lookup.js';
import { sleep } from '../internal/sleep.js';
import { failureVerdict, fetchOnce } from '../internal/step.js';
import { validateId } from '../internal/validate.js';
import type { JobSnapshot } from '../job-state.js';
import { MAX_DELAY_MS, nextDelay } from '../next-delay.js';
import { type PollOptions, type ResolvedPollOptions, resolvePollOptions } from '../options.js';
import type { ItemStatus, JobSource, ResultItem, ResultPage, ResultPager } from '../source.js';

/** A provider's item statuses and their {@link ItemStatus}, checked exhaustively by its tests. */
export type ItemStatusTable<TRawStatus extends string = string> = Readonly<Record<TRawStatus, ItemStatus>>;

/**
 * Looks `raw` up in `table`; a missing, empty or undocumented item status is `unknown`. A raw
 * status that is not a string throws `InvalidResponseError` naming `field` (defaults to `'status'`).
 */
export function mapItemStatus<TRawStatus extends string>(
  table: ItemStatusTable<TRawStatus>,
  raw: string | null | undefined,
  field?: string,
): ItemStatus {
  return lookupStatus<ItemStatus>(table, raw, field);
}

/**
 * Reads an offset cursor produced by an offset-paged {@link ResultPager} (`null` is the first
 * page, offset 0). Throws `ValidationError` for anything else.
 */
export function offsetCursor(cursor: string | null): number {
  if (cursor === null) return 0;
  if (!/^\d{1,15}$/.test(cursor)) throw new ValidationError('cursor', 'an offset cursor', { received: cursor });
  return Number(cursor);
}

/** Passed to `onPageError`. */
export interface PageErrorInfo {
  /** The 0-based page that failed. */
  page: number;
  /** Failed attempts at this page so far, counting from 1. */
  attempt: number;
  /** Whether the page is asked for again (the error is transient and within `maxConsecutiveErrors`). */
  willRetry: boolean;
  /** The wait before the retry, in ms, or `null` when there is none. */
  delayMs: number | null;
}

/** Options of {@link jobResults}. */
export interface ResultsOptions extends Omit<PollOptions, 'timeoutMs'> {
  /** Stops the stream: the pending `next()` rejects with `signal.reason`, no request is sent after it. Defaults to none. */
  signal?: AbortSignal;
  /** The time source for retry waits and request timeouts. Defaults to `systemClock`. */
  clock?: Clock;
  /** Items per page, from 1 to the pager's `maxPageSize`. Defaults to the pager's `defaultPageSize`. */
  pageSize?: number;
  /**
   * Pages fetched ahead of the consumer, from 0 to 8. `0` fetches a page only when the consumer
   * needs it; `1` fetches the next page while the current one is consumed. Memory holds at most
   * `prefetch + 1` pages whatever the size of the result. Defaults to `1`.
   */
  prefetch?: number;
  /**
   * Called when a page request failed, whether or not it is retried. A transient error (network,
   * 5xx, 429, unreadable body) is retried at the same cursor after a `Retry-After` or a backoff.
   * An error it throws is dropped: the stream goes on. Defaults to none.
   */
  onPageError?: (error: unknown, info: PageErrorInfo) => void;
}

/** One page as a {@link ResultStream} delivers it. */
export interface ResultPageInfo<TRaw = unknown> {
  /** The 0-based page number. */
  page: number;
  /** The page's items. */
  items: ResultItem<TRaw>[];
  /** How many items the job has, as this page said, or `null` when the provider does not say. */
  total: number | null;
  /** The cursor this page was fetched with (`null` for the first page). */
  cursor: string | null;
  /** The cursor of the next page, or `null` on the last page. */
  next: string | null;
}

/**
 * A job's results as a lazy async iterable: nothing is requested until it is iterated, pages are
 * fetched as the consumer goes (at most `prefetch` ahead), and breaking out of the loop stops the
 * requests and timers. Each iteration starts again from the first page.
 */
export interface ResultStream<TRaw = unknown> extends AsyncIterable<ResultItem<TRaw>> {
  /** The same results, page by page. */
  pages(): AsyncGenerator<ResultPageInfo<TRaw>, void, undefined>;
  /**
   * Every item in one array, refusing to hold more than `max`: rejects with
   * {@link ResultLimitError} as soon as item `max + 1` arrives (no further page is requested).
   * `max` is required; pass `Infinity` to accept any size.
   */
  toArray(options: { max: number }): Promise<ResultItem<TRaw>[]>;
  /** An alias of {@link ResultStream.toArray}: every item in one array, refusing to hold more than `max`. */
  collect(options: { max: number }): Promise<ResultItem<TRaw>[]>;
}

/** A job had more results than the caller allowed to collect (`toArray({ max })`). */
export class ResultLimitError extends BatchwatchError {
  override name = 'ResultLimitError';
  /** The limit that was passed. */
  readonly max: number;
  constructor(max: number) {
    super(`the job has more than ${max} results: iterate with for await (constant memory) or raise max`);
    this.max = max;
  }
}

/**
 * The job cannot have results yet (e.g. a Supermetrics query that is still `RUNNING`). Fatal: it is
 * not retried. Wait for the job first (`waitForJob`).
 */
export class ResultsNotReadyError<TRaw = unknown> extends BatchwatchError {
  override name = 'ResultsNotReadyError';
  /** The job as the results endpoint showed it. */
  readonly snapshot: JobSnapshot<TRaw>;
  constructor(snapshot: JobSnapshot<TRaw>) {
    super(
      `${snapshot.provider} ${snapshot.kind} ${snapshot.id} has no results yet (status ${snapshot.rawStatus ?? snapshot.status}): wait for it to end first`,
    );
    this.snapshot = snapshot;
  }
}

const MAX_PREFETCH = 8;

interface ResolvedResults {
  policy: ResolvedPollOptions;
  clock: Clock;
  pageSize: number;
  prefetch: number;
  signal: AbortSignal | undefined;
  onPageError: ResultsOptions['onPageError'];
}

/**
 * Streams every item (or row) of a job through `source.results` (or a {@link ResultPager} given
 * directly), page by page:
 *
 * ```ts
 * for await (const item of jobResults(runflowBatch(client), batchId)) {
 *   if (item.status === 'failed') console.error(item.id, item.failure?.message);
 * }
 * ```
 *
 * Memory stays flat however large the result: at most `prefetch + 1` pages are held. A transient
 * error on a page (network, 5xx, 429, unreadable body) is retried at the same cursor on core's
 * schedule (`Retry-After` first, then backoff with full jitter, at least `minIntervalMs`), so no item
 * is skipped or repeated; after `maxConsecutiveErrors` failures in a row, or on a fatal error, the
 * iteration rejects with it. Abort with `signal`, or `break`: the request in flight and any retry
 * wait are cancelled at once.
 *
 * Nothing a provider sends can make the stream loop: it ends at the job's total (the smallest
 * `total` a page reported; the page that reaches it is the last) and rejects with
 * {@link InvalidResponseError} when a page brings more items than that total, when a page without
 * items names a next page, or when a cursor comes back.
 *
 * Throws {@link ValidationError} at once for a bad id or option, or a source without `results`.
 */
export function jobResults<TItem>(
  source: JobSource<unknown, TItem> | ResultPager<TItem>,
  id: string,
  options: ResultsOptions = {},
): ResultStream<TItem> {
  let pager: ResultPager<TItem>;
  if (isPager(source)) {
    pager = source as ResultPager<TItem>;
    if (typeof id !== 'string' || id === '') {
      throw new ValidationError('id', 'a non-empty string', { received: typeof id === 'string' ? '""' : typeof id });
    }
  } else {
    const job = source as JobSource<unknown, TItem>;
    validateId(job as JobSource<unknown>, id);
    if (!isPager(job.results)) {
      throw new ValidationError(
        'source',
        `a JobSource with results (${String(job.provider)} ${String(job.kind)} jobs have none)`,
      );
    }
    pager = job.results as ResultPager<TItem>;
  }
  const resolved = resolveResultsOptions(options, pager);
  return new Stream(pager, id, resolved);
}

function isPager(value: unknown): value is ResultPager<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as ResultPager).fetchPage === 'function';
}

function resolveResultsOptions(options: ResultsOptions, pager: ResultPager<unknown>): ResolvedResults {
  if (options === null || typeof options !== 'object') throw new ValidationError('options', 'an object');
  const { timeoutMs: _ignored, ...rest } = options as ResultsOptions & { timeoutMs?: number };
  const policy = resolvePollOptions(rest);
  const max = pager.maxPageSize;
  const pageSize = options.pageSize ?? pager.defaultPageSize;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > max) {
    throw new ValidationError('pageSize', `an integer from 1 to ${max}`, { received: String(options.pageSize) });
  }
  const prefetch = options.prefetch ?? 1;
  if (!Number.isInteger(prefetch) || prefetch < 0 || prefetch > MAX_PREFETCH) {
    throw new ValidationError('prefetch', `an integer from 0 to ${MAX_PREFETCH}`, { received: String(prefetch) });
  }
  const signal = options.signal as Partial<AbortSignal> | undefined;
  if (signal !== undefined && (typeof signal?.addEventListener !== 'function' || typeof signal.aborted !== 'boolean')) {
    throw new ValidationError('signal', 'an AbortSignal');
  }
  if (options.onPageError !== undefined && typeof options.onPageError !== 'function') {
    throw new ValidationError('onPageError', 'a function');
  }
  return {
    policy,
    clock: options.clock ?? systemClock,
    pageSize,
    prefetch,
    signal: options.signal,
    onPageError: options.onPageError,
  };
}

class Stream<TRaw> implements ResultStream<TRaw> {
  constructor(
    readonly pager: ResultPager<TRaw>,
    readonly id: string,
    readonly options: ResolvedResults,
  ) {}

  async *pages(): AsyncGenerator<ResultPageInfo<TRaw>, void, undefined> {
    const run = new PageRun(this.pager, this.id, this.options);
    try {
      for (;;) {
        const page = await run.next();
        if (!page) return;
        yield page;
      }
    } finally {
      await run.stop();
    }
  }

  // Hand-written rather than a generator: one settled promise per buffered item, no generator frame.
  [Symbol.asyncIterator](): AsyncIterator<ResultItem<TRaw>> {
    const pages = this.pages();
    const { signal } = this.options;
    let items: ResultItem<TRaw>[] = [];
    let i = 0;
    let finished = false;
    const end = async (): Promise<IteratorResult<ResultItem<TRaw>>> => {
      finished = true;
      items = [];
      await pages.return(undefined);
      return { done: true, value: undefined };
    };
    return {
      next: async () => {
        for (;;) {
          if (finished) return { done: true, value: undefined };
          if (signal?.aborted) {
            await end();
            throw signal.reason;
          }
          if (i < items.length) {
            const value = items[i] as ResultItem<TRaw>;
            // Drop the page's hold on a delivered item, so what the consumer lets go can be collected.
            items[i++] = undefined as never;
            return { done: false, value };
          }
          items = [];
          const step = await pages.next();
          if (step.done) return end();
          items = step.value.items;
          i = 0;
        }
      },
      return: end,
    };
  }

  async toArray(options: { max: number }): Promise<ResultItem<TRaw>[]> {
    const max = (options as { max?: unknown } | undefined)?.max;
    if (typeof max !== 'number' || !(max === Number.POSITIVE_INFINITY || (Number.isInteger(max) && max >= 0))) {
      throw new ValidationError('max', 'an integer >= 0 or Infinity (required: how many items you allow in memory)', {
        received: String(max),
      });
    }
    const out: ResultItem<TRaw>[] = [];
    for await (const item of this) {
      if (out.length >= max) throw new ResultLimitError(max);
      out.push(item);
    }
    return out;
  }

  collect(options: { max: number }): Promise<ResultItem<TRaw>[]> {
    return this.toArray(options);
  }
}

/**
 * One pass over the pages: a producer fetches pages in order (each retried at its own cursor) into
 * a queue of at most `prefetch` pages, or one more when the consumer is waiting for it.
 */
class PageRun<TRaw> {
  readonly #queue: ResultPageInfo<TRaw>[] = [];
  readonly #controller = new AbortController();
  #producer: Promise<void> | undefined;
  #done = false;
  #failed = false;
  #error: unknown;
  #waiting = false;
  #wakeConsumer: (() => void) | undefined;
  #wakeProducer: (() => void) | undefined;
  readonly #onParentAbort = () => {
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
          // Stop at the total: nothing the provider says after it can be an item of this job.
          if (seen === bound) next = null;
          else if (items.length === 0) {
            throw new InvalidResponseError(`results page ${page} had no items but named a next page`);
          } else if (next === cursor || cursors.has(next)) {
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
        const wait = result.hints?.retryAfterMs;
        if (wait !== undefined && wait > 0) await sleep(Math.min(wait, MAX_DELAY_MS), signal, this.options.clock);
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
              { ...policy, strategy: 'backoff' },
            )
          : null;
        try {
          onPageError?.(error, { page, attempt: failures, willRetry, delayMs: delay?.delayMs ?? null });
        } catch {
          // A throwing callback never stops the stream nor becomes an uncaught exception.
        }
        if (!delay) throw error;
        await sleep(delay.delayMs, signal, clock);
      }
    }
  }
}

export type { ItemOf, ItemStatus, ResultContext, ResultItem, ResultPage, ResultPager } from '../source.js';
