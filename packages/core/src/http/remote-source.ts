import { headersToRecord, hintsFromHeaders } from '../client-kit/http.js';
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
  type JobFailure,
  type JobProgress,
  type JobSnapshot,
  type JobStatus,
  type JobTimestamps,
  type ProviderName,
} from '../job-state.js';
import type { JobSource, PollHints, SourceContext, SourceResult } from '../source.js';
import { type JobStatusErrorBody, jobPath, type WireHints } from './wire.js';

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
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;

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
  const jobStatus = value.status;
  if (typeof jobStatus !== 'string' || !JOB_STATUSES.includes(jobStatus as JobStatus)) {
    throw invalid('sent a snapshot without a known status', status, text);
  }
  const p = value.progress;
  if (!isRecord(p) || !isCount(p.completed) || !isCount(p.failed) || !(p.total === null || isCount(p.total))) {
    throw invalid('sent a snapshot without valid progress', status, text);
  }
  const fraction = typeof p.fraction === 'number' && p.fraction >= 0 && p.fraction <= 1 ? p.fraction : null;
  const progress: JobProgress = { completed: p.completed, failed: p.failed, total: p.total, fraction };
  const timestamps: JobTimestamps = {};
  if (isRecord(value.timestamps)) {
    for (const key of ['createdAt', 'startedAt', 'finishedAt'] as const) {
      const t = value.timestamps[key];
      if (typeof t === 'string') timestamps[key] = t;
    }
  }
  const snapshot: JobSnapshot<TRaw> = {
    provider: typeof value.provider === 'string' ? value.provider : source.provider,
    kind: typeof value.kind === 'string' ? value.kind : source.kind,
    id: typeof value.id === 'string' ? value.id : id,
    status: jobStatus as JobStatus,
    rawStatus: typeof value.rawStatus === 'string' ? value.rawStatus : null,
    isTerminal: isTerminalStatus(jobStatus as JobStatus),
    progress,
    timestamps,
    // Re-stamped on this side's clock: the watch's schedule and fake timers run on it.
    observedAt,
    raw: value.raw as TRaw,
  };
  if (isRecord(value.failure) && typeof value.failure.message === 'string') {
    const failure: JobFailure = { message: value.failure.message };
    if (typeof value.failure.code === 'string') failure.code = value.failure.code;
    snapshot.failure = failure;
  }
  return snapshot;
}

function readHints(body: unknown, response: Response, now: number): PollHints {
  const hints = hintsFromHeaders(response.headers, now, response.status);
  const wire = isRecord(body) && isRecord(body.hints) ? (body.hints as WireHints) : undefined;
  // The body's value is exact to the millisecond; the header is rounded up to whole seconds.
  if (wire && isCount(wire.retryAfterMs)) hints.retryAfterMs = wire.retryAfterMs;
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
  const hints = readHints(undefined, response, now);
  const wire =
    isRecord(body) && isRecord(body.error) ? (body.error as Partial<JobStatusErrorBody['error']>) : undefined;
  if (response.status === 405 && wire?.code === 'cancel_not_supported') {
    return new CancelNotSupportedError(wire.message ?? `${who} jobs cannot be cancelled`);
  }
  const details: HttpErrorDetails = {
    provider,
    status: response.status,
    headers: headersToRecord(response.headers),
    body,
  };
  if (typeof wire?.code === 'string') details.code = wire.code;
  if (typeof wire?.message === 'string') details.message = wire.message;
  const retryAfterMs = isCount(wire?.retryAfterMs) ? wire.retryAfterMs : hints.retryAfterMs;
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
    throw new ValidationError('fetch', 'a function (request: Request) => Promise<Response>');
  }
  const who = `${provider} ${kind}`;

  const send = async (
    method: 'GET' | 'POST',
    id: string,
    suffix: string,
    context: SourceContext,
  ): Promise<{ response: Response; text: string; body: unknown }> => {
    const url = `${resolveBase(baseUrl)}${jobPath(provider, kind, id)}${suffix}`;
    const extra = typeof options.headers === 'function' ? await options.headers() : options.headers;
    const headers = new Headers(extra);
    headers.set('accept', 'application/json');
    const init: RequestInit = { method, headers, signal: context.signal };
    if (options.credentials) init.credentials = options.credentials;
    const doFetch = options.fetch ?? ((request: Request) => globalThis.fetch(request));
    let response: Response;
    let text: string;
    try {
      response = await doFetch(new Request(url, init));
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
    if (!response.ok) throw errorOf(response, body, context.now(), provider, who);
    return { response, text, body };
  };

  const source: RemoteJobSource<TRaw> = {
    provider,
    kind,
    baseUrl,
    async fetchSnapshot(id: string, context: SourceContext): Promise<SourceResult<TRaw>> {
      const { response, text, body } = await send('GET', id, '', context);
      const now = context.now();
      const snapshot = readSnapshot<TRaw>(
        isRecord(body) ? body.snapshot : undefined,
        source,
        id,
        now,
        response.status,
        text,
      );
      return { snapshot, hints: readHints(body, response, now) };
    },
  };
  if (options.cancellable !== false) {
    source.cancel = async (id: string, context: SourceContext): Promise<SourceResult<TRaw> | undefined> => {
      const { response, text, body } = await send('POST', id, '/cancel', context);
      const wire = isRecord(body) ? body.snapshot : undefined;
      if (wire === null || wire === undefined) return undefined;
      const now = context.now();
      return {
        snapshot: readSnapshot<TRaw>(wire, source, id, now, response.status, text),
        hints: readHints(body, response, now),
      };
    };
  }
  return source;
}
