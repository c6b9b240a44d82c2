import {
  type components,
  type KnownBatchStatusCode,
  type KnownRunStatusCode,
  RUNFLOW_BASE_URL,
} from '@batchwatch/runflow-client';
import { derive, hex, int, uuid } from '../random.js';
import {
  type EngineApi,
  type ErrorDetail,
  type ItemState,
  type ItemVocabulary,
  intParam,
  iso,
  isoOrNull,
  isRecord,
  type JobView,
  type MockJob,
  money,
  type ProviderAdapter,
  type Reply,
  type Route,
  type RouteRequest,
  rateLimitHeaders,
  readJson,
  type Vocabulary,
} from './shared.js';

type S = components['schemas'];

const ERRORS: Record<number, [code: string, message: string]> = {
  400: ['BAD_REQUEST', 'The request is malformed.'],
  401: ['UNAUTHORIZED', 'Missing or invalid API key.'],
  402: ['INSUFFICIENT_CREDIT', 'Your organization has run out of credit.'],
  403: ['PERMISSION_DENIED', 'Your account is not authorized to access this resource.'],
  404: ['NOT_FOUND', 'Not found.'],
  409: ['CONFLICT', 'Idempotency-Key was already used with a different request body.'],
  422: ['validation_error', 'Request body failed validation.'],
  429: ['RATE_LIMITED', 'Rate limit exceeded: 600 requests per minute for this organization.'],
  503: ['MODEL_UNAVAILABLE', 'The model is temporarily unavailable. Retry later.'],
};

function error(status: number, detail: ErrorDetail): Reply {
  const [code, message] = ERRORS[status] ?? ['INTERNAL_ERROR', 'Internal error.'];
  const body: S['ErrorResponse'] = {
    code: detail.code ?? code,
    message: detail.message ?? message,
    errors: detail.errors ?? null,
  };
  return { status, body };
}

/** A batch's (or run's) `status_code` in each state; a cancelled one follows `cancelSpelling`. */
const STATUSES: Vocabulary<KnownBatchStatusCode> = {
  queued: ['queued', 'dispatching'],
  running: ['running'],
  succeeded: ['succeeded'],
  partially_succeeded: ['partial_succeeded'],
  failed: ['failed'],
  cancelled: ['cancelled', 'canceled'],
};

/** A run's `status_code`: a run never ends partially. */
const RUN_STATUSES: Vocabulary<KnownRunStatusCode> = STATUSES;

/** An item's `status_code` (it mirrors its run) in each item state. */
const ITEM_STATUSES: ItemVocabulary<KnownRunStatusCode> = {
  queued: ['queued', 'dispatching'],
  running: ['running'],
  succeeded: ['succeeded'],
  failed: ['failed', 'partial_succeeded'],
  cancelled: ['cancelled', 'canceled'],
};

/** The status a batch, run or item shows in `state`; cancellation is spelled as the account spells it. */
function statusFor(state: JobView['state'] | ItemState, engine: EngineApi): string {
  if (state === 'cancelled') return engine.options.cancelSpelling ?? STATUSES.cancelled[0];
  return state === 'unknown' ? 'paused' : STATUSES[state][0];
}

/** Cost of one finished item, in ten-thousandths (`"0.0420"`). */
const ITEM_COST = 420;
const org = (job: MockJob) => uuid(derive(job.seed, 'org'));
const user = (job: MockJob) => uuid(derive(job.seed, 'user'));
const model = (job: MockJob) => uuid(derive(job.seed, 'model', String(job.meta.model ?? 'runflow/background-replace')));
const itemPrefix = (job: MockJob, what: 'item' | 'run') => uuid(derive(job.seed, job.id, what), 0).slice(0, 23);
/** Item and run ids end in the item index (hex), so they map back to their batch without a table. */
const childId = (job: MockJob, what: 'item' | 'run', i: number) =>
  `${itemPrefix(job, what)}-${i.toString(16).padStart(12, '0')}`;

