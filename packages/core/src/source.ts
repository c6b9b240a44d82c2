import { BatchwatchError, HttpError, type HttpErrorDetails, InvalidResponseError, NetworkError } from './errors.js';
import type { JobSnapshot, ProviderName } from './job-state.js';

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
export interface JobSource<TRaw = unknown> {
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
}

/** The raw body type of a source. */
export type RawOf<TSource> = TSource extends JobSource<infer TRaw> ? TRaw : never;

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
