// A mock provider of your own, made from its job-kind descriptions (`JobKind` from
// `@batchwatch/core/client-kit`, as `batchwatch generate` writes them): the description says where the
// status, the counts, the timestamps and the result items are, and its status table says which raw
// status the mock shows in each state. The engine plays the same scripts and faults as for our providers.
import type { ItemStatus, JobStatus } from '@batchwatch/core';
import { type JobKind, paramValidator, statusFromKind } from '@batchwatch/core/client-kit';
import {
  type EngineApi,
  type ErrorDetail,
  type ItemState,
  type ItemVocabulary,
  intParam,
  iso,
  isRecord,
  type JobState,
  type JobView,
  type MockJob,
  type ProviderAdapter,
  type Reply,
  type Route,
  type RouteRequest,
  rateLimitHeaders,
  readJson,
  statusIn,
  type Vocabulary,
} from './providers/shared.js';
import { alnum, seededRandom } from './random.js';
import type { JobEnd } from './script.js';

// biome-ignore lint/suspicious/noExplicitAny: any client, raw body, item and options: the mock reads the description's data only
type AnyKind = JobKind<any, any, any, any> | JobKind<any, any, never, any>;

/**
 * The spec operations of a job kind besides its status read, as `"<METHOD> <path>"`: what
 * `batchwatch generate` writes as `<provider><Kind>Operations`.
 */
export interface MockKindOperations {
  /** Creates a job from the request's JSON body (kept as the job's `request`), answered like a status read. */
  readonly create?: string;
  /** Ends the job `cancelled`, answered like a status read; a job that already ended gets a 409. */
  readonly cancel?: string;
}

/** The job as a body template sees it. */
export interface MockBodyContext {
  /** The job id. */
  readonly id: string;
  /** The kind name. */
  readonly kind: string;
  /** The state the body shows. */
  readonly state: JobView['state'];
  /** The raw status the body shows. */
  readonly rawStatus: string;
  /** Items in the job now. */
  readonly total: number;
  /** Items that ended. */
  readonly done: number;
  /** Of those, the failed ones. */
  readonly failed: number;
  /** When it was created, in clock milliseconds. */
  readonly createdAt: number;
  /** When a read first saw it started, in clock milliseconds. */
  readonly startedAt: number | undefined;
  /** When it ended, in clock milliseconds. */
  readonly finishedAt: number | undefined;
  /** The JSON body it was created with through `operations.create` (`{}` for a job added with `addJob`). */
  readonly request: Readonly<Record<string, unknown>>;
}

/** One job kind of a mock provider. */
export interface MockKindOptions {
  /** The job kind's description: its operation, status field and table, counts, timestamps and results. */
  readonly kind: AnyKind;
  /** Its create and cancel operations (the generated `<provider><Kind>Operations`). Defaults to none. */
  readonly operations?: MockKindOperations;
  /**
   * The fields of a body besides those the description reads (which the mock sets itself: the id,
   * the status, the counts, the timestamps): the provider's other required fields, or a failure
   * message for a failed job. Called for every body. Defaults to the create request's JSON body.
   */
  body?(job: MockBodyContext): Record<string, unknown>;
  /** The body field holding the job's id, or `null` for none. Defaults to `'id'`. */
  readonly idField?: string | null;
  /** A new job id. Defaults to `<kind>_` and 24 lower-case letters and digits. */
  newId?(random: () => number): string;
  /** Items of a job whose script gives no total. Defaults to `10`. */
  readonly defaultTotal?: number;
  /** The HTTP status of a create. Defaults to `200`. */
  readonly createStatus?: number;
  /**
   * Query parameter names of a results page, when they are not the usual ones (`offset`, `limit`,
   * `page`, `cursor`/`after`/`page_token`...), and whether page numbers start at 1. Defaults to the usual.
   */
  readonly resultsQuery?: {
    readonly offset?: string;
    readonly limit?: string;
    readonly page?: string;
    readonly cursor?: string;
    readonly firstPage?: 0 | 1;
  };
}