function input(job: MockJob, i: number): Record<string, unknown> {
  const given = (job.meta.input as Array<Record<string, unknown>> | undefined)?.[i];
  if (given) return given;
  const ref = `sku-${1001 + i}`;
  return { image_url: `https://cdn.example.com/shoots/${ref}.jpg`, prompt: 'white studio background', client_ref: ref };
}

function withoutRef(value: Record<string, unknown>): Record<string, unknown> {
  const { client_ref: _ref, ...rest } = value;
  return rest;
}

const clientRef = (job: MockJob, i: number) => {
  const ref = input(job, i).client_ref;
  return typeof ref === 'string' ? ref : null;
};

/** Timestamps of a batch item's run: started with the batch, finished a derived few seconds later (never after now). */
function runTimes(job: MockJob, v: JobView, state: string, engine: EngineApi, i: number | undefined) {
  if (i === undefined) return { started: v.startedAt, finished: v.finishedAt };
  const started = state !== 'queued' && state !== 'cancelled' ? (v.startedAt ?? v.createdAt) : undefined;
  const ends = state === 'succeeded' || state === 'failed' || (state === 'cancelled' && v.finishedAt !== undefined);
  const took = 1000 * int(derive(job.seed, job.id, 'took', i), 3, 40);
  const finished = ends
    ? Math.min(engine.now(), (started ?? v.finishedAt ?? v.createdAt) + (started ? took : 0))
    : undefined;
  return { started, finished };
}

function run(
  job: MockJob,
  v: JobView,
  engine: EngineApi,
  state: JobView['state'] | ItemState,
  i: number | undefined,
): S['Run'] {
  const inBatch = i !== undefined;
  const id = inBatch ? childId(job, 'run', i) : job.id;
  const { started, finished } = runTimes(job, v, state, engine, i);
  const nodes = inBatch ? 1 : v.total;
  const nodesDone = inBatch ? (state === 'succeeded' ? 1 : 0) : v.done;
  const failed = state === 'failed';
  const url = `https://cdn.runflow.io/outputs/${id.slice(0, 8)}/${clientRef(job, i ?? 0) ?? id}.png`;
  return {
    id,
    flow_id: uuid(derive(job.seed, 'flow')),
    model_id: model(job),
    comfyui_workflow_id: null,
    target_type: 'model',
    target_version: '2026-03-18',
    org_id: org(job),
    status_code: v.raw ?? statusFor(state, engine),
    source_code: 'api',
    input: withoutRef(input(job, i ?? 0)),
    output: state === 'succeeded' ? { images: [{ url, width: 1024, height: 1024 }] } : null,
    context: {},
    duration_ms: started !== undefined && finished !== undefined ? finished - started : null,
    cost: nodesDone > 0 || failed ? money(nodesDone * ITEM_COST) : null,
    cost_breakdown: nodesDone > 0 ? { compute: money(nodesDone * ITEM_COST) } : null,
    nodes_total: nodes,
    nodes_completed: nodesDone,
    resolved_template_id: uuid(derive(job.seed, 'template')),
    batch_id: inBatch ? job.id : null,
    client_ref: inBatch ? clientRef(job, i) : null,
    jurisdiction_code: 'eu',
    flow_version_id: uuid(derive(job.seed, 'flow-version')),
    request_id: `req_${hex(derive(job.seed, id), 12)}`,
    created_by: user(job),
    created_at: iso(v.createdAt),
    started_at: isoOrNull(started),
    completed_at: isoOrNull(finished),
    callback_url: null,
    metadata: null,
    has_logs: state !== 'queued',
    has_node_runs: false,
    links: {},
    failure_code: failed ? 'PROVIDER_REJECTED_INPUT' : null,
    failure_message: failed ? 'image_url could not be fetched (HTTP 403).' : null,
    failure_stage_code: failed ? 'dispatch' : null,
    node_runs: [],
  };
}

