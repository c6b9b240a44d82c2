/**
 * `@batchwatch/core/results`: stream a finished job's results page by page, in one item shape for
 * every provider: `jobResults(source, id)` with prefetch, page retries at the same cursor,
 * `Retry-After`, abort, and `toArray` / `collect({ max })`.
 *
 * @module
 */
import { systemClock } from '../clock.js';
import { type InvalidResponseError, ValidationError } from '../errors.js';
import { lookupStatus } from '../internal/lookup.js';
import { validateId } from '../internal/validate.js';
import { resolvePollOptions } from '../options.js';
import type { ItemStatus, JobSource, ResultPager } from '../source.js';
import { Stream } from './stream.js';
import { MAX_PREFETCH, type ResolvedResults, type ResultStream, type ResultsOptions } from './types.js';

export { ResultLimitError, ResultsNotReadyError } from './errors.js';
export type { PageErrorInfo, ResultPageInfo, ResultStream, ResultsOptions } from './types.js';

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
  // Stryker disable next-line OptionalChaining: `signal` is known to be there on the right of `signal !== undefined &&`
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

export type { ItemOf, ItemStatus, ResultContext, ResultItem, ResultPage, ResultPager } from '../source.js';