/** Options for {@link defineMockProvider}. */
export interface MockProviderOptions<P extends string> {
  /** The provider name: the `provider` of every kind, the path prefix on the mock server (`/<name>`). */
  readonly name: P;
  /** Its production base URL (the generated `<PROVIDER>_BASE_URL`): where msw handlers answer by default. */
  readonly baseUrl: string;
  /** Its job kinds: descriptions, or descriptions with operations and a body template. */
  readonly kinds: readonly (AnyKind | MockKindOptions)[];
  /** The body of an error reply. Defaults to `{ error: { code, message } }`. */
  errorBody?(status: number, error: { code: string; message: string }): unknown;
}

/** A provider the mock serves from job-kind descriptions; give it to `createMockProviders({ providers })`. */
export interface MockProvider<P extends string = string> {
  /** The provider name. */
  readonly name: P;
  /** Its production base URL. */
  readonly baseUrl: string;
  /** Its kind names. */
  readonly kinds: readonly string[];
}

const ADAPTERS = new WeakMap<MockProvider, ProviderAdapter>();

/** @internal The engine's view of a provider defined with {@link defineMockProvider}. */
export function adapterOf(provider: MockProvider): ProviderAdapter {
  const adapter = ADAPTERS.get(provider);
  if (!adapter) throw new TypeError('providers: expected providers made by defineMockProvider()');
  return adapter;
}

const ERRORS: Record<number, [code: string, message: string]> = {
  400: ['bad_request', 'The request is malformed.'],
  401: ['unauthorized', 'Invalid API key.'],
  404: ['not_found', 'Not found.'],
  409: ['conflict', 'The request conflicts with the current state.'],
  429: ['rate_limited', 'Rate limit exceeded.'],
  500: ['server_error', 'An internal error occurred.'],
  502: ['bad_gateway', 'Upstream service error.'],
  503: ['service_unavailable', 'The service is temporarily unavailable.'],
};

const ENDS: readonly JobEnd[] = ['succeeded', 'partially_succeeded', 'failed', 'cancelled'];
const OFFSET = ['offset', 'skip', 'start'];
const LIMIT = ['limit', 'page_size', 'pageSize', 'per_page', 'size'];
const PAGE = ['page', 'page_number', 'pageNumber'];
const CURSOR = ['cursor', 'after', 'page_token', 'pageToken', 'starting_after', 'next', 'continuation_token'];

/** Sets dotted `path` of `target` to `value`, making the objects on the way. */
function setAt(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let at = target;
  keys.slice(0, -1).forEach((key) => {
    if (!isRecord(at[key])) at[key] = {};
    at = at[key] as Record<string, unknown>;
  });
  at[keys.at(-1) as string] = value;
}

const list = (fields: string | readonly string[] | undefined): readonly string[] =>
  fields === undefined ? [] : typeof fields === 'string' ? [fields] : fields;

/** `"GET /a/{id}/b"` as a route: method, `:id` path, and its path parameters. */
function routeOf(operation: string, what: string): { method: Route['method']; path: string; params: string[] } {
  const m = /^(GET|POST|PUT|PATCH|DELETE) (\/\S*)$/.exec(operation);
  if (!m)
    throw new TypeError(
      `${what}: expected "<METHOD> <path>", e.g. "GET /v1/batches/{id}", got ${JSON.stringify(operation)}`,
    );
  const params: string[] = [];
  const path = (m[2] ?? '')
    .split('/')
    .map((segment) => {
      if (!segment.includes('{')) return segment;
      const p = /^\{([^{}]+)\}$/.exec(segment)?.[1];
      if (!p) throw new TypeError(`${what} ${operation}: the mock serves path parameters that fill a whole segment`);
      params.push(p);
      return `:${p}`;
    })
    .join('/');
  return { method: m[1] as Route['method'], path, params };
}