function item(job: MockJob, v: JobView, engine: EngineApi, i: number): S['BatchItem'] {
  const state = engine.item(job, v, i);
  const nested = run(job, v, engine, state, i);
  return {
    id: childId(job, 'item', i),
    batch_id: job.id,
    sequence_index: i,
    run_id: nested.id,
    created_at: iso(v.createdAt),
    client_ref: clientRef(job, i),
    status_code: nested.status_code ?? null,
    input: withoutRef(input(job, i)),
    cost: nested.cost ?? null,
    output: nested.output ?? null,
    error: state === 'failed' ? { code: nested.failure_code, message: nested.failure_message } : null,
    started_at: nested.started_at ?? null,
    completed_at: nested.completed_at ?? null,
    run: nested,
  };
}

function batch(job: MockJob, v: JobView, engine: EngineApi, created = false): S['Batch'] {
  const succeeded = v.done - v.failed;
  const cancelled = v.state === 'cancelled' ? v.total - v.done : 0;
  const ended = v.finishedAt !== undefined;
  const failed = v.state === 'failed';
  const items: S['BatchItemHandle'][] = [];
  for (let i = 0; i < v.total; i++) {
    items.push({
      id: childId(job, 'item', i),
      sequence_index: i,
      run_id: childId(job, 'run', i),
      status_code: statusFor(engine.item(job, v, i), engine),
      client_ref: clientRef(job, i),
    });
  }
  const subset: S['Batch'] = {
    id: job.id,
    target_type: 'model',
    target_id: model(job),
    status_code: v.raw ?? statusFor(v.state, engine),
    items_total: v.total,
    items_succeeded: succeeded,
    items_failed: v.failed,
    items_cancelled: cancelled,
    items,
    created_at: iso(v.createdAt),
    output: ended && v.state !== 'cancelled' ? { succeeded, failed: v.failed, cancelled, total: v.total } : null,
    cost: v.done > 0 ? money(v.done * ITEM_COST) : null,
    metadata: isRecord(job.meta.metadata) ? job.meta.metadata : null,
    callback_url: typeof job.meta.callback_url === 'string' ? job.meta.callback_url : null,
    started_at: isoOrNull(v.startedAt),
    completed_at: isoOrNull(v.finishedAt),
  };
  if (created) return subset;
  const inputs: Record<string, unknown>[] = [];
  for (let i = 0; i < v.total; i++) inputs.push(input(job, i));
  return {
    ...subset,
    org_id: org(job),
    target_type_code: 'model',
    source_code: 'api',
    input: inputs,
    resolved_template_id: uuid(derive(job.seed, 'template')),
    dispatch_provider_link_id: uuid(derive(job.seed, 'provider-link')),
    duration_ms: ended ? (v.finishedAt ?? 0) - (v.startedAt ?? v.createdAt) : null,
    failure_code: failed ? 'ALL_ITEMS_FAILED' : null,
    failure_message: failed ? `All ${v.total} items failed.` : null,
    failure_stage_code: failed ? 'execution' : null,
    created_by: user(job),
    links: {},
  };
}

/** A batch item or its run, found from the id's prefix. */
function child(engine: EngineApi, id: string, what: 'item' | 'run'): { job: MockJob; index: number } | undefined {
  const owner = engine.memo.get(`runflow:${what}:${id.slice(0, 23)}`);
  const job = typeof owner === 'string' ? engine.find('runflow', owner) : undefined;
  if (!job) return undefined;
  const index = Number.parseInt(id.slice(24), 16);
  return index < engine.observe(job).total ? { job, index } : undefined;
}

