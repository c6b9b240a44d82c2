import { headersToRecord, parseRetryAfter } from '../client-kit/http.js';
import {
  BatchwatchError,
  CancelNotSupportedError,
  HttpError,
  type HttpErrorDetails,
  InvalidResponseError,
  NetworkError,
  ValidationError,
} from '../errors.js';
import {
  isTerminalStatus,
  JOB_STATUSES,
  type JobProgress,
  type JobSnapshot,
  type JobStatus,
  type JobTimestamps,
  type ProviderName,
} from '../job-state.js';
import type { JobSource, PollHints, SourceContext, SourceResult } from '../source.js';
import { jobPath } from './wire.js';

/** Options shared by every source of one batchwatch server. */
export interface RemoteClientOptions {
  /** The `fetch` to use. Defaults to `globalThis.fetch`, looked up at call time (so msw and test doubles apply). */
  fetch?: (request: Request) => Promise<Response>;
  /**
   * Headers sent with every request (a CSRF token, your own session bearer). A function is called
   * before each request. Never put a provider key here: the point of the handler is that the page
   * holds none. Defaults to none.
   */
  headers?: HeadersInit | (() => HeadersInit | Promise<HeadersInit>);
  /** The request's `credentials` mode. Defaults to the `fetch` default (`'same-origin'`). */
  credentials?: RequestCredentials;
  /**
   * Whether the source has `cancel` (`POST .../cancel`). The server answers 405 for sources it
   * cannot cancel, which rejects with `CancelNotSupportedError`. Defaults to `true`.
   */
  cancellable?: boolean;
}

/** Options of {@link remoteSource} for one provider and kind. */
export interface RemoteSourceOptions extends RemoteClientOptions {
  /** The provider, as the server's `sources` map names it, e.g. `'runflow'`. */
  provider: ProviderName;
  /** The kind, as the server's `sources` map names it, e.g. `'batch'`. */
  kind: string;
}

/** A {@link JobSource} that polls a `createJobStatusHandler` server instead of the provider. */
export interface RemoteJobSource<TRaw = unknown> extends JobSource<TRaw> {
  /** The base URL as given, e.g. `'/api/batchwatch'`. */
  readonly baseUrl: string;
}

/** Makes remote sources for one batchwatch server: `api('runflow', 'batch')`. */
export type RemoteSourceFactory = <TRaw = unknown>(
  provider: ProviderName,
  kind: string,
  options?: RemoteClientOptions,
) => RemoteJobSource<TRaw>;

interface Location {
  href?: string;
}

