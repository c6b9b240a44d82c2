import { check } from './providers/check.js';
import { runflow } from './providers/runflow.js';
import {
  type EngineApi,
  type ItemState,
  type JobView,
  type MockJob,
  type MockJobKind,
  type MockProviderName,
  type ProviderAdapter,
  type ProviderOptions,
  REASONS,
  type Reply,
  type Route,
  type RouteRequest,
} from './providers/shared.js';
import { supermetrics } from './providers/supermetrics.js';
import { hash, type Random, seededRandom, token } from './random.js';
import {
  advance,
  type Fault,
  faultAt,
  type JobEnd,
  type JobScript,
  phaseProgress,
  type ScriptCursor,
  script,
} from './script.js';

export type { JobView, MockJobKind, MockProviderName } from './providers/shared.js';

const ADAPTERS: Record<MockProviderName, ProviderAdapter> = { supermetrics, runflow, check };

/** The providers' production base URLs: what the real clients call by default. */
export const PRODUCTION_BASES: Readonly<Record<MockProviderName, string>> = {
  supermetrics: supermetrics.baseUrl,
  runflow: runflow.baseUrl,
  check: check.baseUrl,
};

/** Where each provider's routes start: an absolute base URL, or a path prefix such as `/runflow` (any origin). */
export type MockBases = Partial<Record<MockProviderName, string>>;

/** Bearer keys the mock requires; a provider without one accepts any (or no) key. */
export interface MockApiKeys {
  /** Expected `Authorization: Bearer` (or `api_key` in `json=`) for Supermetrics. Defaults to none. */
  supermetrics?: string;
  /** Expected bearer token for Runflow. Defaults to none. */
  runflow?: string;
  /** Expected bearer key (`vfy_...`) for Check. Defaults to none. */
  check?: string;
}

/** Options for {@link createMockProviders}. */
export interface MockProvidersOptions {
  /** Seeds every id and generated value: the same seed gives the same ids in the same order. Defaults to `1`. */
  seed?: number;
  /** The clock scripted time is measured on. Defaults to `Date.now()` looked up at each call, so fake timers apply. */
  clock?: {
    /** The current time in milliseconds. */
    now(): number;
  };
  /** Scripted time runs this many times faster than the clock. Defaults to `1`. */
  speed?: number;
  /** When set for a provider, a missing or wrong bearer gets that provider's real 401. Defaults to none. */
  apiKeys?: MockApiKeys;
  /** Supermetrics quirks. */
  supermetrics?: Pick<ProviderOptions, 'asyncStatus'>;
  /** Runflow quirks. */
  runflow?: Pick<ProviderOptions, 'cancelSpelling'>;
  /** The script of jobs created through the API (when no `nextScript` is queued). Defaults to `script.lifecycle()`. */
  defaultScript?: JobScript;
  /** How many entries `requests` keeps (oldest dropped first). Defaults to `1000`. */
  maxRequests?: number;
  /** Called (from a microtask) with the id of every job added or created through the API. Defaults to none. */
  onJobCreated?: (id: string) => void;
  /**
   * Called (from a microtask) once per job, with its id, when it ends: a read (or `job(id)`) first
   * sees its scripted end, or it is cancelled. Defaults to none.
   */
  onJobEnded?: (id: string) => void;
}

/** One request the mock answered. */
export interface MockRequestRecord {
  /** When it was answered, in clock milliseconds. */
  at: number;
  /** The HTTP method, upper case. */
  method: string;
  /** The URL path as received, including any prefix. */
  path: string;
  /** The provider whose route answered. */
  provider: MockProviderName;
  /** The spec's operationId of the route. */
  operationId: string;
  /** The HTTP status answered. */
  status: number;
}