/** JSON with sorted keys, so equal bodies compare equal whatever their key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (isRecord(value)) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

// Opaque base64url cursors, like Runflow's `pq`; btoa/atob so the engine also runs in browsers.
const cursor = (offset: number) =>
  btoa(JSON.stringify({ o: offset }))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
function offsetOf(pq: string | null): number | undefined {
  if (pq === null || pq === '') return 0;
  try {
    const parsed: unknown = JSON.parse(atob(pq.replace(/-/g, '+').replace(/_/g, '/')));
    return isRecord(parsed) && Number.isInteger(parsed.o) && (parsed.o as number) >= 0
      ? (parsed.o as number)
      : undefined;
  } catch {
    return undefined;
  }
}

const ERRORS_OF_READS = [400, 401, 402, 403, 404, 422, 429, 503];
const batchNotFound = (req: RouteRequest) => error(404, { req, code: 'NOT_FOUND', message: 'Batch not found.' });
const runNotFound = (req: RouteRequest) => error(404, { req, code: 'RUN_NOT_FOUND', message: 'Run not found.' });
const itemNotFound = (req: RouteRequest) => error(404, { req, code: 'NOT_FOUND', message: 'Batch item not found.' });
const findBatch = (engine: EngineApi, id: string | undefined) => {
  const job = engine.find('runflow', id ?? '');
  return job?.kind === 'batch' ? job : undefined;
};

const routes: Route[] = [
  {
    method: 'POST',
    path: '/v1/models/:owner/:slug/batches',
    operationId: 'createBatch',
    errors: [400, 401, 402, 403, 404, 409, 422, 429, 503],
    async handle(req: RouteRequest, engine: EngineApi) {
      const body = await readJson(req.request);
      const list = isRecord(body) ? body.input : undefined;
      if (!Array.isArray(list) || list.length < 1 || list.length > 100 || !list.every(isRecord)) {
        const msg = Array.isArray(list)
          ? `List should have 1 to 100 object items after validation, not ${list.length}`
          : 'Field required';
        return error(422, { req, errors: [{ loc: ['body', 'input'], msg, type: 'list_type' }] });
      }
      const key = req.request.headers.get('idempotency-key');
      const fingerprint = canonical([req.params.owner, req.params.slug, body]);
      if (key !== null) {
        const seen = engine.memo.get(`runflow:idempotency:${key}`) as
          | { fingerprint: string; reply: string }
          | undefined;
        if (seen && seen.fingerprint !== fingerprint) return error(409, { req });
        if (seen) return { status: 201, body: JSON.parse(seen.reply) as unknown };
      }
      const { input: inputs, ...rest } = body as Record<string, unknown>;
      const job = engine.create('runflow', 'batch', {
        total: list.length,
        meta: { ...rest, input: inputs, model: `${req.params.owner}/${req.params.slug}` },
      });
      const created = batch(job, engine.observe(job), engine, true);
      if (key !== null) engine.memo.set(`runflow:idempotency:${key}`, { fingerprint, reply: JSON.stringify(created) });
      return { status: 201, body: created };
    },
  },
  {
    method: 'GET',
    path: '/v1/batches/:id',
    operationId: 'getBatch',
    errors: ERRORS_OF_READS,
    notFound: batchNotFound,
    handle(req, engine) {
      const job = findBatch(engine, req.params.id);
      if (!job) return batchNotFound(req);
      return engine.poll(req, job, 'batch', (v) => ({ status: 200, body: batch(job, v, engine) }));
    },
  },
  {
    method: 'GET',
    path: '/v1/batches/:batch_id/items',
    operationId: 'listBatchItems',
    errors: ERRORS_OF_READS,
    notFound: batchNotFound,
    handle(req, engine) {
      const job = findBatch(engine, req.params.batch_id);
      if (!job) return batchNotFound(req);
      const limit = intParam(req.query, 'limit') ?? 50;
      if (Number.isNaN(limit) || limit < 1 || limit > 500) {
        return error(422, {
          req,
          errors: [{ loc: ['query', 'limit'], msg: 'Input should be between 1 and 500', type: 'less_than_equal' }],
        });
      }
      const offset = offsetOf(req.query.get('pq'));
      if (offset === undefined) return error(400, { req, code: 'BAD_REQUEST', message: 'Invalid page cursor (pq).' });
      return engine.results(req, job, (v) => {
        const items: S['BatchItem'][] = [];
        for (let i = offset; i < Math.min(v.total, offset + limit); i++) items.push(item(job, v, engine, i));
        const body: S['BatchItemList'] = {
          items,
          next_pq: offset + limit < v.total ? cursor(offset + limit) : null,
          prev_pq: offset > 0 ? cursor(Math.max(0, offset - limit)) : null,
        };
        return { status: 200, body };
      });
    },
  },
  {
    method: 'GET',
    path: '/v1/batches/:batch_id/items/:id',
    operationId: 'getBatchItem',
    errors: ERRORS_OF_READS,
    notFound: itemNotFound,
    handle(req, engine) {
      const found = child(engine, req.params.id ?? '', 'item');
      if (!found || found.job.id !== req.params.batch_id) return itemNotFound(req);
      return { status: 200, body: item(found.job, engine.observe(found.job), engine, found.index) };
    },
  },
  {
    method: 'GET',
    path: '/v1/runs/:id',
    operationId: 'getRun',
    errors: ERRORS_OF_READS,
    notFound: runNotFound,
    handle(req, engine) {
      const id = req.params.id ?? '';
      const job = engine.find('runflow', id);
      if (job?.kind === 'run') {
        return engine.poll(req, job, 'run', (v) => ({ status: 200, body: run(job, v, engine, v.state, undefined) }));
      }
      // A batch item's run: its state follows the batch and reading it does not move the batch.
      const found = child(engine, id, 'run');
      if (!found) return runNotFound(req);
      const v = engine.observe(found.job);
      return { status: 200, body: run(found.job, v, engine, engine.item(found.job, v, found.index), found.index) };
    },
  },
];

/** Callback timestamps use a `+00:00` offset, not `Z`, "so HMAC verification stays byte-equivalent". */
const offsetIso = (ms: number | undefined) => (ms === undefined ? null : iso(ms).replace(/Z$/, '+00:00'));

