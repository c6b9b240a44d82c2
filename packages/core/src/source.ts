import { BatchwatchError, HttpError, type HttpErrorDetails, InvalidResponseError, NetworkError } from './errors.js';
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
  /** How many items the job has, as this page said; `null` or absent when the provider does not say. */
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

// Retry-After larger than this is treated as this (1 day); providers document at most 86400 s.
const MAX_RETRY_AFTER_MS = 86_400_000;

/**
 * Parses a `Retry-After` value (delay-seconds or an HTTP date) into milliseconds from `nowMs`.
 * Returns `undefined` for a missing or unreadable value; a date in the past gives `0`.
 */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const trimmed = value.trim();
  if (trimmed === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(trimmed)) {
    return Math.min(MAX_RETRY_AFTER_MS, Math.round(Number(trimmed) * 1000));
  }
  // HTTP-date (IMF-fixdate and the obsolete forms Date.parse understands); must name a weekday or GMT.
  if (!/[A-Za-z]/.test(trimmed)) return undefined;
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, at - nowMs));
}

function intHeader(headers: Headers, name: string): number | undefined {
  const v = headers.get(name);
  if (v === null || !/^\s*\d+\s*$/.test(v)) return undefined;
  return Number(v);
}

/**
 * Reads `Retry-After` and `X-RateLimit-Limit` / `-Remaining` / `-Reset` from response headers.
 * `Retry-After` is honoured on any response that carries it, not only 429 and 503.
 */
export function hintsFromHeaders(headers: Headers, nowMs: number, httpStatus?: number): PollHints {
  const hints: PollHints = {};
  const retryAfterMs = parseRetryAfter(headers.get('retry-after'), nowMs);
  if (retryAfterMs !== undefined) hints.retryAfterMs = retryAfterMs;
  const limit = intHeader(headers, 'x-ratelimit-limit');
  const remaining = intHeader(headers, 'x-ratelimit-remaining');
  const reset = intHeader(headers, 'x-ratelimit-reset');
  if (limit !== undefined || remaining !== undefined || reset !== undefined) {
    const rateLimit: RateLimitInfo = {};
    if (limit !== undefined) rateLimit.limit = limit;
    if (remaining !== undefined) rateLimit.remaining = remaining;
    if (reset !== undefined) rateLimit.resetAtMs = reset * 1000;
    hints.rateLimit = rateLimit;
  }
  if (httpStatus !== undefined) hints.httpStatus = httpStatus;
  return hints;
}

/** Response headers as a plain object with lower-case names. */
export function headersToRecord(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  headers.forEach((value, key) => {
    out[key] = value;
  });
  return out;
}

/** The shape openapi-fetch resolves with. */
export interface ApiResult<TData, TError> {
  data?: TData;
  error?: TError;
  response: Response;
}

/** A provider's own error-body parser: what it says about a failed response. */
export type ErrorBodyParser = (body: unknown) => Pick<HttpErrorDetails, 'code' | 'message' | 'requestId'>;

/** A 2xx result with its data and hints. */
export interface UnwrappedResult<TData> {
  data: TData;
  response: Response;
  hints: PollHints;
}

/**
 * Turns an openapi-fetch call into data or a thrown batchwatch error: HTTP errors become the
 * {@link HttpError} subclass for the status (with the provider's code, message and request id
 * from `parseErrorBody`, and the raw body kept), a request that got no answer becomes
 * {@link NetworkError}, an unreadable 2xx body {@link InvalidResponseError}. An abort is
 * rethrown as it is.
 */
export async function unwrapApiResult<TData, TError>(
  provider: string,
  call: () => Promise<ApiResult<TData, TError>>,
  parseErrorBody: ErrorBodyParser,
  context: Pick<SourceContext, 'now' | 'signal'>,
): Promise<UnwrappedResult<TData>> {
  let result: ApiResult<TData, TError>;
  try {
    result = await call();
  } catch (error) {
    if (context.signal.aborted) throw context.signal.reason;
    if (error instanceof BatchwatchError) throw error;
    if (error instanceof SyntaxError) {
      throw new InvalidResponseError(`${provider} sent a body that is not valid JSON`, { cause: error });
    }
    throw new NetworkError(`${provider} request failed: ${errorText(error)}`, { cause: error });
  }
  const { response } = result;
  const hints = hintsFromHeaders(response.headers, context.now(), response.status);
  if (!response.ok || result.error !== undefined) {
    const body = result.error;
    const parsed = parseErrorBody(body);
    const headers = headersToRecord(response.headers);
    const details: HttpErrorDetails = { provider, status: response.status, headers, body, ...parsed };
    details.requestId ??= headers['x-request-id'] ?? headers['request-id'];
    if (details.requestId === undefined) delete details.requestId;
    if (hints.retryAfterMs !== undefined) details.retryAfterMs = hints.retryAfterMs;
    throw HttpError.from(details);
  }
  if (result.data === undefined || result.data === null || typeof result.data !== 'object') {
    throw new InvalidResponseError(`${provider} sent an empty or non-object body`, { status: response.status });
  }
  return { data: result.data, response, hints };
}

function errorText(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause;
    const code =
      cause && typeof cause === 'object' && 'code' in cause ? ` (${String((cause as { code: unknown }).code)})` : '';
    return `${error.message}${code}`;
  }
  return String(error);
}