/** A job's state as {@link MockProviders.job} reports it. */
export interface MockJobInfo {
  /** The job id. */
  id: string;
  /** The provider it belongs to. */
  provider: MockProviderName;
  /** Its kind at the provider. */
  kind: MockJobKind;
  /** The normalized state now. */
  state: JobView['state'];
  /** Items (sub-queries, nodes) now. */
  total: number;
  /** Items that reached an end. */
  done: number;
  /** Of `done`, how many failed. */
  failed: number;
  /** Status reads so far (faulted ones included). */
  reads: number;
  /** Whether the job was cancelled through the API. */
  cancelled: boolean;
  /** The script it plays. */
  script: JobScript;
  /** When it was created, in clock milliseconds. */
  createdAt: number;
  /** When it ended (first seen ended, or cancelled), in clock milliseconds; `undefined` before. */
  finishedAt: number | undefined;
  /**
   * When it ends, in clock milliseconds: `finishedAt` once ended, else the scripted end when only
   * the clock drives the script (every phase has `ms`, none `polls`), else `undefined`.
   */
  endsAt: number | undefined;
  /** Runflow batches: the `callback_url` it was created (or added) with. */
  callbackUrl: string | undefined;
}

/** What {@link MockProviders.addJob} can set besides the script. */
export interface MockJobInit {
  /** Runflow batches: the `callback_url`, as if the batch was created with one. Defaults to none. */
  callbackUrl?: string;
}

/** The scripted providers. Create one per test (or `reset()` it between tests). */
export interface MockProviders {
  /** The seed in use. */
  readonly seed: number;
  /**
   * Adds a job and returns its id: Supermetrics query schedule id (40 hex) or batch `qrb_<12 hex>`,
   * Runflow UUID, Check `batch_<12 alnum>`. Throws for a kind or end the provider does not have.
   * The script defaults to the mock's `defaultScript`.
   */
  addJob(provider: MockProviderName, kind: MockJobKind, script?: JobScript, init?: MockJobInit): string;
  /** Queues `script` for the next job created through `provider`'s API (one-shot, first in first out). */
  nextScript(provider: MockProviderName, script: JobScript): void;
  /** A job's current state, without moving it; `undefined` for an unknown id. */
  job(id: string): MockJobInfo | undefined;
  /**
   * The event the provider pushes once the job ended: Runflow's `BatchCallbackEvent` (for a batch),
   * Check's `WebhookEvent` (`batch.completed` / `batch.failed`). `undefined` before the end, for an
   * unknown id, and when the provider pushes nothing (runs, Supermetrics, a cancelled Check batch).
   */
  pushEvent(id: string): unknown;
  /** The most recent requests (up to `maxRequests`), oldest first. */
  readonly requests: readonly MockRequestRecord[];
  /** Forgets every job, queued script, idempotency key and logged request; ids start over from the seed. */
  reset(): void;
  /**
   * Answers a Fetch API request the way the provider would, or `undefined` when it is not a mock
   * route. `bases` says where each provider's routes start. Defaults to {@link PRODUCTION_BASES}.
   */
  handle(request: Request, bases?: MockBases): Promise<Response | undefined>;
}

interface JobRecord extends MockJob {
  script: JobScript;
  cursor: ScriptCursor;
  reads: Map<string, number>;
  /** Read indexes answered with a fault: they do not move the lifecycle. */
  faulted: Set<number>;
  /** Results reads so far (pages of items, rows or queries); they never move the lifecycle. */
  resultReads: number;
  lastDone: number;
  startedAt: number | undefined;
  /** Set once the job ended; it never changes after. */
  final: JobView | undefined;
  cancelledByApi: boolean;
}

// Items in flight at once while running (Supermetrics' default query_concurrency).
const CONCURRENCY = 5;
const HTML_502 =
  '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n';

function compile(path: string): (rest: string) => Record<string, string> | undefined {
  const parts = path.split('/');
  return (rest) => {
    const got = rest.split('/');
    if (got.length !== parts.length) return undefined;
    const params: Record<string, string> = {};
    for (let i = 0; i < parts.length; i++) {
      const want = parts[i] ?? '';
      const seg = got[i] ?? '';
      if (want.startsWith(':')) {
        if (seg === '') return undefined;
        try {
          params[want.slice(1)] = decodeURIComponent(seg);
        } catch {
          return undefined;
        }
      } else if (want !== seg) return undefined;
    }
    return params;
  };
}

