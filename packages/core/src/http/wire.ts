import type { JobSnapshot, ProviderName } from '../job-state.js';

/**
 * Which job a request is about, and what it wants to do with it. Passed to `authorize` and
 * `includeRaw` of `createJobStatusHandler`.
 */
export interface JobRef {
  /** The provider segment of the URL, e.g. `'runflow'`. */
  provider: ProviderName;
  /** The kind segment of the URL, e.g. `'batch'`. */
  kind: string;
  /** The job id, decoded. */
  id: string;
  /** `'read'` for `GET .../jobs/:provider/:kind/:id`, `'cancel'` for `POST .../cancel`. */
  action: 'read' | 'cancel';
}

/** A snapshot as the job status handler sends it: `raw` only when the handler was told to include it. */
export type WireSnapshot<TRaw = unknown> = Omit<JobSnapshot<TRaw>, 'raw'> & { raw?: TRaw };

/** Poll hints as the job status handler sends them. */
export interface WireHints {
  /** What the provider asked for (`Retry-After`), in ms from when the handler answered. */
  retryAfterMs?: number;
  /** When the provider wants the next poll, in the server's clock ms (`now + retryAfterMs`). */
  nextPollAt?: number;
}

/** The body of a successful `GET <basePath>/jobs/:provider/:kind/:id`. */
export interface JobStatusBody<TRaw = unknown> {
  snapshot: WireSnapshot<TRaw>;
  hints: WireHints;
}

/** The body of a successful `POST <basePath>/jobs/:provider/:kind/:id/cancel`; `snapshot` is `null` when the provider's cancel response carries none. */
export interface JobCancelBody<TRaw = unknown> {
  snapshot: WireSnapshot<TRaw> | null;
  hints: WireHints;
}

/**
 * The `error.code` of a job status handler error response.
 *
 * | code | HTTP | when |
 * | --- | --- | --- |
 * | `bad_request` | 400 | unknown provider or kind, an id the source rejects, or the provider said 400/422 |
 * | `forbidden` | 403 | `authorize` said no |
 * | `not_found` | 404 | the provider has no such job, or no such route |
 * | `method_not_allowed` | 405 | wrong method for the route |
 * | `cancel_not_supported` | 405 | `POST .../cancel` on a source without `cancel` |
 * | `conflict` | 409 | the provider said 409 (e.g. cancelling a finished job) |
 * | `rate_limited` | 429 | the provider said 429 (`Retry-After` forwarded), or the caller went past `perCaller` |
 * | `upstream_auth` | 502 | the provider refused the server's own key (401/403); no detail is sent |
 * | `upstream_error` | 502 | the provider failed (5xx), sent an unreadable body, or could not be reached |
 * | `upstream_timeout` | 504 | the provider did not answer within `requestTimeoutMs` |
 * | `internal_error` | 500 | `authorize` or a source threw something unexpected |
 */
export type JobStatusErrorCode =
  | 'bad_request'
  | 'forbidden'
  | 'not_found'
  | 'method_not_allowed'
  | 'cancel_not_supported'
  | 'conflict'
  | 'rate_limited'
  | 'upstream_auth'
  | 'upstream_error'
  | 'upstream_timeout'
  | 'internal_error';

/** The body of every error response of the job status handler. It never carries a key or a provider's auth detail. */
export interface JobStatusErrorBody {
  error: {
    code: JobStatusErrorCode;
    /** A short, human-readable message. */
    message: string;
    /** The offending part of the request (`'provider'`, `'kind'` or `'id'`), for `bad_request`. */
    field?: 'provider' | 'kind' | 'id';
    /** For `rate_limited` (and 5xx when the provider said): how long to wait, in ms. */
    retryAfterMs?: number;
  };
}

/** `${base}/jobs/${provider}/${kind}/${id}` with each segment percent-encoded. */
export function jobPath(provider: string, kind: string, id: string): string {
  return `/jobs/${encodeURIComponent(provider)}/${encodeURIComponent(kind)}/${encodeURIComponent(id)}`;
}