/** The batch callback Runflow POSTs to `callback_url` once the batch ended (events use UK `cancelled`). */
function callbackEvent(job: MockJob, v: JobView, engine: EngineApi): S['BatchCallbackEvent'] | undefined {
  if (job.kind !== 'batch' || v.finishedAt === undefined) return undefined;
  const event = v.state === 'partially_succeeded' ? 'batch.partial_succeeded' : `batch.${v.state}`;
  const cancelled = v.state === 'cancelled' ? v.total - v.done : 0;
  let output: S['BatchCallbackEvent']['output'] = null;
  if (v.state === 'failed') {
    output = { code: 'ALL_ITEMS_FAILED', message: `All ${v.total} items failed.` };
  } else if (v.state !== 'cancelled') {
    const items: Record<string, unknown>[] = [];
    for (let i = 0; i < v.total; i++) {
      const it = item(job, v, engine, i);
      items.push({
        batch_item_id: it.id,
        run_id: it.run_id,
        client_ref: it.client_ref,
        status: it.status_code,
        output: it.output,
      });
    }
    output = { items, succeeded: v.done - v.failed, failed: v.failed, cancelled, total: v.total };
  }
  return {
    event,
    batch_id: job.id,
    status: statusFor(v.state, engine),
    output,
    duration_ms: v.finishedAt - (v.startedAt ?? v.createdAt),
    created_at: offsetIso(v.createdAt),
    completed_at: offsetIso(v.finishedAt),
    metadata: isRecord(job.meta.metadata) ? job.meta.metadata : null,
  };
}

/** The Runflow adapter: batches (create, poll, items) and runs. Runflow has no public cancel. */
export const runflow: ProviderAdapter = {
  name: 'runflow',
  baseUrl: RUNFLOW_BASE_URL,
  kinds: {
    batch: {
      ends: ['succeeded', 'partially_succeeded', 'failed', 'cancelled'],
      defaultTotal: 10,
      statuses: STATUSES,
      items: ITEM_STATUSES,
    },
    run: { ends: ['succeeded', 'failed', 'cancelled'], defaultTotal: 4, statuses: RUN_STATUSES },
  },
  unknownStatus: 'paused',
  error,
  headers: (count, engine) => rateLimitHeaders(600, count, engine.now()),
  newId: (_kind, random) => uuid(random),
  onCreate(job, engine) {
    if (job.kind !== 'batch') return;
    engine.memo.set(`runflow:item:${itemPrefix(job, 'item')}`, job.id);
    engine.memo.set(`runflow:run:${itemPrefix(job, 'run')}`, job.id);
  },
  pushEvent: callbackEvent,
  routes,
};
