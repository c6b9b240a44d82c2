import type { HttpError, InvalidResponseError, NetworkError } from './errors.js';
import type { JobFailure, JobSnapshot, ProviderName } from './job-state.js';

/** What a response's headers said about when to poll next and how much budget is left. */
export interface PollHints {
  /** `Retry-After` (seconds or HTTP date) converted to milliseconds from now. */
  retryAfterMs?: number;
  /** `X-RateLimit-*` headers, when present. */
  rateLimit?: RateLimitInfo;
  /** The HTTP status of the response. */
  httpStatus?: number;
}

/** Parsed `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset`. */
export interface RateLimitInfo {
  limit?: number;
  remaining?: number;
  /** When the window resets, in clock milliseconds (`X-RateLimit-Reset` is Unix seconds). */
  resetAtMs?: number;
}

/** Passed to every {@link JobSource} call. */
export interface SourceContext {
  /** Aborted when the watch stops, the caller aborts, or the per-request timeout passes. */
  signal: AbortSignal;
  /** The watch's clock, in milliseconds. */
  now: () => number;
}

/** A snapshot plus what the response headers hinted. */
export interface SourceResult<TRaw = unknown> {
  snapshot: JobSnapshot<TRaw>;
  hints: PollHints;
}

/**
 * The one seam between the polling engine and a provider. Each client package exports sources,
 * e.g. `runflowBatch(client)`. Write your own for any other API.
 *
 * A source throws batchwatch errors: {@link HttpError} subclasses for HTTP errors,
 * {@link NetworkError} when no answer came, {@link InvalidResponseError} for unreadable bodies,
 * and `ValidationError` for an id that cannot be valid.
 */
export interface JobSource<TRaw = unknown, TItem = unknown> {
  /** The provider, e.g. `'runflow'`. */
  readonly provider: ProviderName;
  /** The kind of job, e.g. `'batch'`. */
  readonly kind: string;
  /** Throws `ValidationError` when `id` cannot be a valid id for this source. Called before any request. */
  validateId?(id: string): void;
  /**
   * How many HTTP requests one `fetchSnapshot` sends (a Supermetrics batch poll reads two
   * endpoints). Request budgets (`createJobScheduler`'s `requestsPerSecond` and `maxConcurrent`,
   * `@batchwatch/bullmq`'s limiter) charge a poll this many requests. A positive integer (both reject
   * anything else before any request). Defaults to `1`.
   */
  readonly requestsPerPoll?: number;
  /** Fetches the job once and normalizes it. */
  fetchSnapshot(id: string, context: SourceContext): Promise<SourceResult<TRaw>>;
  /**
   * Asks the provider to cancel the job. Absent when the provider has no cancel endpoint.
   * May return the snapshot the cancel response carried.
   */
  cancel?(id: string, context: SourceContext): Promise<SourceResult<TRaw> | undefined>;
  /**
   * Pages through the job's items or rows, for `jobResults(source, id)`. Absent when the
   * provider has no results endpoint for this kind of job.
   */
  readonly results?: ResultPager<TItem>;
}

/** The raw body type of a source. */
export type RawOf<TSource> = TSource extends JobSource<infer TRaw> ? TRaw : never;

/** The raw item type of a source's results. */
export type ItemOf<TSource> = TSource extends JobSource<unknown, infer TItem> ? TItem : never;

/**
 * The normalized status of one item (or row) of a job, the same for every provider:
 * `succeeded`, `failed`, `cancelled`, `skipped` (removed before it ran, e.g. by a cancel),
 * `pending` (not finished yet) or `unknown` (a status nobody documented).
 */
export type ItemStatus = 'succeeded' | 'failed' | 'cancelled' | 'skipped' | 'pending' | 'unknown';

/** One item (or row) of a job's results, normalized; `raw` keeps the provider's item untouched. */
export interface ResultItem<TRaw = unknown> {
  /** The provider's item id, or the index as a string when items have none (rows). */
  id: string;
  /** The 0-based position of the item in the job. */
  index: number;
  /** The normalized item status. */
  status: ItemStatus;
  /** Why the item failed, when the provider says. */
  failure?: JobFailure;
  /** The provider's item, untouched. */
  raw: TRaw;
}

/** Passed to {@link ResultPager.fetchPage}. */
export interface ResultContext extends SourceContext {
  /** Items wanted per page, already validated against the pager's `maxPageSize`. */
  pageSize: number;
  /** The 0-based number of the page being fetched. */
  page: number;
  /** Items delivered before this page (the index of its first item when nothing changed). */
  seen: number;
}

/** One page of results and where the next one starts. */
export interface ResultPage<TRaw = unknown> {
  /** The items of this page, in order. */
  items: ResultItem<TRaw>[];
  /** The cursor of the next page, or `null` when this was the last page. */
  next: string | null;
  /**
   * How many items the job has, `null` or absent when the provider does not say. Prefer the job's
   * own count (e.g. its item counters) over a page's claim: `jobResults` never delivers more items
   * than the smallest total a page reported, and ends the stream when it is reached.
   */
  total?: number | null;
  /** What the response headers said. */
  hints: PollHints;
}

/**
 * The results seam of a {@link JobSource}: fetches one page at a time. A cursor is opaque text the
 * pager produced (an offset, a provider cursor); `null` asks for the first page. A pager throws
 * batchwatch errors like `fetchSnapshot` does, so transient ones are retried at the same cursor.
 */
export interface ResultPager<TRaw = unknown> {
  /** Page size used when the caller gives none. */
  readonly defaultPageSize: number;
  /** The largest page the provider serves; a larger `pageSize` is a `ValidationError`. */
  readonly maxPageSize: number;
  /** Fetches the page at `cursor`. */
  fetchPage(id: string, cursor: string | null, context: ResultContext): Promise<ResultPage<TRaw>>;
}

/** The snapshot type of a source. */
export type SnapshotOf<TSource> = JobSnapshot<RawOf<TSource>>;
