import { type Clock, systemClock } from '../clock.js';
import { ValidationError } from '../errors.js';
import { fetchOnce } from '../internal/step.js';
import { MAX_DELAY_MS, readNumber } from '../next-delay.js';
import type { JobSource, SourceResult } from '../source.js';
import { type CallerGate, type CallerLimit, createCallerGate } from './caller-limit.js';
import { createReadCache, type ReadCache, untilAborted } from './read-cache.js';
import { errorResponse, fail, json, shown, wireHints, wireSnapshot } from './responses.js';
import type { JobCancelBody, JobRef, JobStatusBody } from './wire.js';

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
  /**
   * A limit on the provider requests each caller may cause: reads the handler cannot answer from
   * memory, and cancels (reads from memory are never limited). Past it the caller gets 429
   * `rate_limited` with `Retry-After`, and nothing is sent to the provider. Defaults to none.
   *
   * @example
   * perCaller: { key: async (request) => (await getUser(request))?.id, requestsPerSecond: 2, burst: 20 }
   */
  perCaller?: CallerLimit;
}

/** A Fetch API handler: `Request` in, `Response` out. Never rejects. */
export type JobStatusHandler = (request: Request) => Promise<Response>;

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

/** The job a request is about, and what it asks. */
interface Target {
  ref: JobRef;
  source: JobSource<unknown>;
  cancel: boolean;
}

/** The job `request` names, or the 4xx that says what is wrong with it (before any provider request). */
function target(request: Request, base: string, sources: JobSourceMap): Target | Response {
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
  return { ref, source, cancel: match.cancel };
}

/** The 200 answer to a read: the snapshot, and what is left of the provider's `Retry-After`. */
function readAnswer(result: SourceResult<unknown>, at: number, now: number, raw: boolean): Response {
  // From memory, a Retry-After counts down from when the provider sent it.
  const sent = result.hints ?? {};
  const left =
    sent.retryAfterMs === undefined ? sent : { ...sent, retryAfterMs: Math.max(0, sent.retryAfterMs - (now - at)) };
  const hints = wireHints(left, now);
  const body: JobStatusBody = { snapshot: wireSnapshot(result.snapshot, raw), hints };
  const headers: Record<string, string> = {};
  if (hints.retryAfterMs !== undefined) headers['retry-after'] = String(Math.ceil(hints.retryAfterMs / 1000));
  return json(200, body, headers);
}

/** What a handler serves requests with. */
interface Served {
  sources: JobSourceMap;
  base: string;
  authorize: JobStatusHandlerOptions['authorize'];
  includeRaw: NonNullable<JobStatusHandlerOptions['includeRaw']>;
  cache: ReadCache;
  clock: Clock;
  requestTimeoutMs: number;
  report: (error: unknown, ref: JobRef | undefined) => void;
  gate: CallerGate | undefined;
}

async function serve(request: Request, served: Served): Promise<Response> {
  const found = target(request, served.base, served.sources);
  if (found instanceof Response) return found;
  const { ref, source, cancel } = found;
  const { clock, cache, report } = served;
  let allowed: boolean;
  try {
    allowed = (await served.authorize(request, ref)) === true;
  } catch (error) {
    if (error instanceof Response) return error;
    report(error, ref);
    return fail(500, 'internal_error', 'authorization failed');
  }
  if (!allowed) return fail(403, 'forbidden', `not allowed to ${ref.action} this ${ref.kind}`);

  const { includeRaw } = served;
  const raw = typeof includeRaw === 'function' ? includeRaw(ref) === true : includeRaw;
  const parent = request.signal ?? new AbortController().signal;
  const key = JSON.stringify([ref.provider, ref.kind, ref.id]);
  if (served.gate && (cancel || !cache.answers(key))) {
    const refused = await served.gate(request, ref);
    if (refused) return refused;
  }
  let result: SourceResult<unknown> | undefined;
  let at: number | undefined;
  try {
    if (cancel) {
      const send = source.cancel as NonNullable<JobSource['cancel']>;
      result = await fetchOnce((context) => send(ref.id, context), parent, clock, served.requestTimeoutMs);
    } else {
      const entry = cache.read(source, key, ref.id);
      result = entry.pending ? await untilAborted(entry.pending, parent) : entry.result;
      at = entry.at;
    }
  } catch (error) {
    return errorResponse(error, ref, request, report);
  } finally {
    // What the job looked like before a cancel is not what it looks like now.
    if (cancel) cache.forget(key);
  }
  const now = clock.now();
  if (cancel) {
    const body: JobCancelBody = {
      snapshot: result?.snapshot ? wireSnapshot(result.snapshot, raw) : null,
      hints: wireHints(result?.hints ?? {}, now),
    };
    return json(200, body);
  }
  if (!result || typeof result.snapshot !== 'object' || result.snapshot === null) {
    report(
      new TypeError(`${ref.provider} ${ref.kind} source: fetchSnapshot must resolve with { snapshot, hints }`),
      ref,
    );
    return fail(500, 'internal_error', 'the job status could not be read');
  }
  return readAnswer(result, at ?? now, now, raw);
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
 * `Retry-After` (the provider's, or a caller past `perCaller`), 502 when the provider refused the server's key or failed (no provider detail is
 * sent), 504 on timeout. Other paths answer 404, other methods 405.
 *
 * Mount it anywhere that speaks Fetch: a Next.js route handler, Hono, Bun, Deno, or node:http with
 * a small adapter (see the README).
 *
 * @example
 * const handler = createJobStatusHandler({
 *   sources: { runflow: { batch: runflowBatch(createRunflowClient({ apiKey: process.env.RUNFLOW_API_TOKEN! })) } },
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
  const report = (error: unknown, ref: JobRef | undefined) => {
    try {
      onError?.(error, ref);
    } catch {
      // A failing logger must not turn into a failing response.
    }
  };
  const served: Served = {
    sources,
    base,
    authorize,
    includeRaw,
    cache: createReadCache(clock, requestTimeoutMs, cacheMs),
    clock,
    requestTimeoutMs,
    report,
    gate: options.perCaller === undefined ? undefined : createCallerGate(options.perCaller, clock, report),
  };
  return async (request: Request) => {
    try {
      return await serve(request, served);
    } catch (error) {
      report(error, undefined);
      return fail(500, 'internal_error', 'the job status could not be read');
    }
  };
}
