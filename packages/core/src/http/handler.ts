import { type Clock, systemClock } from '../clock.js';
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
import { fetchOnce } from '../internal/step.js';
import type { JobSnapshot } from '../job-state.js';
import { MAX_DELAY_MS, readNumber } from '../next-delay.js';
import type { JobSource, PollHints, SourceResult } from '../source.js';
import type {
  JobCancelBody,
  JobRef,
  JobStatusBody,
  JobStatusErrorBody,
  JobStatusErrorCode,
  WireHints,
  WireSnapshot,
} from './wire.js';

/** Job sources by provider, then kind: `{ runflow: { batch: runflowBatch(client) } }`. */
export type JobSourceMap = Readonly<Record<string, Readonly<Record<string, JobSource<unknown>>>>>;

/** Options of {@link createJobStatusHandler}. */
export interface JobStatusHandlerOptions {
  /**
   * The sources the handler may poll, by provider and kind, built on the server with the server's
   * keys: `{ runflow: { batch: runflowBatch(createRunflowClient({ apiKey })) } }`.
   */
  sources: JobSourceMap;
  /**
   * Decides whether the caller of `request` may see (or, for `ref.action === 'cancel'`, cancel) the
   * job. Required: there is no default-open. `false` answers 403. Throwing a `Response` answers with
   * that response (e.g. your own 401); throwing anything else answers 500.
   */
  authorize: (request: Request, ref: JobRef) => boolean | Promise<boolean>;
  /** Where the routes start, e.g. `'/api/batchwatch'`. Defaults to `''` (routes at `/jobs/...`). */
  basePath?: string;
  /**
   * Whether snapshots carry the provider's `raw` body. Raw bodies can hold data the browser should
   * not see (emails, costs, row data), so it is opt-in, per job if a function. Defaults to `false`.
   */
  includeRaw?: boolean | ((ref: JobRef) => boolean);
  /** Abort a provider request after this many ms and answer 504. Defaults to `30_000`. */
  requestTimeoutMs?: number;
  /**
   * Called with every error the handler turned into a 5xx or a generic message (provider 401/403,
   * 5xx, network, timeouts, a throwing `authorize`), so you can log the detail the response hides.
   * Defaults to none.
   */
  onError?: (error: unknown, ref: JobRef | undefined) => void;
  /** The time source for `nextPollAt` and request timeouts. Defaults to `systemClock`. */
  clock?: Clock;
  /**
   * How long, in ms, a snapshot read from the provider answers later reads of the same job from
   * memory (each read still goes through `authorize` and `includeRaw`). When the provider said when
   * to poll next (`Retry-After`), the snapshot is kept until then instead (the answer carries what
   * is left of it); a terminal snapshot is kept at least a minute. Reads of a job that arrive while its provider request is in flight always
   * share that one request, whatever `cacheMs`: 50 viewers cost one provider request, not 50. `0`
   * keeps nothing in memory. Defaults to `1000`, the shortest interval a watch polls a job at by
   * default (`minIntervalMs`), so no viewer on the default schedule sees an older snapshot than it
   * would have polled.
   */
  cacheMs?: number;
}

// At most this many jobs are kept in memory; past it, the oldest entries go first.
const MAX_CACHED_JOBS = 1_000;
const TERMINAL_CACHE_MS = 60_000;

/** One job's last read (kept until `until`) or the read in flight that concurrent callers share. */
interface Read {
  pending?: Promise<SourceResult<unknown>>;
  result?: SourceResult<unknown>;
  at: number;
  until: number;
}

/** `promise`, or `signal.reason` as soon as `signal` aborts (the promise itself goes on for others). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** A Fetch API handler: `Request` in, `Response` out. Never rejects. */
export type JobStatusHandler = (request: Request) => Promise<Response>;

const JSON_HEADERS = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
} as const;

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { ...JSON_HEADERS, ...headers } });
}