/** One kind, ready to serve: its vocabulary and how its bodies are rendered. */
class DescribedKind {
  readonly name: string;
  readonly kind: AnyKind;
  readonly options: MockKindOptions;
  readonly statuses: Vocabulary<string>;
  readonly ends: JobEnd[];
  readonly items: ItemVocabulary<string> | undefined;
  readonly error: ProviderAdapter['error'];

  constructor(options: MockKindOptions, unknownStatus: string, error: ProviderAdapter['error']) {
    this.options = options;
    this.error = error;
    this.kind = options.kind;
    this.name = options.kind.kind;
    const by = new Map<JobStatus, string[]>();
    for (const [raw, status] of Object.entries(this.kind.status.table))
      by.set(status, [...(by.get(status) ?? []), raw]);
    const queued = by.get('queued') ?? by.get('running');
    const running = by.get('running') ?? by.get('queued');
    if (!queued || !running) {
      throw new TypeError(
        `${this.kind.provider} ${this.name}: no documented status reads as queued or running, so the mock cannot show a job before its end`,
      );
    }
    const states: Partial<Record<JobState, string[]>> = { queued, running };
    this.ends = [];
    for (const end of ENDS) {
      const candidates = [
        ...(by.get(end) ?? []),
        ...(end === 'partially_succeeded' ? (by.get('succeeded') ?? []) : []),
      ];
      // Only statuses whose body reads back as the end (after `refine`) are shown for it.
      const shown = candidates.filter((raw) => this.#readsAs(end, raw));
      if (shown.length > 0) {
        states[end] = shown;
        this.ends.push(end);
      }
    }
    const fill = (state: JobState) => (states[state] ?? [unknownStatus]) as [string, ...string[]];
    this.statuses = {
      queued: fill('queued'),
      running: fill('running'),
      succeeded: fill('succeeded'),
      partially_succeeded: fill('partially_succeeded'),
      failed: fill('failed'),
      cancelled: fill('cancelled'),
    };
    if (options.operations?.cancel !== undefined && !this.ends.includes('cancelled')) {
      throw new TypeError(
        `${this.kind.provider} ${this.name}: operations.cancel is set but no documented status reads as cancelled`,
      );
    }
    this.items = this.#itemVocabulary();
  }

  /** Whether a body showing `raw` at the end `end` reads as `end` (the description's table and refine). */
  #readsAs(end: JobEnd, raw: string): boolean {
    const failed = end === 'failed' ? 10 : end === 'partially_succeeded' ? 2 : 0;
    const view: JobView = {
      state: end,
      raw,
      total: 10,
      done: end === 'cancelled' ? 5 : 10,
      failed,
      running: 0,
      createdAt: 0,
      startedAt: 0,
      finishedAt: 0,
      cancelledAt: end === 'cancelled' ? 0 : undefined,
    };
    try {
      return (
        statusFromKind(this.kind as JobKind<unknown, unknown>, this.body({ id: 'probe', meta: {} }, view, raw)) === end
      );
    } catch {
      return false;
    }
  }