const matchers = new Map<Route, ReturnType<typeof compile>>();
const matcher = (route: Route) => {
  const known = matchers.get(route);
  if (known) return known;
  const m = compile(route.path);
  matchers.set(route, m);
  return m;
};

/** The part of `url`'s path after `base`, and the public base; `undefined` when the URL is not under it. */
function underBase(url: URL, base: string): { rest: string; publicBase: string } | undefined {
  const absolute = /^https?:\/\//i.test(base);
  const b = absolute ? new URL(base) : undefined;
  if (b && b.origin !== url.origin) return undefined;
  const prefix = (b ? b.pathname : base).replace(/\/+$/, '');
  const path = url.pathname;
  if (prefix !== '' && path !== prefix && !path.startsWith(`${prefix}/`)) return undefined;
  return { rest: path.slice(prefix.length) || '/', publicBase: `${url.origin}${prefix}` };
}

function toResponse(reply: Reply, headers: Record<string, string>): Response {
  const text = typeof reply.body === 'string';
  const contentType = reply.contentType ?? (text ? 'text/plain; charset=utf-8' : 'application/json');
  const payload = reply.body === undefined ? null : text ? (reply.body as string) : JSON.stringify(reply.body);
  return new Response(payload, { status: reply.status, headers: { 'Content-Type': contentType, ...headers } });
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, ms));
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Items failing once the job ends: spread evenly, so item `i` fails iff the count steps up at `i`. */
function failuresFor(end: JobEnd, total: number, rate = 0.2): number {
  if (end === 'failed') return total;
  if (end !== 'partially_succeeded') return 0;
  return Math.min(total - 1, Math.max(1, Math.round(total * rate)));
}

const failedAmong = (job: MockJob, done: number) =>
  job.finalTotal === 0 ? 0 : Math.floor((Math.min(done, job.finalTotal) * job.failures) / job.finalTotal);

/** `v` with `total` items: a finished job stays finished, a running one keeps what it had done. */
function resized(job: MockJob, v: JobView, total: number): JobView {
  const done = v.done >= v.total ? total : Math.min(v.done, total);
  return { ...v, total, done, failed: failedAmong(job, done), running: Math.min(v.running, total - done) };
}

/**
 * Creates the scripted providers: a pure Fetch API engine (no msw, no node:http) that msw handlers
 * and the local server share.
 *
 * @example
 * const mock = createMockProviders({ seed: 7 });
 * const id = mock.addJob('runflow', 'batch', script.lifecycle({ queuedPolls: 2, progress: [0.5, 1] }));
 */