function fail(
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
function shown(value: string): string {
  const text = JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  return text.replace(/[^\x20-\x7e]/g, '?');
}

function normalizeBasePath(basePath: unknown): string {
  if (basePath === undefined || basePath === '' || basePath === '/') return '';
  if (typeof basePath !== 'string' || !basePath.startsWith('/') || /[?#\s]/.test(basePath)) {
    throw new ValidationError('basePath', "a path starting with '/', e.g. '/api/batchwatch'");
  }
  return basePath.replace(/\/+$/, '');
}

function lookup<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/** Parses `<base>/jobs/:provider/:kind/:id[/cancel]`; `undefined` for any other path. */
function route(pathname: string, base: string): { segments: string[]; cancel: boolean } | undefined {
  if (base !== '' && pathname !== base && !pathname.startsWith(`${base}/`)) return undefined;
  const parts = pathname.slice(base.length).split('/');
  // parts[0] is the empty string before the leading slash.
  if (parts[0] !== '' || parts[1] !== 'jobs') return undefined;
  const rest = parts.slice(2);
  if (rest.length === 3) return { segments: rest, cancel: false };
  if (rest.length === 4 && rest[3] === 'cancel') return { segments: rest.slice(0, 3), cancel: true };
  return undefined;
}

function wireHints(hints: PollHints, now: number): WireHints {
  const out: WireHints = {};
  if (hints.retryAfterMs !== undefined) {
    out.retryAfterMs = hints.retryAfterMs;
    out.nextPollAt = now + hints.retryAfterMs;
  }
  return out;
}

function wireSnapshot<TRaw>(snapshot: JobSnapshot<TRaw>, includeRaw: boolean): WireSnapshot<TRaw> {
  if (includeRaw) return snapshot;
  const { raw: _raw, ...rest } = snapshot;
  return rest;
}

/**
 * A Fetch API handler that serves normalized job snapshots from your server, where the provider
 * keys live, so a browser never calls a provider (or sees a key):
 *
 * - `GET <basePath>/jobs/:provider/:kind/:id` polls the job once and answers
 *   `{ snapshot, hints: { retryAfterMs?, nextPollAt? } }` (snapshot without `raw` unless
 *   `includeRaw`), with the provider's `Retry-After` forwarded as a header.
 * - `POST <basePath>/jobs/:provider/:kind/:id/cancel` asks the provider to cancel (405 when the
 *   source has no `cancel`).
 *
 * Errors answer `{ error: { code, message, field? } }`: 400 for an unknown provider or kind or an id
 * the source rejects, 403 when `authorize` says no, 404 when the provider has no such job, 429 with
 * `Retry-After`, 502 when the provider refused the server's key or failed (no provider detail is
 * sent), 504 on timeout. Other paths answer 404, other methods 405.
 *
 * Mount it anywhere that speaks Fetch: a Next.js route handler, Hono, Bun, Deno, or node:http with
 * a small adapter (see the README).
 *
 * @example
 * const handler = createJobStatusHandler({
 *   sources: { runflow: { batch: runflowBatch(createRunflowClient({ apiKey: process.env.RUNFLOW_API_KEY! })) } },
 *   authorize: async (request, ref) => (await getUser(request))?.canSee(ref.id) ?? false,
 *   basePath: '/api/batchwatch',
 * });
 * export { handler as GET, handler as POST }; // app/api/batchwatch/[...path]/route.ts
 */
export function createJobStatusHandler(options: JobStatusHandlerOptions): JobStatusHandler {
  if (options === null || typeof options !== 'object') {
    throw new ValidationError('options', 'an object with sources and authorize');
  }
  const { sources, authorize, onError, includeRaw = false } = options;
  if (typeof authorize !== 'function') {
    throw new ValidationError(
      'authorize',
      'a function (request, ref) => boolean | Promise<boolean>; there is no default',
    );
  }
  if (sources === null || typeof sources !== 'object') {
    throw new ValidationError('sources', 'an object like { runflow: { batch: runflowBatch(client) } }');
  }
  if (typeof includeRaw !== 'boolean' && typeof includeRaw !== 'function') {
    throw new ValidationError('includeRaw', 'a boolean or a function (ref) => boolean');
  }
  const base = normalizeBasePath(options.basePath);
  const requestTimeoutMs = readNumber(options, 'requestTimeoutMs', 30_000, 1, MAX_DELAY_MS);
  const cacheMs = readNumber(options, 'cacheMs', 1_000, 0, MAX_DELAY_MS);
  const clock = options.clock ?? systemClock;
  const reads = new Map<string, Read>();

  // One provider request per job at a time, shared by every caller; a fresh enough answer from memory.
  const read = (source: JobSource<unknown>, key: string, id: string): Read => {
    const now = clock.now();
    const last = reads.get(key);
    if (last && (last.pending || now < last.until)) return last;
    // Expired answers go at every new read; past MAX_CACHED_JOBS the oldest go too.
    for (const [k, entry] of reads) {
      if (!entry.pending && (entry.until <= now || reads.size >= MAX_CACHED_JOBS)) reads.delete(k);
    }
    const entry: Read = { at: now, until: now };
    entry.pending = fetchOnce(
      (context) => source.fetchSnapshot(id, context),
      new AbortController().signal,
      clock,
      requestTimeoutMs,
    );
    reads.set(key, entry);
    entry.pending.then(
      (result) => {
        entry.pending = undefined;
        entry.result = result;
        entry.at = clock.now();
        const { snapshot, hints } = (result ?? {}) as Partial<SourceResult<unknown>>;
        // Until the job's own next poll: when the provider said (Retry-After), else after cacheMs.
        const keep = snapshot?.isTerminal ? Math.max(cacheMs, TERMINAL_CACHE_MS) : (hints?.retryAfterMs ?? cacheMs);
        entry.until = cacheMs > 0 && snapshot ? entry.at + keep : entry.at;
        if (entry.until <= entry.at && reads.get(key) === entry) reads.delete(key);
      },
      () => {
        if (reads.get(key) === entry) reads.delete(key);
      },
    );
    return entry;
  };

  const report = (error: unknown, ref: JobRef | undefined) => {
    try {
      onError?.(error, ref);
    } catch {
      // A failing logger must not turn into a failing response.
    }
  };

  // Maps what a source threw to a response that tells the browser what it needs and nothing more.
  const fromError = (error: unknown, ref: JobRef, request: Request): Response => {
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
  };

  const serve = async (request: Request): Promise<Response> => {
    let url: URL;
    try {
      url = new URL(request.url);
    } catch {
      return fail(400, 'bad_request', 'the request URL cannot be parsed');
    }
    const match = route(url.pathname, base);
    if (!match) return fail(404, 'not_found', 'no such route');
    const method = request.method.toUpperCase();
    const wanted = match.cancel ? 'POST' : 'GET';
    if (method !== wanted) {
      return fail(405, 'method_not_allowed', `${method} is not allowed here; use ${wanted}`, { allow: wanted });
    }

    const decoded: string[] = [];
    const fields = ['provider', 'kind', 'id'] as const;
    for (const [i, field] of fields.entries()) {
      try {
        decoded.push(decodeURIComponent(match.segments[i] ?? ''));
      } catch {
        return fail(400, 'bad_request', `the ${field} is not validly percent-encoded`, { field });
      }
    }
    const [provider = '', kind = '', id = ''] = decoded;
    const kinds = lookup(sources, provider);
    if (!kinds || typeof kinds !== 'object') {
      return fail(400, 'bad_request', `unknown provider ${shown(provider)}`, { field: 'provider' });
    }
    const source = lookup(kinds, kind);
    if (!source || typeof source.fetchSnapshot !== 'function') {
      return fail(400, 'bad_request', `unknown kind ${shown(kind)} for provider ${shown(provider)}`, { field: 'kind' });
    }
    const ref: JobRef = { provider, kind, id, action: match.cancel ? 'cancel' : 'read' };
    if (id === '') return fail(400, 'bad_request', 'the id is empty', { field: 'id' });
    try {
      source.validateId?.(id);
    } catch (error) {
      const expected = error instanceof ValidationError ? `: expected ${error.expected}` : '';
      return fail(400, 'bad_request', `invalid ${provider} ${kind} id${expected}`, { field: 'id' });
    }
    if (match.cancel && typeof source.cancel !== 'function') {
      return fail(405, 'cancel_not_supported', `${provider} ${kind} jobs cannot be cancelled`, { allow: 'GET' });
    }

    let allowed: boolean;
    try {
      allowed = (await authorize(request, ref)) === true;
    } catch (error) {
      if (error instanceof Response) return error;
      report(error, ref);
      return fail(500, 'internal_error', 'authorization failed');
    }
    if (!allowed) return fail(403, 'forbidden', `not allowed to ${ref.action} this ${kind}`);

    const raw = typeof includeRaw === 'function' ? includeRaw(ref) === true : includeRaw;
    const parent = request.signal ?? new AbortController().signal;
    const key = JSON.stringify([provider, kind, id]);
    let result: SourceResult<unknown> | undefined;
    let at: number | undefined;
    try {
      if (match.cancel) {
        result = await fetchOnce(
          (context) => (source.cancel as NonNullable<JobSource['cancel']>)(id, context),
          parent,
          clock,
          requestTimeoutMs,
        );
      } else {
        const entry = read(source, key, id);
        result = entry.pending ? await untilAborted(entry.pending, parent) : entry.result;
        at = entry.at;
      }
    } catch (error) {
      return fromError(error, ref, request);
    } finally {
      // What the job looked like before a cancel is not what it looks like now.
      if (match.cancel) reads.delete(key);
    }
    const now = clock.now();
    if (match.cancel) {
      const body: JobCancelBody = {
        snapshot: result?.snapshot ? wireSnapshot(result.snapshot, raw) : null,
        hints: wireHints(result?.hints ?? {}, now),
      };
      return json(200, body);
    }
    if (!result || typeof result.snapshot !== 'object' || result.snapshot === null) {
      report(new TypeError(`${provider} ${kind} source: fetchSnapshot must resolve with { snapshot, hints }`), ref);
      return fail(500, 'internal_error', 'the job status could not be read');
    }
    // From memory, a Retry-After counts down from when the provider sent it.
    const sent = result.hints ?? {};
    const left =
      sent.retryAfterMs === undefined
        ? sent
        : { ...sent, retryAfterMs: Math.max(0, sent.retryAfterMs - (now - (at ?? now))) };
    const hints = wireHints(left, now);
    const body: JobStatusBody = { snapshot: wireSnapshot(result.snapshot, raw), hints };
    const headers: Record<string, string> = {};
    if (hints.retryAfterMs !== undefined) headers['retry-after'] = String(Math.ceil(hints.retryAfterMs / 1000));
    return json(200, body, headers);
  };

  return async (request: Request) => {
    try {
      return await serve(request);
    } catch (error) {
      report(error, undefined);
      return fail(500, 'internal_error', 'the job status could not be read');
    }
  };
}
