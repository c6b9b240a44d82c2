// What the status handler answers: JSON bodies, error bodies that tell a browser what it needs and
// nothing more, and snapshots and hints as they go over the wire.
import {
  AuthenticationError,
  BadRequestError,
  ConflictError,
  HttpError,
  InvalidResponseError,
  NetworkError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
  RequestTimeoutError,
  ValidationError,
} from '../errors.js';
import type { JobSnapshot } from '../job-state.js';
import type { PollHints } from '../source.js';
import type { JobRef, JobStatusErrorBody, JobStatusErrorCode, WireHints, WireSnapshot } from './wire.js';

const JSON_HEADERS = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
} as const;

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { ...JSON_HEADERS, ...headers } });
}

export function fail(
  status: number,
  code: JobStatusErrorCode,
  message: string,
  extra: { field?: JobStatusErrorBody['error']['field']; retryAfterMs?: number | undefined; allow?: string } = {},
): Response {
  const error: JobStatusErrorBody['error'] = { code, message };
  if (extra.field) error.field = extra.field;
  const headers: Record<string, string> = {};
  if (extra.retryAfterMs !== undefined) {
    error.retryAfterMs = extra.retryAfterMs;
    headers['retry-after'] = String(Math.ceil(extra.retryAfterMs / 1000));
  }
  if (extra.allow) headers.allow = extra.allow;
  return json(status, { error } satisfies JobStatusErrorBody, headers);
}

// Echoed request text is cut short and kept printable: error bodies must stay small and harmless.
export function shown(value: string): string {
  const text = JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  return text.replace(/[^\x20-\x7e]/g, '?');
}

export function wireHints(hints: PollHints, now: number): WireHints {
  const out: WireHints = {};
  if (hints.retryAfterMs !== undefined) {
    out.retryAfterMs = hints.retryAfterMs;
    out.nextPollAt = now + hints.retryAfterMs;
  }
  return out;
}

export function wireSnapshot<TRaw>(snapshot: JobSnapshot<TRaw>, includeRaw: boolean): WireSnapshot<TRaw> {
  if (includeRaw) return snapshot;
  const { raw: _raw, ...rest } = snapshot;
  return rest;
}

/**
 * Maps what a source threw to a response that tells the browser what it needs and nothing more;
 * what it hides goes to `report`.
 */
export function errorResponse(
  error: unknown,
  ref: JobRef,
  request: Request,
  report: (error: unknown, ref: JobRef) => void,
): Response {
  const what = `${ref.provider} ${ref.kind}`;
  if (error instanceof ValidationError) {
    return fail(400, 'bad_request', `invalid ${what} id: expected ${error.expected}`, { field: 'id' });
  }
  if (error instanceof BadRequestError) {
    return fail(400, 'bad_request', `${ref.provider} rejected the request for this ${ref.kind}`, { field: 'id' });
  }
  if (error instanceof NotFoundError) return fail(404, 'not_found', `no ${what} with this id`);
  if (error instanceof ConflictError)
    return fail(409, 'conflict', `${ref.provider} refused: the ${ref.kind} is in a conflicting state`);
  if (error instanceof RateLimitError) {
    return fail(429, 'rate_limited', `${ref.provider} is rate limiting requests`, {
      retryAfterMs: error.retryAfterMs,
    });
  }
  // The caller went away (framework aborted request.signal): nobody reads this answer.
  if (request.signal?.aborted) return fail(499, 'internal_error', 'the request was aborted');
  report(error, ref);
  if (error instanceof AuthenticationError || error instanceof PermissionDeniedError) {
    return fail(502, 'upstream_auth', 'the server could not authenticate with the provider');
  }
  if (error instanceof RequestTimeoutError)
    return fail(504, 'upstream_timeout', `${ref.provider} did not answer in time`);
  if (error instanceof HttpError || error instanceof NetworkError || error instanceof InvalidResponseError) {
    const retryAfterMs = error instanceof HttpError ? error.retryAfterMs : undefined;
    return fail(502, 'upstream_error', `${ref.provider} is not available`, { retryAfterMs });
  }
  return fail(500, 'internal_error', 'the job status could not be read');
}
