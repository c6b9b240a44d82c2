// The mock providers: a pure Fetch API engine (no msw, no node:http) that the msw handlers and the
// local server share. Its parts: the job lifecycle (lifecycle.ts), the scripted faults (faults.ts),
// the routing of a request to a provider's route (routing.ts) and the providers themselves (providers/).
import { adapterOf } from './described.js';
import { faultReply } from './faults.js';
import { JobRecord } from './lifecycle.js';
import { check } from './providers/check.js';
import { runflow } from './providers/runflow.js';
import type {
  EngineApi,
  ItemState,
  JobView,
  MockJob,
  MockProviderName,
  ProviderAdapter,
  ProviderOptions,
  Reply,
  RouteRequest,
} from './providers/shared.js';
import { supermetrics } from './providers/supermetrics.js';
import { hash, type Random, seededRandom, token } from './random.js';
import { authorized, findRoute, type MockBases, toResponse } from './routing.js';
import { faultAt, type JobScript, script } from './script.js';
import type { MockJobInfo, MockProviders, MockProvidersOptions, MockRequestRecord } from './types.js';

export type { JobView, MockJobKind, MockProviderName } from './providers/shared.js';
export type { MockBases } from './routing.js';
export type {
  MockApiKeys,
  MockJobInfo,
  MockJobInit,
  MockKindName,
  MockProviders,
  MockProvidersOptions,
  MockRequestRecord,
} from './types.js';

const BUILT_IN: Readonly<Record<MockProviderName, ProviderAdapter>> = { supermetrics, runflow, check };

/** The providers' production base URLs (the clients' defaults): what the real clients call by default. */
export const PRODUCTION_BASES: Readonly<Record<MockProviderName, string>> = {
  supermetrics: supermetrics.baseUrl,
  runflow: runflow.baseUrl,
  check: check.baseUrl,
};

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

type Settings = MockProvidersOptions<string> & { seed: number; speed: number; defaultScript: JobScript };

/** The engine behind {@link createMockProviders}: the jobs, the scripts waiting for them, the request log. */
class MockEngine implements EngineApi {
  readonly memo = new Map<string, unknown>();
  readonly options: ProviderOptions;
  readonly requests: MockRequestRecord<string>[] = [];
  /** Every provider served: the three, then those defined with `defineMockProvider`. */
  readonly adapters = new Map<string, ProviderAdapter>(Object.entries(BUILT_IN));
  readonly #settings: Settings;
  readonly #jobs = new Map<string, JobRecord>();
  readonly #queued = new Map<string, JobScript[]>();
  readonly #counts = new Map<string, number>();
  #ids: Random = seededRandom(0);
  #requestIds: Random = seededRandom(0);

  constructor(settings: Settings) {
    this.#settings = settings;
    this.options = { ...settings.supermetrics, ...settings.runflow };
    for (const provider of settings.providers ?? []) {
      const adapter = adapterOf(provider);
      if (this.adapters.has(adapter.name)) {
        throw new TypeError(`two mock providers are named ${adapter.name}: give each provider its own name`);
      }
      this.adapters.set(adapter.name, adapter);
    }
    this.reset();
  }