  #itemVocabulary(): ItemVocabulary<string> | undefined {
    const table = this.kind.results?.item?.status.table;
    if (!table) return undefined;
    const by = new Map<ItemStatus, string[]>();
    for (const [raw, status] of Object.entries<ItemStatus>(table)) by.set(status, [...(by.get(status) ?? []), raw]);
    const first = (...statuses: ItemStatus[]) => statuses.map((s) => by.get(s)).find((l) => l !== undefined);
    const pending = first('pending', 'unknown') ?? ['pending'];
    return {
      queued: pending as [string, ...string[]],
      running: pending as [string, ...string[]],
      succeeded: (first('succeeded') ?? ['succeeded']) as [string, ...string[]],
      failed: (first('failed') ?? ['failed']) as [string, ...string[]],
      cancelled: (first('cancelled', 'skipped', 'failed') ?? ['cancelled']) as [string, ...string[]],
    };
  }

  /** The job's body in `view`: the template, then the id, status, counts and timestamps the description reads. */
  body(
    job: Pick<MockJob, 'id' | 'meta'>,
    view: JobView,
    rawStatus = statusIn(this.statuses, view),
  ): Record<string, unknown> {
    const request = isRecord(job.meta.request) ? job.meta.request : {};
    const context: MockBodyContext = {
      id: job.id,
      kind: this.name,
      state: view.state,
      rawStatus,
      total: view.total,
      done: view.done,
      failed: view.failed,
      createdAt: view.createdAt,
      startedAt: view.startedAt,
      finishedAt: view.finishedAt,
      request,
    };
    const body = structuredClone(this.options.body ? this.options.body(context) : request) as Record<string, unknown>;
    const idField = this.options.idField === undefined ? 'id' : this.options.idField;
    if (idField !== null) setAt(body, idField, job.id);
    setAt(body, this.kind.status.field, rawStatus);
    const { progress, timestamps } = this.kind;
    if (typeof progress !== 'function') {
      const completed = list(progress.completed);
      const failed = list(progress.failed);
      for (const f of [...completed, ...failed]) setAt(body, f, 0);
      if (failed[0] !== undefined) setAt(body, failed[0], view.failed);
      const succeeded = completed.find((f) => !failed.includes(f));
      const counted = failed[0] !== undefined && completed.includes(failed[0]) ? view.failed : 0;
      if (succeeded !== undefined) setAt(body, succeeded, view.done - counted);
      if (progress.total !== undefined) setAt(body, progress.total, view.total);
    }
    const times = { createdAt: view.createdAt, startedAt: view.startedAt, finishedAt: view.finishedAt };
    for (const [role, fields] of Object.entries(timestamps ?? {})) {
      const at = times[role as keyof typeof times];
      const field = list(fields as string | readonly string[])[0];
      if (field !== undefined && at !== undefined) setAt(body, field, iso(at));
    }
    return body;
  }

  /** A page of results: the items the description reads at `results.items`, and `results.next` for cursors. */
  page(job: MockJob, view: JobView, engine: EngineApi, req: RouteRequest): Reply | undefined {
    const results = this.kind.results;
    if (!results || typeof results.items !== 'string') return undefined;
    const names = this.options.resultsQuery ?? {};
    const param = (given: string | undefined, usual: readonly string[]) =>
      [given, ...usual].find((n) => n !== undefined && req.query.has(n));
    const limitName = param(names.limit, LIMIT);
    const limit = limitName === undefined ? results.defaultPageSize : intParam(req.query, limitName);
    let start = 0;
    if (results.paging === 'offset') {
      const name = param(names.offset, OFFSET);
      start = name === undefined ? 0 : (intParam(req.query, name) ?? 0);
    } else if (results.paging === 'page') {
      const name = param(names.page, PAGE);
      const page = (name === undefined ? undefined : intParam(req.query, name)) ?? names.firstPage ?? 0;
      start = (page - (names.firstPage ?? 0)) * (limit ?? results.defaultPageSize);
    } else {
      const name = param(names.cursor, CURSOR);
      const cursor = name === undefined ? '' : (req.query.get(name) ?? '');
      start = cursor === '' ? 0 : /^c\d+$/.test(cursor) ? Number(cursor.slice(1)) : Number.NaN;
    }
    if (limit === undefined || !Number.isInteger(limit) || limit < 1 || limit > results.maxPageSize || !(start >= 0)) {
      return this.error(400, { req, message: 'The page parameters are out of range.' });
    }
    const items: Record<string, unknown>[] = [];
    const end = Math.min(view.total, start + limit);
    for (let i = start; i < end; i++) items.push(this.#item(job, view, engine, i));
    const page: Record<string, unknown> = {};
    setAt(page, results.items, items);
    if (results.paging === 'cursor' && typeof results.next === 'string')
      setAt(page, results.next, end < view.total ? `c${end}` : null);
    return { status: 200, body: page };
  }

  #item(job: MockJob, view: JobView, engine: EngineApi, index: number): Record<string, unknown> {
    const item = this.kind.results?.item;
    const state: ItemState = engine.item(job, view, index);
    const out: Record<string, unknown> = {};
    if (!item) {
      out.index = index;
      return out;
    }
    if (typeof item.id === 'string') setAt(out, item.id, `${job.id}-${index + 1}`);
    if (typeof item.index === 'string') setAt(out, item.index, index);
    setAt(out, item.status.field, this.items?.[state][0] ?? state);
    return out;
  }
}