export function createMockProviders(options: MockProvidersOptions = {}): MockProviders {
  const seed = options.seed ?? 1;
  const speed = options.speed ?? 1;
  if (!(speed > 0) || !Number.isFinite(speed)) throw new RangeError('speed must be a positive number');
  const clock = options.clock ?? { now: () => Date.now() };
  const maxRequests = options.maxRequests ?? 1000;
  const defaultScript = options.defaultScript ?? script.lifecycle();
  const providerOptions: ProviderOptions = { ...options.supermetrics, ...options.runflow };

  let ids: Random;
  let requestIds: Random;
  const jobs = new Map<string, JobRecord>();
  const queued = new Map<MockProviderName, JobScript[]>();
  const requests: MockRequestRecord[] = [];
  const counts: Record<MockProviderName, number> = { supermetrics: 0, runflow: 0, check: 0 };
  const memo = new Map<string, unknown>();

  const key = (provider: MockProviderName, id: string) => `${provider}:${id}`;
  const elapsed = (job: JobRecord) => (clock.now() - job.createdAt) * speed;
  const later = (hook: ((id: string) => void) | undefined, id: string) => {
    if (hook) queueMicrotask(() => hook(id));
  };

  function view(job: JobRecord, step: number): JobView {
    if (job.final) return job.final;
    const now = clock.now();
    const growth = job.script.totalGrowth;
    const total = growth?.length ? (growth[Math.min(step, growth.length - 1)] ?? job.finalTotal) : job.finalTotal;
    const base = { createdAt: job.createdAt, cancelledAt: undefined };
    const { phase, fraction } = advance(job.script.phases, job.cursor, step, elapsed(job));
    if (!phase) {
      const end = job.script.end ?? 'succeeded';
      const done = end === 'cancelled' ? Math.min(job.lastDone, job.finalTotal) : job.finalTotal;
      job.startedAt ??= now;
      job.final = {
        ...base,
        state: end,
        raw: undefined,
        total: job.finalTotal,
        done,
        failed: failedAmong(job, done),
        running: 0,
        startedAt: job.startedAt,
        finishedAt: now,
        cancelledAt: end === 'cancelled' ? now : undefined,
      };
      later(options.onJobEnded, job.id);
      return job.final;
    }
    const done = Math.min(total, Math.floor(phaseProgress(phase, fraction) * total));
    if (phase.state !== 'queued') job.startedAt ??= now;
    job.lastDone = done;
    const unknown =
      phase.state === 'unknown' ? (job.script.unknownStatus ?? ADAPTERS[job.provider].unknownStatus) : undefined;
    return {
      ...base,
      state: phase.state,
      raw: phase.raw ?? unknown,
      total,
      done,
      failed: failedAmong(job, done),
      running: phase.state === 'running' ? Math.min(CONCURRENCY, total - done) : 0,
      startedAt: job.startedAt,
      finishedAt: undefined,
    };
  }

  const faultedBefore = (job: JobRecord, read: number) => {
    let n = 0;
    for (const r of job.faulted) if (r < read) n++;
    return n;
  };
  const currentStep = (job: JobRecord) => {
    const read = Math.max(0, ...job.reads.values());
    return Math.max(0, read - 1 - faultedBefore(job, read));
  };

  // When a script driven by the clock alone ends; `undefined` when status reads drive any phase.
  function scriptedEnd(job: JobRecord): number | undefined {
    let ms = 0;
    for (const phase of job.script.phases) {
      if (phase.ms === undefined || phase.polls !== undefined) return undefined;
      ms += phase.ms;
    }
    return job.createdAt + ms / speed;
  }

  function faultReply(
    fault: Fault,
    job: JobRecord,
    req: RouteRequest,
    step: number,
    render: (v: JobView) => Reply,
  ): Reply {
    const adapter = ADAPTERS[job.provider];
    switch (fault.kind) {
      case 'rate-limit': {
        const given = fault.retryAfter ?? 1;
        const seconds = given === 'date' ? 2 : Math.max(0, given);
        // An HTTP date has whole seconds: round up so at least `seconds` remain.
        const retryAfter =
          given === 'date' ? new Date(Math.ceil((clock.now() + 2000) / 1000) * 1000).toUTCString() : String(seconds);
        const reply = adapter.error(429, engine, { retryAfter: seconds });
        return { ...reply, headers: { ...reply.headers, 'Retry-After': retryAfter, 'X-RateLimit-Remaining': '0' } };
      }
      case 'server-error': {
        const status = fault.status ?? req.route.errors.find((s) => s >= 500) ?? 500;
        if (req.route.errors.includes(status)) return adapter.error(status, engine);
        return { status, body: `${status} ${REASONS[status] ?? 'Server Error'}` };
      }
      case 'html':
        return { status: 502, body: HTML_502, contentType: 'text/html; charset=utf-8' };
      case 'malformed': {
        const good = render(view(job, step));
        const text = JSON.stringify(good.body);
        return {
          ...good,
          body: text.slice(0, Math.max(1, Math.floor(text.length / 2))),
          contentType: 'application/json',
        };
      }
      case 'unknown-status':
        return render({ ...view(job, step), raw: fault.raw ?? job.script.unknownStatus ?? adapter.unknownStatus });
      case 'unauthorized':
        return adapter.error(401, engine);
      case 'not-found':
        return req.route.notFound?.(req, engine) ?? adapter.error(404, engine);
      default:
        return render(view(job, step));
    }
  }

  function createJob(
    provider: MockProviderName,
    kind: MockJobKind,
    s: JobScript,
    init: { id?: string; total?: number; meta?: Record<string, unknown> },
  ): JobRecord {
    const adapter = ADAPTERS[provider];
    const ends = adapter.kinds[kind];
    const end = s.end ?? 'succeeded';
    if (!ends)
      throw new TypeError(`${provider} has no ${kind} jobs (it has: ${Object.keys(adapter.kinds).join(', ')})`);
    if (!ends.includes(end))
      throw new TypeError(`a ${provider} ${kind} cannot end ${end} (it can: ${ends.join(', ')})`);
    let id = init.id ?? adapter.newId(kind, ids);
    while (init.id === undefined && jobs.has(key(provider, id))) id = adapter.newId(kind, ids);
    const finalTotal = Math.max(
      0,
      Math.floor(s.totalGrowth?.at(-1) ?? s.total ?? init.total ?? adapter.defaultTotal(kind)),
    );
    if (end === 'partially_succeeded' && finalTotal < 2) {
      throw new RangeError('a partially_succeeded job needs a total of at least 2');
    }
    const job: JobRecord = {
      id,
      provider,
      kind,
      script: s,
      createdAt: clock.now(),
      finalTotal,
      failures: failuresFor(end, finalTotal, s.failureRate),
      seed: hash(seed, provider, id),
      meta: init.meta ?? {},
      cursor: { index: 0, startStep: 0, startMs: 0 },
      reads: new Map(),
      faulted: new Set(),
      resultReads: 0,
      lastDone: 0,
      startedAt: undefined,
      final: undefined,
      cancelledByApi: false,
    };
    jobs.set(key(provider, id), job);
    adapter.onCreate?.(job, engine);
    later(options.onJobCreated, id);
    return job;
  }

  const engine: EngineApi = {
    now: () => clock.now(),
    requestId: (length = 32) => token(requestIds, length),
    memo,
    options: providerOptions,
    find: (provider, id) => jobs.get(key(provider, id)),
    *jobs(provider) {
      for (const job of jobs.values()) if (job.provider === provider) yield job;
    },
    create(provider, kind, init = {}) {
      return createJob(provider, kind, queued.get(provider)?.shift() ?? defaultScript, init);
    },
    async poll(req, job, endpoint, render) {
      const record = job as JobRecord;
      const read = record.reads.get(endpoint) ?? 0;
      record.reads.set(endpoint, read + 1);
      const fault = faultAt(record.script.faults, read, elapsed(record));
      const step = read - faultedBefore(record, read);
      if (fault && fault.kind !== 'slow') {
        record.faulted.add(read);
        return faultReply(fault, record, req, step, render);
      }
      if (fault?.kind === 'slow') await sleep(fault.delayMs, req.request.signal);
      return render(view(record, step));
    },
    async results(req, job, render) {
      const record = job as JobRecord;
      const read = record.resultReads++;
      const totals = record.script.resultTotals;
      const wanted = totals?.length ? totals[Math.min(read, totals.length - 1)] : undefined;
      const total = wanted === undefined ? undefined : Math.max(0, Math.floor(wanted));
      const step = currentStep(record);
      const answer = (v: JobView) =>
        total === undefined || record.kind === 'query'
          ? render(v, total)
          : render(resized(record, v, total), undefined);
      const fault = faultAt(record.script.resultFaults, read, elapsed(record));
      if (fault && fault.kind !== 'slow') return faultReply(fault, record, req, step, answer);
      if (fault?.kind === 'slow') await sleep(fault.delayMs, req.request.signal);
      return answer(view(record, step));
    },
    peek: (job) => view(job as JobRecord, currentStep(job as JobRecord)),
    cancel(job) {
      const record = job as JobRecord;
      const v = engine.peek(job);
      if (record.final) return record.final;
      const now = clock.now();
      record.cancelledByApi = true;
      record.final = { ...v, state: 'cancelled', raw: undefined, running: 0, finishedAt: now, cancelledAt: now };
      later(options.onJobEnded, record.id);
      return record.final;
    },
    ended(job) {
      engine.peek(job);
      return (job as JobRecord).final !== undefined;
    },
    item(job, v, index): ItemState {
      if (index < v.done) {
        return failedAmong(job, index + 1) > failedAmong(job, index) ? 'failed' : 'succeeded';
      }
      if (v.state === 'cancelled') return 'cancelled';
      return index < v.done + v.running ? 'running' : 'queued';
    },
  };

  function reset(): void {
    ids = seededRandom(seed);
    requestIds = seededRandom(hash(seed, 'requests'));
    jobs.clear();
    queued.clear();
    requests.length = 0;
    memo.clear();
    for (const p of Object.keys(counts) as MockProviderName[]) counts[p] = 0;
  }
  reset();

  function authorized(adapter: ProviderAdapter, request: Request, query: URLSearchParams): boolean {
    const expected = options.apiKeys?.[adapter.name];
    if (expected === undefined) return true;
    const auth = request.headers.get('authorization') ?? '';
    const bearer = /^Bearer\s+(.+)$/i.exec(auth)?.[1];
    return (bearer ?? adapter.credential?.(query)) === expected;
  }

  async function dispatch(adapter: ProviderAdapter, route: Route, req: RouteRequest): Promise<Reply> {
    if (!authorized(adapter, req.request, req.query)) return adapter.error(401, engine);
    return route.handle(req, engine);
  }

  return {
    seed,
    get requests() {
      return requests;
    },
    addJob(provider, kind, s, init = {}) {
      if (!ADAPTERS[provider]) throw new TypeError(`unknown provider ${String(provider)}`);
      const meta = init.callbackUrl === undefined ? {} : { callback_url: init.callbackUrl };
      return createJob(provider, kind, s ?? defaultScript, { meta }).id;
    },
    nextScript(provider, s) {
      const list = queued.get(provider) ?? [];
      list.push(s);
      queued.set(provider, list);
    },
    job(id) {
      for (const job of jobs.values()) {
        if (job.id !== id) continue;
        const v = engine.peek(job);
        return {
          id,
          provider: job.provider,
          kind: job.kind,
          state: v.state,
          total: v.total,
          done: v.done,
          failed: v.failed,
          reads: Math.max(0, ...job.reads.values()),
          cancelled: job.cancelledByApi,
          script: job.script,
          createdAt: job.createdAt,
          finishedAt: v.finishedAt,
          endsAt: v.finishedAt ?? scriptedEnd(job),
          callbackUrl: typeof job.meta.callback_url === 'string' ? job.meta.callback_url : undefined,
        };
      }
      return undefined;
    },
    pushEvent(id) {
      for (const job of jobs.values()) {
        if (job.id !== id) continue;
        engine.peek(job);
        return job.final ? ADAPTERS[job.provider].pushEvent?.(job, job.final, engine) : undefined;
      }
      return undefined;
    },
    reset,
    async handle(request, bases = PRODUCTION_BASES) {
      const url = new URL(request.url);
      for (const [name, base] of Object.entries(bases) as Array<[MockProviderName, string]>) {
        const adapter = ADAPTERS[name];
        const under = adapter && base !== undefined ? underBase(url, base) : undefined;
        if (!under) continue;
        for (const route of adapter.routes) {
          if (route.method !== request.method.toUpperCase()) continue;
          const params = matcher(route)(under.rest);
          if (!params) continue;
          const count = counts[name]++;
          const req: RouteRequest = { request, url, params, query: url.searchParams, base: under.publicBase, route };
          const reply = await dispatch(adapter, route, req);
          requests.push({
            at: clock.now(),
            method: route.method,
            path: url.pathname,
            provider: name,
            operationId: route.operationId,
            status: reply.status,
          });
          if (requests.length > maxRequests) requests.splice(0, requests.length - maxRequests);
          return toResponse(reply, { ...adapter.headers(count, engine), ...reply.headers });
        }
      }
      return undefined;
    },
  };
}
