import { BatchwatchError, HttpError, type HttpErrorDetails, InvalidResponseError, NetworkError } from '../errors.js';
import { describeKind } from '../internal/lookup.js';
import type { PollHints, RateLimitInfo, SourceContext } from '../source.js';

// Retry-After larger than this is treated as this (1 day); providers document at most 86400 s.
const MAX_RETRY_AFTER_MS = 86_400_000;

/**
 * Parses a `Retry-After` value (delay-seconds or an HTTP date) into milliseconds from `nowMs`.
 * Returns `undefined` for a missing or unreadable value; a date in the past gives `0`.
 */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | undefined {
  // Stryker disable next-line StringLiteral: any text but digits or a date reads as nothing, as '' does
  const trimmed = value?.trim() ?? '';
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.min(MAX_RETRY_AFTER_MS, Math.round(Number(trimmed) * 1000));
  // HTTP-date (IMF-fixdate and the obsolete forms Date.parse understands); must name a weekday or GMT.
  const at = /[A-Za-z]/.test(trimmed) ? Date.parse(trimmed) : Number.NaN;
  return Number.isNaN(at) ? undefined : Math.min(MAX_RETRY_AFTER_MS, Math.max(0, at - nowMs));
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
  const { data } = result;
  if (data === undefined || data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new InvalidResponseError(`${provider} sent ${describeKind(data)}, expected a JSON object`, {
      status: response.status,
    });
  }
  return { data, response, hints };
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
