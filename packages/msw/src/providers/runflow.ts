import { type components, RUNFLOW_BASE_URL } from '@batchwatch/runflow-client';
import { uuid } from '../random.js';
import {
  batch,
  callbackEvent,
  ITEM_STATUSES,
  item,
  itemPrefix,
  RUN_STATUSES,
  run,
  STATUSES,
} from './runflow-bodies.js';
import {
  type EngineApi,
  type ErrorDetail,
  intParam,
  isRecord,
  type MockJob,
  type ProviderAdapter,
  type Reply,
  type Route,
  type RouteRequest,
  rateLimitHeaders,
  readJson,
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