/**
 * A provider of your own for the mock, from its job-kind descriptions (as `batchwatch generate`
 * writes them): the status read answers with a body whose status field shows the raw status the
 * description's table maps to the scripted state (the first one by default; the others through a
 * phase's `raw` or `endRaw`), whose count fields add up to the scripted progress and whose
 * timestamps follow the job; `operations.create` makes jobs, `operations.cancel` cancels them,
 * and a results operation pages the items at `results.items` (with `results.next` for cursors).
 * Scripts, faults (`Retry-After` included) and the request log work as for our providers.
 *
 * Ends a kind cannot show (no documented status reads as it) are refused by `addJob`; a body
 * template (`body`) adds the provider's other fields.
 *
 * @example
 * const openai = defineMockProvider({
 *   name: 'openai',
 *   baseUrl: OPENAI_BASE_URL,
 *   kinds: [{ kind: openaiBatchKind, operations: openaiBatchOperations }],
 * });
 * const mock = createMockProviders({ providers: [openai] });
 * const id = mock.addJob('openai', 'batch', script.lifecycle({ progress: [0.5, 1], end: 'succeeded' }));
 */
export function defineMockProvider<const P extends string>(options: MockProviderOptions<P>): MockProvider<P> {
  const { name, baseUrl } = options;
  if (typeof name !== 'string' || !/^[a-z][a-z0-9-]*$/.test(name)) {
    throw new TypeError(`name: expected a lower-case provider name such as openai, got ${JSON.stringify(name)}`);
  }
  if (typeof baseUrl !== 'string' || !/^https?:\/\/[^\s/]+/i.test(baseUrl)) {
    throw new TypeError(`baseUrl: expected the provider's absolute http(s) base URL, got ${JSON.stringify(baseUrl)}`);
  }
  const kindOptions = options.kinds.map(
    (k): MockKindOptions => (typeof k.kind === 'object' ? (k as MockKindOptions) : { kind: k as AnyKind }),
  );
  const tables = kindOptions.flatMap((k) => Object.keys(k.kind.status.table));
  const unknownStatus =
    ['paused', 'on_hold', 'mock_unknown_status'].find((s) => !tables.includes(s)) ?? 'mock_unknown_status';
  const errorBody = options.errorBody ?? ((_status: number, e: { code: string; message: string }) => ({ error: e }));
  const error = (status: number, detail: ErrorDetail): Reply => {
    const [code, message] = ERRORS[status] ?? ['server_error', 'An internal error occurred.'];
    const retry = detail.retryAfter === undefined ? '' : ` Retry after ${detail.retryAfter} seconds.`;
    return {
      status,
      body: errorBody(status, { code: detail.code ?? code, message: `${detail.message ?? message}${retry}` }),
    };
  };
  const kinds = new Map<string, DescribedKind>();
  const routes: Route[] = [];
  for (const k of kindOptions) {
    if (k.kind.provider !== name) {
      throw new TypeError(`kinds: the ${k.kind.kind} kind is of provider ${k.kind.provider}, not ${name}`);
    }
    if (kinds.has(k.kind.kind)) throw new TypeError(`kinds: two kinds are named ${k.kind.kind}`);
    const described = new DescribedKind(k, unknownStatus, error);
    kinds.set(described.name, described);
    routes.push(...routesOf(name, described, error));
  }
  const adapter: ProviderAdapter = {
    name,
    baseUrl: baseUrl.replace(/\/+$/, ''),
    kinds: Object.fromEntries(
      [...kinds].map(([kindName, d]) => [
        kindName,
        {
          ends: d.ends,
          defaultTotal: d.options.defaultTotal ?? 10,
          statuses: d.statuses,
          ...(d.items ? { items: d.items } : {}),
        },
      ]),
    ),
    unknownStatus,
    error,
    headers: (count, engine) => rateLimitHeaders(100, count, engine.now()),
    newId: (kindName, random) => {
      const d = kinds.get(kindName);
      return d?.options.newId ? d.options.newId(random) : `${kindName}_${alnum(random, 24)}`;
    },
    routes,
  };
  // An id the mock makes must pass the spec's rule for the id parameter, or clients refuse it.
  for (const [kindName, d] of kinds) {
    const sample = adapter.newId(kindName, seededRandom(1));
    try {
      paramValidator(d.kind.paramRules, d.kind.operation, d.kind.idParam)(sample);
    } catch (e) {
      throw new TypeError(
        `${name} ${kindName}: the mock's ids look like ${sample}, which ${d.kind.operation} refuses (${e instanceof Error ? e.message : String(e)}): pass newId`,
      );
    }
  }
  const provider: MockProvider<P> = Object.freeze({ name, baseUrl: adapter.baseUrl, kinds: [...kinds.keys()] });
  ADAPTERS.set(provider, adapter);
  return provider;
}

