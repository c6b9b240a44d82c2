import type { JobEnd, JobScript, PhaseState } from '../script.js';

/** The providers the mock simulates. */
export type MockProviderName = 'supermetrics' | 'runflow' | 'check';

/** The job kinds: Supermetrics `query` and `batch`, Runflow `batch` and `run`, Check `batch`. */
export type MockJobKind = 'query' | 'batch' | 'run';

/** What a job looks like at one moment, normalized; providers render it into their bodies. */
export interface JobView {
  /** The normalized state. */
  state: PhaseState | JobEnd;
  /** A literal provider status that replaces the default for `state`. */
  raw: string | undefined;
  /** Items (sub-queries, nodes) in the job now. */
  total: number;
  /** Items that reached an end, successful or not. */
  done: number;
  /** Of `done`, how many failed. */
  failed: number;
  /** Items in flight. */
  running: number;
  /** When the job was created, in clock milliseconds. */
  createdAt: number;
  /** When a read first saw it past `queued`. */
  startedAt: number | undefined;
  /** When a read first saw it ended. */
  finishedAt: number | undefined;
  /** When it was cancelled (by the API or a `cancelled` end). */
  cancelledAt: number | undefined;
}

/** An item's state, derived from the job view and its index. */
export type ItemState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

/** A job held by the engine. Items are never stored: they derive from (seed, id, index). */
export interface MockJob {
  readonly id: string;
  /** One of the three providers, or one defined with `defineMockProvider`. */
  readonly provider: string;
  /** Its kind at the provider. */
  readonly kind: string;
  readonly script: JobScript;
  /** Clock milliseconds. */
  readonly createdAt: number;
  /** The total the job ends with (the last of `totalGrowth`, else `total`). */
  readonly finalTotal: number;
  /** Items failed once the job ends (spread evenly over the items). */
  readonly failures: number;
  /** Seed for this job's generated values. */
  readonly seed: number;
  /** What the create request said (names, inputs up to 100, ...), for echoing back. */
  readonly meta: Record<string, unknown>;
}

/** A response before it becomes a `Response`: a JSON body (object) or text. */
export interface Reply {
  status: number;
  body?: unknown;
  /** Defaults to `application/json` for object bodies and `text/plain` for strings. */
  contentType?: string;
  headers?: Record<string, string>;
}

/** Parsed request, handed to route handlers. */
export interface RouteRequest {
  request: Request;
  /** This request's id (32 URL-safe characters), for bodies and errors that carry one. */
  requestId: string;
  url: URL;
  params: Record<string, string>;
  query: URLSearchParams;
  /** The public base the request came in on (origin + prefix), for links in bodies. */
  base: string;
  /** The matched route. */
  route: Route;
}

/** Every state a job shows before or at its end. */
export type JobState = 'queued' | 'running' | JobEnd;

/**
 * The raw statuses a provider shows in each state, the first one by default; the others are the
 * documented spellings a script can ask for (`raw` on a phase). Typed by the client's documented
 * statuses, and checked against the client's tables by the round-trip test.
 */
export type Vocabulary<TRaw extends string> = Readonly<Record<JobState, readonly [TRaw, ...TRaw[]]>>;

/** The raw item statuses a provider shows for each item state, the first one by default. */
export type ItemVocabulary<TRaw extends string> = Readonly<Record<ItemState, readonly [TRaw, ...TRaw[]]>>;

/** One job kind of a provider: its ends, its default size and its vocabulary. */
export interface MockKind {
  /** The ends a job of this kind can reach. */
  ends: readonly JobEnd[];
  /** Items (sub-queries, nodes) of a job added without a total. */
  defaultTotal: number;
  /** The status a job shows in each state. */
  statuses: Vocabulary<string>;
  /** The status an item of its results shows in each item state, for kinds with items. */
  items?: ItemVocabulary<string>;
}

/** The extra parts of a provider's error body, beside its status. */
export interface ErrorDetail {
  /** The request answered (its `requestId` goes into bodies that carry one). */
  req: RouteRequest;
  /** The provider's error code. Defaults to the provider's code for the status. */
  code?: string;
  /** The message. Defaults to the provider's message for the status. */
  message?: string;
  /** For a 429: the seconds the body says to wait (Check says it in the body too). */
  retryAfter?: number;
  /** Field errors, where the provider lists them (Runflow's `errors`, Check's `details`). */
  errors?: Array<Record<string, unknown>>;
}

/** What a route can ask of the engine. */
export interface EngineApi {
  now(): number;
  /** A fresh request id (32 URL-safe characters by default) from a stream separate from job ids. */
  requestId(length?: number): string;
  /** Per-mock scratch space for provider state (idempotency keys, id prefixes); cleared by `reset()`. */
  memo: Map<string, unknown>;
  find(provider: string, id: string): MockJob | undefined;
  jobs(provider: string): Iterable<MockJob>;
  create(
    provider: string,
    kind: string,
    init?: { id?: string; total?: number; meta?: Record<string, unknown> },
  ): MockJob;
  /** Reads the job's status endpoint `endpoint`: answers scripted faults or `render(view)`, moving the lifecycle. */
  poll(req: RouteRequest, job: MockJob, endpoint: string, render: (view: JobView) => Reply): Promise<Reply>;
  /**
   * Reads a page of the job's results: answers `resultFaults` or `render(view, rows)`, where `view`
   * has the `resultTotals` total (batches) and `rows` is the `resultTotals` row count (queries).
   * Never moves the lifecycle.
   */
  results(req: RouteRequest, job: MockJob, render: (view: JobView, rows: number | undefined) => Reply): Promise<Reply>;
  /**
   * The job as a read that does not move the lifecycle (an item, a list, a create answer) sees it
   * now: what the clock moved is kept, and a job found at its scripted end is finalized
   * (`onJobEnded` fires once).
   */
  observe(job: MockJob): JobView;
  /** Cancels the job now (no-op when it already ended); returns the view after. */
  cancel(job: MockJob): JobView;
  /** Whether the job reached an end (scripted or cancelled). */
  ended(job: MockJob): boolean;
  /** The state of item `index` of the job in `view`. */
  item(job: MockJob, view: JobView, index: number): ItemState;
  options: ProviderOptions;
}

