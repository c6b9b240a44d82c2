import type { JobSnapshot } from './job-state.js';

/** Root of every error batchwatch throws. Use `instanceof` to branch. */
export class BatchwatchError extends Error {
  override name = 'BatchwatchError';
}

/** What a provider said in an HTTP error response, parsed from any of its documented error bodies. */
export interface HttpErrorDetails {
  /** The provider, e.g. `'supermetrics'`. */
  provider?: string;
  /** The HTTP status. */
  status: number;
  /** The provider's error code (`NOT_FOUND`, `not_found`, `RATE_LIMITED`...), when it sent one. */
  code?: string;
  /** The provider's message, or a generic one. */
  message?: string;
  /** The provider's request id, when it sent one. */
  requestId?: string;
  /** Response headers (lower-case names). */
  headers?: Record<string, string>;
  /** The parsed response body (or the text when it was not JSON), untouched. */
  body?: unknown;
  /** For 429 and 503: how long the server asked us to wait, in milliseconds. */
  retryAfterMs?: number;
  /** The underlying error, if any. */
  cause?: unknown;
}

/** The provider answered with an HTTP error status. Subclasses exist for the statuses callers branch on. */
export class HttpError extends BatchwatchError {
  override name = 'HttpError';
  /** The provider, e.g. `'check'`. */
  declare readonly provider: string | undefined;
  /** The HTTP status. */
  declare readonly status: number;
  /** The provider's error code, when it sent one. */
  declare readonly code: string | undefined;
  /** The provider's request id, when it sent one. */
  declare readonly requestId: string | undefined;
  /** Response headers (lower-case names). */
  declare readonly headers: Record<string, string>;
  /** The parsed response body, untouched. */
  declare readonly body: unknown;
  /** For 429 and 503: how long the server asked us to wait, in milliseconds. */
  declare readonly retryAfterMs: number | undefined;

  constructor(details: HttpErrorDetails) {
    super(formatHttpMessage(details), details.cause === undefined ? undefined : { cause: details.cause });
    this.provider = details.provider;
    this.status = details.status;
    this.code = details.code;
    this.requestId = details.requestId;
    this.headers = details.headers ?? {};
    this.body = details.body;
    this.retryAfterMs = details.retryAfterMs;
  }

  /** Builds the subclass that matches `details.status` (401 -> {@link AuthenticationError}, ...). */
  static from(details: HttpErrorDetails): HttpError {
    const s = details.status;
    if (s === 400 || s === 422) return new BadRequestError(details);
    if (s === 401) return new AuthenticationError(details);
    if (s === 403) return new PermissionDeniedError(details);
    if (s === 404) return new NotFoundError(details);
    if (s === 409) return new ConflictError(details);
    if (s === 429) return new RateLimitError(details);
    if (s >= 500) return new ServerError(details);
    return new HttpError(details);
  }
}

function formatHttpMessage(d: HttpErrorDetails): string {
  const who = d.provider ? `${d.provider} ` : '';
  const code = d.code ? ` ${d.code}` : '';
  const msg = d.message ? `: ${d.message}` : '';
  const rid = d.requestId ? ` (request id ${d.requestId})` : '';
  return `${who}HTTP ${d.status}${code}${msg}${rid}`;
}

/** 400 or 422: the provider rejected the request. Fatal: polling stops. */
export class BadRequestError extends HttpError {
  override name = 'BadRequestError';
}
/** 401: the key is missing, wrong or expired. Fatal: polling stops. */
export class AuthenticationError extends HttpError {
  override name = 'AuthenticationError';
}
/** 403: the key may not do this. Fatal: polling stops. */
export class PermissionDeniedError extends HttpError {
  override name = 'PermissionDeniedError';
}
/** 404: no such job (or it expired). Fatal: polling stops. */
export class NotFoundError extends HttpError {
  override name = 'NotFoundError';
}
/** 409: a conflict, e.g. an idempotency key reused with another body. */
export class ConflictError extends HttpError {
  override name = 'ConflictError';
}
/** 429: rate limited. Transient: retried after `retryAfterMs` when the server said, else with backoff. */
export class RateLimitError extends HttpError {
  override name = 'RateLimitError';
}
/** 5xx: the provider failed. Transient: retried with backoff. */
export class ServerError extends HttpError {
  override name = 'ServerError';
}

/** The request never got an HTTP answer: DNS, refused or reset connection, TLS. Transient. */
export class NetworkError extends BatchwatchError {
  override name = 'NetworkError';
}