function routesOf(provider: string, d: DescribedKind, error: ProviderAdapter['error']): Route[] {
  const errors = [400, 401, 404, 409, 429, 500, 503];
  const routes: Route[] = [];
  const notFound = (req: RouteRequest) =>
    error(404, { req, message: `No ${d.name} found with id ${JSON.stringify(Object.values(req.params)[0] ?? '')}.` });
  const find = (req: RouteRequest, engine: EngineApi, param: string) => {
    const job = engine.find(provider, req.params[param] ?? '');
    return job?.kind === d.name ? job : undefined;
  };
  const read = routeOf(d.kind.operation, `${provider} ${d.name} operation`);
  const readParam = read.params[0] ?? d.kind.idParam;
  const answer = (job: MockJob) => (view: JobView) => ({ status: 200, body: d.body(job, view) });
  routes.push({
    method: read.method,
    path: read.path,
    operationId: d.kind.operation,
    errors,
    notFound,
    handle(req, engine) {
      const job = find(req, engine, readParam);
      return job ? engine.poll(req, job, 'status', answer(job)) : notFound(req);
    },
  });
  const results = d.kind.results;
  if (results && typeof results.items === 'string') {
    const page = routeOf(results.operation, `${provider} ${d.name} results.operation`);
    routes.push({
      method: page.method,
      path: page.path,
      operationId: results.operation,
      errors,
      notFound,
      handle(req, engine) {
        const job = find(req, engine, page.params[0] ?? readParam);
        if (!job) return notFound(req);
        return engine.results(req, job, (view) => d.page(job, view, engine, req) ?? { status: 500 });
      },
    });
  }
  const { create, cancel } = d.options.operations ?? {};
  if (create !== undefined) {
    const r = routeOf(create, `${provider} ${d.name} operations.create`);
    routes.push({
      method: r.method,
      path: r.path,
      operationId: create,
      errors,
      async handle(req, engine) {
        const body = await readJson(req.request);
        if (!isRecord(body)) return error(400, { req, message: 'The request body must be a JSON object.' });
        const job = engine.create(provider, d.name, { meta: { request: body } });
        return { status: d.options.createStatus ?? 200, body: d.body(job, engine.observe(job)) };
      },
    });
  }
  if (cancel !== undefined) {
    const r = routeOf(cancel, `${provider} ${d.name} operations.cancel`);
    routes.push({
      method: r.method,
      path: r.path,
      operationId: cancel,
      errors,
      notFound,
      handle(req, engine) {
        const job = find(req, engine, r.params[0] ?? readParam);
        if (!job) return notFound(req);
        if (engine.ended(job)) {
          return error(409, { req, message: `The ${d.name} ${job.id} has already ended and cannot be cancelled.` });
        }
        return { status: 200, body: d.body(job, engine.cancel(job)) };
      },
    });
  }
  return routes;
}