/** One endpoint of a provider. */
export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path after the base with `:name` parameters, e.g. `/v1/batches/:id`. */
  path: string;
  /** The spec's operationId, recorded in the request log. */
  operationId: string;
  /** Error statuses the spec documents for this operation (5xx faults use JSON only for these). */
  errors: readonly number[];
  /** The 404 this endpoint answers for an unknown job (and for the `not-found` fault). */
  notFound?: (req: RouteRequest) => Reply;
  handle(req: RouteRequest, engine: EngineApi): Reply | Promise<Reply>;
}

/** Provider quirks that differ between accounts. */
export interface ProviderOptions {
  /**
   * Supermetrics: the HTTP status of an unfinished query's status (`GET /query/status`,
   * `GET /query/data`): `202` for teams with `getQueryTimeoutHttpAs202`. Defaults to `200`.
   */
  asyncStatus?: 200 | 202;
  /** Runflow: how a cancelled batch, run or item spells its status. Defaults to `'cancelled'`. */
  cancelSpelling?: 'canceled' | 'cancelled';
}

/** Everything the engine needs from a provider. */
export interface ProviderAdapter {
  name: string;
  /** The production base URL (the client's default). */
  baseUrl: string;
  /** Job kinds, their ends, sizes and vocabulary. */
  kinds: Partial<Record<string, MockKind>>;
  /** `PAUSED` in the provider's casing: a status no client knows. */
  unknownStatus: string;
  /** The provider's error body for `status` (with a default code and message for it). */
  error(status: number, detail: ErrorDetail): Reply;
  /** Headers every response carries (rate-limit counters, CORS). */
  headers(requestCount: number, engine: EngineApi): Record<string, string>;
  /** A new job id. */
  newId(kind: string, random: () => number): string;
  /** Called after a job is created (to index ids that derive from it). */
  onCreate?(job: MockJob, engine: EngineApi): void;
  /** An API key sent another way than `Authorization: Bearer` (Supermetrics' `api_key` in `json=`). */
  credential?(query: URLSearchParams): string | undefined;
  /**
   * The event the provider pushes when `job` ended (`view` is its final view): Runflow's batch
   * callback, Check's `batch.*` webhook; `undefined` when it pushes none (e.g. a cancelled Check batch).
   */
  pushEvent?(job: MockJob, view: JobView, engine: EngineApi): unknown;
  routes: readonly Route[];
}

/** The status `v` shows in `vocabulary`: the literal one a script set, else the state's default. */
export function statusIn(vocabulary: Vocabulary<string>, v: JobView): string {
  // An `unknown` view always carries its literal status.
  return v.raw ?? vocabulary[v.state as JobState][0];
}

/** Clock milliseconds as an ISO 8601 timestamp without milliseconds, like the providers send. */
export function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** `iso(ms)`, or `null` when `ms` is undefined. */
export function isoOrNull(ms: number | undefined): string | null {
  return ms === undefined ? null : iso(ms);
}

/** Reads a non-negative integer query parameter; `undefined` when absent, `NaN` when invalid. */
export function intParam(query: URLSearchParams, name: string): number | undefined {
  const v = query.get(name);
  if (v === null || v === '') return undefined;
  return /^\d+$/.test(v) ? Number(v) : Number.NaN;
}

/** Parses a JSON request body; `undefined` when it is empty or not JSON. */
export async function readJson(request: Request): Promise<unknown> {
  const text = await request.text();
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** A plain-object check. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** A decimal money string with four places, computed in integer ten-thousandths (never float money). */
export function money(units: number): string {
  const whole = Math.floor(units / 10000);
  return `${whole}.${String(units % 10000).padStart(4, '0')}`;
}

/**
 * `X-RateLimit-Limit` and `-Remaining` for the `count`-th request (0-based) of a window of `limit`,
 * plus `X-RateLimit-Reset` (Unix seconds of the next minute) when `now` is given.
 */
export function rateLimitHeaders(limit: number, count: number, now?: number): Record<string, string> {
  const headers: Record<string, string> = {
    'X-RateLimit-Limit': String(limit),
    'X-RateLimit-Remaining': String(limit - 1 - (count % limit)),
  };
  if (now !== undefined) headers['X-RateLimit-Reset'] = String(Math.ceil((now + 1) / 60_000) * 60);
  return headers;
}

/** HTTP reason phrases for the statuses the mock sends as text. */
export const REASONS: Record<number, string> = {
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};