/** Resolves `baseUrl` against the page's URL when there is a page, so `'/api/batchwatch'` works in browsers. */
function resolveBase(baseUrl: string): string {
  const href = (globalThis as { location?: Location }).location?.href;
  let url: URL;
  try {
    url = new URL(baseUrl, href && /^https?:/i.test(href) ? href : undefined);
  } catch {
    throw new ValidationError('baseUrl', 'an absolute http(s) URL, or a path when running in a browser page', {
      received: JSON.stringify(baseUrl),
    });
  }
  url.search = '';
  url.hash = '';
  return url.href.replace(/\/+$/, '');
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
// `Number.isFinite` is false for anything but a number (no coercion of '7').
const isCount = (v: unknown): v is number => Number.isFinite(v) && (v as number) >= 0;
/** `v` when it is a string, else `fallback`. */
const str = <T>(v: unknown, fallback: T): string | T => (typeof v === 'string' ? v : fallback);

function invalid(message: string, status: number, text: string): InvalidResponseError {
  return new InvalidResponseError(`batchwatch server ${message}`, { status, bodySnippet: text });
}

/** Turns a wire snapshot back into a {@link JobSnapshot}; throws `InvalidResponseError` for a malformed one. */
function readSnapshot<TRaw>(
  value: unknown,
  source: { provider: ProviderName; kind: string },
  id: string,
  observedAt: number,
  status: number,
  text: string,
): JobSnapshot<TRaw> {
  if (!isRecord(value)) throw invalid('sent no snapshot', status, text);
  const jobStatus = value.status as JobStatus;
  if (!JOB_STATUSES.includes(jobStatus)) throw invalid('sent a snapshot without a known status', status, text);
  const p = value.progress;
  if (!isRecord(p) || !isCount(p.completed) || !isCount(p.failed) || !(p.total === null || isCount(p.total))) {
    throw invalid('sent a snapshot without valid progress', status, text);
  }
  const f = p.fraction;
  const progress: JobProgress = {
    completed: p.completed,
    failed: p.failed,
    total: p.total,
    fraction: typeof f === 'number' && f >= 0 && f <= 1 ? f : null,
  };
  const timestamps: JobTimestamps = {};
  const times = isRecord(value.timestamps) ? value.timestamps : {};
  for (const key of ['createdAt', 'startedAt', 'finishedAt'] as const) {
    if (typeof times[key] === 'string') timestamps[key] = times[key];
  }
  const snapshot: JobSnapshot<TRaw> = {
    provider: str(value.provider, source.provider),
    kind: str(value.kind, source.kind),
    id: str(value.id, id),
    status: jobStatus,
    rawStatus: str(value.rawStatus, null),
    isTerminal: isTerminalStatus(jobStatus),
    progress,
    timestamps,
    // Re-stamped on this side's clock: the watch's schedule and fake timers run on it.
    observedAt,
    raw: value.raw as TRaw,
  };
  const failure = value.failure;
  if (isRecord(failure) && typeof failure.message === 'string') {
    snapshot.failure = { message: failure.message };
    if (typeof failure.code === 'string') snapshot.failure.code = failure.code;
  }
  return snapshot;
}

/**
 * The hints of an answer: the body's exact `retryAfterMs` (the handler's), else its `Retry-After`
 * header (a proxy's 429 or 503), and the HTTP status.
 */
function readHints(wire: unknown, response: Response, now: number): PollHints {
  const hints: PollHints = { httpStatus: response.status };
  const retryAfterMs =
    isRecord(wire) && isCount(wire.retryAfterMs)
      ? wire.retryAfterMs
      : parseRetryAfter(response.headers.get('retry-after'), now);
  if (retryAfterMs !== undefined) hints.retryAfterMs = retryAfterMs;
  return hints;
}

/**
 * A {@link JobSource} that polls a batchwatch server (`createJobStatusHandler`) instead of the
 * provider, so a browser needs no provider key:
 * `GET ${baseUrl}/jobs/${provider}/${kind}/${encodeURIComponent(id)}`.
 *
 * A relative `baseUrl` (`'/api/batchwatch'`) is resolved against the page's `location` at request
 * time. Server hints come back as `Retry-After`. Error responses become the core error classes:
 * 400 `BadRequestError`, 401 `AuthenticationError`, 403 `PermissionDeniedError`, 404
 * `NotFoundError`, 409 `ConflictError`, 429 `RateLimitError` (with `retryAfterMs`), 5xx
 * `ServerError`, no answer `NetworkError`, an unreadable body `InvalidResponseError`.
 *
 * Snapshots carry `raw` only when the server's `includeRaw` allows it; pass its type as `TRaw`
 * then, e.g. `remoteSource<RunflowBatch>(...)`. Without it, `raw` is `undefined`.
 *
 * @example
 * const source = remoteSource('/api/batchwatch', { provider: 'runflow', kind: 'batch' });
 * const final = await waitForJob(source, batchId);
 */
export function remoteSource<TRaw = unknown>(baseUrl: string, options: RemoteSourceOptions): RemoteJobSource<TRaw>;
/**
 * A factory of sources for one batchwatch server: `const api = remoteSource('/api/batchwatch');
 * useBatch(api('runflow', 'batch'), id)`.
 */
export function remoteSource(baseUrl: string, options?: RemoteClientOptions): RemoteSourceFactory;
export function remoteSource<TRaw = unknown>(
  baseUrl: string,
  options: RemoteClientOptions | RemoteSourceOptions = {},
): RemoteJobSource<TRaw> | RemoteSourceFactory {
  if (typeof baseUrl !== 'string' || baseUrl.trim() === '') {
    throw new ValidationError('baseUrl', "a URL or a path like '/api/batchwatch'");
  }
  if (options === null || typeof options !== 'object') {
    throw new ValidationError('options', 'an object');
  }
  if ('provider' in options || 'kind' in options) {
    const { provider, kind, ...client } = options as RemoteSourceOptions;
    return createRemoteSource<TRaw>(baseUrl, provider, kind, client);
  }
  const shared = options;
  return <T = unknown>(provider: ProviderName, kind: string, extra: RemoteClientOptions = {}) =>
    createRemoteSource<T>(baseUrl, provider, kind, { ...shared, ...extra });
}

/** The error for a batchwatch server's error answer: the core class for its status, or `CancelNotSupportedError`. */
function errorOf(response: Response, body: unknown, now: number, provider: ProviderName, who: string): Error {
  const wire = isRecord(body) && isRecord(body.error) ? body.error : {};
  if (response.status === 405 && wire.code === 'cancel_not_supported') {
    return new CancelNotSupportedError(str(wire.message, `${who} jobs cannot be cancelled`));
  }
  const details: HttpErrorDetails = {
    provider,
    status: response.status,
    headers: headersToRecord(response.headers),
    body,
  };
  if (typeof wire.code === 'string') details.code = wire.code;
  if (typeof wire.message === 'string') details.message = wire.message;
  const { retryAfterMs } = readHints(wire, response, now);
  if (retryAfterMs !== undefined) details.retryAfterMs = retryAfterMs;
  return HttpError.from(details);
}

function createRemoteSource<TRaw>(
  baseUrl: string,
  provider: ProviderName,
  kind: string,
  options: RemoteClientOptions,
): RemoteJobSource<TRaw> {
  if (typeof provider !== 'string' || provider === '') throw new ValidationError('provider', 'a non-empty string');
  if (typeof kind !== 'string' || kind === '') throw new ValidationError('kind', 'a non-empty string');
  if (options.fetch !== undefined && typeof options.fetch !== 'function') {
    throw new ValidationError('fetch', 'a function (Request) => Promise<Response>');
  }
  const who = `${provider} ${kind}`;

  // One request; a successful answer's snapshot (`undefined` for a cancel answer without one) and hints.
  const read = async (method: 'GET' | 'POST', id: string, suffix: string, context: SourceContext) => {
    const url = `${resolveBase(baseUrl)}${jobPath(provider, kind, id)}${suffix}`;
    const extra = typeof options.headers === 'function' ? await options.headers() : options.headers;
    const headers = new Headers(extra);
    headers.set('accept', 'application/json');
    // An undefined `credentials` is the fetch default.
    const init: RequestInit = { method, headers, signal: context.signal, credentials: options.credentials };
    let response: Response;
    let text: string;
    try {
      // `globalThis.fetch` is looked up at call time, so msw and test doubles apply.
      response = await (options.fetch ?? globalThis.fetch)(new Request(url, init));
      text = await response.text();
    } catch (error) {
      if (context.signal.aborted) throw context.signal.reason;
      if (error instanceof BatchwatchError) throw error;
      const why = error instanceof Error ? error.message : String(error);
      throw new NetworkError(`batchwatch server request for ${who} failed: ${why}`, { cause: error });
    }
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      if (response.ok) throw invalid(`sent a body that is not JSON for ${who}`, response.status, text);
      body = text;
    }
    const now = context.now();
    if (!response.ok) throw errorOf(response, body, now, provider, who);
    const wire = isRecord(body) ? body : {};
    if (method === 'POST' && wire.snapshot == null) return undefined;
    return {
      snapshot: readSnapshot<TRaw>(wire.snapshot, source, id, now, response.status, text),
      hints: readHints(wire.hints, response, now),
    };
  };
  const source: RemoteJobSource<TRaw> = {
    provider,
    kind,
    baseUrl,
    fetchSnapshot: (id, context) => read('GET', id, '', context) as Promise<SourceResult<TRaw>>,
  };
  if (options.cancellable !== false) source.cancel = (id, context) => read('POST', id, '/cancel', context);
  return source;
}