/** One request took longer than `requestTimeoutMs`. Transient. */
export class RequestTimeoutError extends NetworkError {
  override name = 'RequestTimeoutError';
  /** The per-request timeout that was exceeded, in milliseconds. */
  declare readonly timeoutMs: number;
  constructor(timeoutMs: number, options?: { cause?: unknown }) {
    super(`request timed out after ${timeoutMs} ms`, options);
    this.timeoutMs = timeoutMs;
  }
}

/** The provider answered 2xx with a body we cannot read (malformed JSON, an HTML page...). Transient. */
export class InvalidResponseError extends BatchwatchError {
  override name = 'InvalidResponseError';
  /** The HTTP status of the response. */
  declare readonly status: number | undefined;
  /** The start of the body as text (at most 200 characters), for debugging. */
  declare readonly bodySnippet: string | undefined;
  constructor(message: string, options?: { status?: number; bodySnippet?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.status = options?.status;
    this.bodySnippet = options?.bodySnippet?.slice(0, 200);
  }
}

/** Input was rejected before any request was sent (e.g. a `schedule_id` that breaks the spec's pattern). */
export class ValidationError extends BatchwatchError {
  override name = 'ValidationError';
  /** The offending field, e.g. `'schedule_id'`. */
  declare readonly field: string;
  /** The expected form, e.g. `'1-50 characters of A-Z, a-z, 0-9, _ or -'`. */
  declare readonly expected: string;
  constructor(field: string, expected: string, options?: { received?: string }) {
    const got = options?.received === undefined ? '' : ` (got ${options.received})`;
    super(`invalid ${field}: expected ${expected}${got}`);
    this.field = field;
    this.expected = expected;
  }
}

/** The job reached `failed` (or `partially_succeeded` when asked to treat that as failure). */
export class JobFailedError<TRaw = unknown> extends BatchwatchError {
  override name = 'JobFailedError';
  /** The final snapshot. */
  declare readonly snapshot: JobSnapshot<TRaw>;
  constructor(snapshot: JobSnapshot<TRaw>) {
    const why = snapshot.failure
      ? `: ${snapshot.failure.code ? `${snapshot.failure.code} ` : ''}${snapshot.failure.message}`
      : '';
    super(`${snapshot.provider} ${snapshot.kind} ${snapshot.id} ${snapshot.status}${why}`);
    this.snapshot = snapshot;
  }
}

/** The job reached `cancelled`. */
export class JobCancelledError<TRaw = unknown> extends BatchwatchError {
  override name = 'JobCancelledError';
  /** The final snapshot. */
  declare readonly snapshot: JobSnapshot<TRaw>;
  constructor(snapshot: JobSnapshot<TRaw>) {
    super(`${snapshot.provider} ${snapshot.kind} ${snapshot.id} was cancelled`);
    this.snapshot = snapshot;
  }
}

/** The deadline (`timeoutMs`) passed before the job reached a terminal status. */
export class PollTimeoutError<TRaw = unknown> extends BatchwatchError {
  override name = 'PollTimeoutError';
  /** The last snapshot seen, if any poll succeeded. */
  declare readonly snapshot: JobSnapshot<TRaw> | undefined;
  /** How many polls were sent. */
  declare readonly attempts: number;
  constructor(
    timeoutMs: number,
    attempts: number,
    snapshot: JobSnapshot<TRaw> | undefined,
    options?: { cause?: unknown },
  ) {
    const last = snapshot ? `; last status ${snapshot.status}` : '';
    super(`job not finished after ${timeoutMs} ms and ${attempts} polls${last}`, options);
    this.snapshot = snapshot;
    this.attempts = attempts;
  }
}

/** Polling was stopped by `watch.stop()` or a scheduler shutdown. An aborted `signal` rejects with its own reason. */
export class AbortError extends BatchwatchError {
  override name = 'AbortError';
  /** Why polling stopped. */
  declare readonly reason: unknown;
  constructor(reason?: unknown) {
    super(
      typeof reason === 'string' ? reason : 'polling was stopped',
      reason === undefined ? undefined : { cause: reason },
    );
    this.reason = reason;
  }
}

/** The provider has no server-side cancel for this kind of job. */
export class CancelNotSupportedError extends BatchwatchError {
  override name = 'CancelNotSupportedError';
}

/**
 * Whether an error met while polling is worth retrying: network errors, per-request timeouts,
 * 408, 425, 429, 5xx and unreadable bodies are; 400, 401, 403, 404, 409, 422 and everything else are not.
 */
export function isTransientError(error: unknown): boolean {
  if (error instanceof NetworkError || error instanceof InvalidResponseError) return true;
  if (error instanceof HttpError) {
    return error.status === 408 || error.status === 425 || error.status === 429 || error.status >= 500;
  }
  return false;
}
