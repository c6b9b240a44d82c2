// The options and shapes of `@batchwatch/core/results` (re-exported by its index).
import type { Clock } from '../clock.js';
import type { PollOptions, ResolvedPollOptions } from '../options.js';
import type { ResultItem } from '../source.js';

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

/** The most pages a stream fetches ahead of its consumer. */
export const MAX_PREFETCH = 8;

/** {@link ResultsOptions} checked, with their defaults. */
export interface ResolvedResults {
  policy: ResolvedPollOptions;
  clock: Clock;
  pageSize: number;
  prefetch: number;
  signal: AbortSignal | undefined;
  onPageError: ResultsOptions['onPageError'];
}