  #adapter(provider: string): ProviderAdapter {
    const adapter = this.adapters.get(provider);
    if (!adapter) {
      throw new TypeError(
        `unknown provider ${String(provider)} (the mock serves: ${[...this.adapters.keys()].join(', ')})`,
      );
    }
    return adapter;
  }

  /** The script of jobs created without a queued one. */
  get defaultScript(): JobScript {
    return this.#settings.defaultScript;
  }

  now(): number {
    return this.#settings.clock ? this.#settings.clock.now() : Date.now();
  }

  requestId(length = 32): string {
    return token(this.#requestIds, length);
  }

  find(provider: string, id: string): MockJob | undefined {
    return this.#jobs.get(`${provider}:${id}`);
  }

  *jobs(provider: string): Iterable<MockJob> {
    for (const job of this.#jobs.values()) if (job.provider === provider) yield job;
  }

  create(
    provider: string,
    kind: string,
    init: { id?: string; total?: number; meta?: Record<string, unknown> } = {},
  ): MockJob {
    return this.add(provider, kind, this.#queued.get(provider)?.shift() ?? this.#settings.defaultScript, init);
  }

  /** Adds a job playing `s`; throws for a kind or an end the provider does not have. */
  add(
    provider: string,
    kind: string,
    s: JobScript,
    init: { id?: string; total?: number; meta?: Record<string, unknown> },
  ): JobRecord {
    const adapter = this.#adapter(provider);
    const spec = adapter.kinds[kind];
    const end = s.end ?? 'succeeded';
    if (!spec)
      throw new TypeError(`${provider} has no ${kind} jobs (it has: ${Object.keys(adapter.kinds).join(', ')})`);
    if (!spec.ends.includes(end))
      throw new TypeError(`a ${provider} ${kind} cannot end ${end} (it can: ${spec.ends.join(', ')})`);
    if (s.endRaw !== undefined && !spec.statuses[end].includes(s.endRaw)) {
      throw new TypeError(
        `a ${provider} ${kind} that ends ${end} shows ${spec.statuses[end].join(' or ')}, not ${JSON.stringify(s.endRaw)} (endRaw)`,
      );
    }
    let id = init.id ?? adapter.newId(kind, this.#ids);
    while (init.id === undefined && this.#jobs.has(`${provider}:${id}`)) id = adapter.newId(kind, this.#ids);
    const finalTotal = Math.max(0, Math.floor(s.totalGrowth?.at(-1) ?? s.total ?? init.total ?? spec.defaultTotal));
    if (end === 'partially_succeeded' && finalTotal < 2) {
      throw new RangeError('a partially_succeeded job needs a total of at least 2');
    }
    const job = new JobRecord({
      id,
      provider,
      kind,
      script: s,
      createdAt: this.now(),
      finalTotal,
      seed: hash(this.#settings.seed, provider, id),
      meta: init.meta ?? {},
      unknownStatus: s.unknownStatus ?? adapter.unknownStatus,
    });
    this.#jobs.set(`${provider}:${id}`, job);
    adapter.onCreate?.(job, this);
    this.#later(this.#settings.onJobCreated, id);
    return job;
  }

  /** Queues `s` for the next job created through `provider`'s API. */
  nextScript(provider: string, s: JobScript): void {
    this.#adapter(provider);
    const list = this.#queued.get(provider) ?? [];
    list.push(s);
    this.#queued.set(provider, list);
  }

  #later(hook: ((id: string) => void) | undefined, id: string): void {
    if (hook) queueMicrotask(() => hook(id));
  }

  /** Scripted milliseconds since the job was created. */
  #elapsed(job: JobRecord): number {
    return (this.now() - job.createdAt) * this.#settings.speed;
  }

  /** Commits what a read at `step` sees; a job seen at its end is finalized and reported once. */
  #observeAt(job: JobRecord, step: number): JobView {
    const { view, ended } = job.observe(step, this.now(), this.#elapsed(job));
    if (ended) this.#later(this.#settings.onJobEnded, job.id);
    return view;
  }

  observe(job: MockJob): JobView {
    const record = job as JobRecord;
    return this.#observeAt(record, record.currentStep());
  }

  async poll(req: RouteRequest, job: MockJob, endpoint: string, render: (view: JobView) => Reply): Promise<Reply> {
    const record = job as JobRecord;
    const read = record.reads.get(endpoint) ?? 0;
    record.reads.set(endpoint, read + 1);
    const fault = faultAt(record.script.faults, read, this.#elapsed(record));
    const step = read - record.faultedBefore(read);
    if (fault && fault.kind !== 'slow') {
      record.faulted.add(read);
      return this.#fault(fault, req, record, step, render);
    }
    if (fault?.kind === 'slow') await sleep(fault.delayMs, req.request.signal);
    return render(this.#observeAt(record, step));
  }

  async results(
    req: RouteRequest,
    job: MockJob,
    render: (view: JobView, rows: number | undefined) => Reply,
  ): Promise<Reply> {
    const record = job as JobRecord;
    const read = record.resultReads++;
    const totals = record.script.resultTotals;
    const wanted = totals?.length ? totals[Math.min(read, totals.length - 1)] : undefined;
    const total = wanted === undefined ? undefined : Math.max(0, Math.floor(wanted));
    const answer = (v: JobView) =>
      total === undefined || (record.provider === 'supermetrics' && record.kind === 'query')
        ? render(v, total)
        : render(record.resized(v, total), undefined);
    const step = record.currentStep();
    const fault = faultAt(record.script.resultFaults, read, this.#elapsed(record));
    if (fault && fault.kind !== 'slow') return this.#fault(fault, req, record, step, answer);
    if (fault?.kind === 'slow') await sleep(fault.delayMs, req.request.signal);
    return answer(this.#observeAt(record, step));
  }

  #fault(
    fault: Parameters<typeof faultReply>[0],
    req: RouteRequest,
    job: JobRecord,
    step: number,
    render: (view: JobView) => Reply,
  ): Reply {
    return faultReply(fault, {
      req,
      adapter: this.#adapter(job.provider),
      now: this.now(),
      unknownStatus: job.unknownStatus,
      view: () => this.#observeAt(job, step),
      render,
    });
  }

  cancel(job: MockJob): JobView {
    const record = job as JobRecord;
    const v = this.observe(record);
    if (record.final) return record.final;
    const now = this.now();
    record.cancelledByApi = true;
    record.finalize({ ...v, state: 'cancelled', raw: undefined, running: 0, finishedAt: now, cancelledAt: now });
    this.#later(this.#settings.onJobEnded, record.id);
    return record.final ?? v;
  }

  ended(job: MockJob): boolean {
    this.observe(job);
    return (job as JobRecord).final !== undefined;
  }

  item(job: MockJob, view: JobView, index: number): ItemState {
    return (job as JobRecord).itemState(view, index);
  }

  #byId(id: string): JobRecord | undefined {
    for (const job of this.#jobs.values()) if (job.id === id) return job;
    return undefined;
  }

  info(id: string): MockJobInfo<string> | undefined {
    const job = this.#byId(id);
    if (!job) return undefined;
    const v = this.observe(job);
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
      endsAt: v.finishedAt ?? job.scriptedEnd(this.#settings.speed),
      callbackUrl: typeof job.meta.callback_url === 'string' ? job.meta.callback_url : undefined,
    };
  }

  pushEvent(id: string): unknown {
    const job = this.#byId(id);
    if (!job) return undefined;
    this.observe(job);
    return job.final ? this.#adapter(job.provider).pushEvent?.(job, job.final, this) : undefined;
  }

  reset(): void {
    this.#ids = seededRandom(this.#settings.seed);
    this.#requestIds = seededRandom(hash(this.#settings.seed, 'requests'));
    this.#jobs.clear();
    this.#queued.clear();
    this.requests.length = 0;
    this.memo.clear();
    this.#counts.clear();
  }

  /** Where each provider's routes start by default: its production base URL. */
  bases(): Record<string, string> {
    return Object.fromEntries([...this.adapters].map(([name, adapter]) => [name, adapter.baseUrl]));
  }

  async handle(request: Request, bases: Readonly<Record<string, string | undefined>>): Promise<Response | undefined> {
    const url = new URL(request.url);
    const match = findRoute(this.adapters, bases, request.method, url);
    if (!match) return undefined;
    const { adapter, route } = match;
    const count = this.#counts.get(adapter.name) ?? 0;
    this.#counts.set(adapter.name, count + 1);
    const req: RouteRequest = {
      request,
      requestId: this.requestId(),
      url,
      params: match.params,
      query: url.searchParams,
      base: match.base,
      route,
    };
    const expected = (this.#settings.apiKeys as Record<string, string | undefined> | undefined)?.[adapter.name];
    const reply = authorized(expected, adapter, request, req.query)
      ? await route.handle(req, this)
      : adapter.error(401, { req });
    this.requests.push({
      at: this.now(),
      method: route.method,
      path: url.pathname,
      provider: adapter.name,
      operationId: route.operationId,
      status: reply.status,
    });
    const max = this.#settings.maxRequests ?? 1000;
    if (this.requests.length > max) this.requests.splice(0, this.requests.length - max);
    return toResponse(reply, { ...adapter.headers(count, this), ...reply.headers });
  }
}

/**
 * Creates the scripted providers: a pure Fetch API engine (no msw, no node:http) that msw handlers
 * and the local server share.
 *
 * @example
 * const mock = createMockProviders({ seed: 7 });
 * const id = mock.addJob('runflow', 'batch', script.lifecycle({ queuedPolls: 2, progress: [0.5, 1] }));
 */
export function createMockProviders<P extends string = never>(options?: MockProvidersOptions<P>): MockProviders<P>;
// The plain signature last, so that `Parameters<typeof createMockProviders>` stays the options of the three.
export function createMockProviders(options?: MockProvidersOptions): MockProviders;
export function createMockProviders<P extends string = never>(options: MockProvidersOptions<P> = {}): MockProviders<P> {
  const seed = options.seed ?? 1;
  const speed = options.speed ?? 1;
  if (!(speed > 0) || !Number.isFinite(speed)) throw new RangeError('speed must be a positive number');
  const engine = new MockEngine({
    ...(options as MockProvidersOptions<string>),
    seed,
    speed,
    defaultScript: options.defaultScript ?? script.lifecycle(),
  });
  const bases = engine.bases();
  return {
    seed,
    get requests() {
      return engine.requests as MockRequestRecord<P>[];
    },
    addJob(provider, kind, s, init = {}) {
      const meta = init.callbackUrl === undefined ? {} : { callback_url: init.callbackUrl };
      return engine.add(provider, kind, s ?? engine.defaultScript, { meta }).id;
    },
    nextScript: (provider, s) => engine.nextScript(provider, s),
    job: (id) => engine.info(id) as MockJobInfo<P> | undefined,
    pushEvent: (id) => engine.pushEvent(id),
    reset: () => engine.reset(),
    handle: (request, where = bases as MockBases<P>) => engine.handle(request, where),
  };
}
