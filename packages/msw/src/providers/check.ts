import { CHECK_BASE_URL, type components, type KnownBatchStatus, type KnownItemStatus } from '@batchwatch/check-client';
import { alnum, derive, hex, int } from '../random.js';
import {
  type EngineApi,
  type ErrorDetail,
  type ItemVocabulary,
  intParam,
  iso,
  isoOrNull,
  isRecord,
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
} from './shared.js';

type S = components['schemas'];

const ERRORS: Record<number, [code: string, message: string]> = {
  400: ['bad_request', 'The request is malformed.'],
  401: ['unauthorized', 'Invalid API key'],
  402: ['quota_exceeded', 'Batch processing is not available on the free plan.'],
  403: ['forbidden', 'You do not have access to this resource.'],
  404: ['not_found', 'Batch not found'],
  409: ['conflict', 'The request conflicts with the current state.'],
  422: ['validation_error', 'Request validation failed.'],
  429: ['rate_limited', 'Rate limit exceeded.'],
  500: ['internal_error', 'An internal error occurred.'],
  502: ['bad_gateway', 'Upstream service error.'],
  503: ['service_unavailable', 'The service is temporarily unavailable.'],
};

function error(status: number, detail: ErrorDetail): Reply {
  const [code, message] = ERRORS[status] ?? ['internal_error', 'An internal error occurred.'];
  const { retryAfter } = detail;
  const body: S['ErrorResponse'] = {
    error: {
      code: detail.code ?? code,
      message:
        detail.message ??
        (retryAfter === undefined ? message : `Rate limit exceeded. Try again in ${retryAfter} seconds.`),
      requestId: `req_${detail.req.requestId.slice(0, 12)}`,
      ...(retryAfter === undefined ? {} : { retryAfter }),
      ...(detail.errors ? { details: detail.errors as S['ErrorObject']['details'] } : {}),
    },
  };
  return { status, body };
}

/** A batch's `status` in each state: `completed` covers partial success (`failureCount` tells it apart). */
const STATUSES: Vocabulary<KnownBatchStatus> = {
  queued: ['pending', 'validating'],
  running: ['processing'],
  succeeded: ['completed'],
  partially_succeeded: ['completed'],
  failed: ['failed'],
  cancelled: ['cancelled'],
};

/** An item's `status` in each item state: `pending` while the batch is queued, then `queued`; a cancel skips the rest. */
const ITEM_STATUSES: ItemVocabulary<KnownItemStatus> = {
  queued: ['queued', 'pending'],
  running: ['processing'],
  succeeded: ['completed'],
  failed: ['failed'],
  cancelled: ['skipped'],
};

const itemStatus = (state: keyof typeof ITEM_STATUSES, v: JobView): string =>
  state === 'queued' && v.state === 'queued' ? 'pending' : ITEM_STATUSES[state][0];

const CLAIMS = [
  'The Eiffel Tower is located in Paris.',
  'The Great Wall of China is visible from the Moon with the naked eye.',
  'Water boils at 100 degrees Celsius at sea level.',
  'Lightning never strikes the same place twice.',
  'Mount Everest is the highest mountain above sea level.',
];

const statusOf = (v: JobView) => statusIn(STATUSES, v);
const methods = (job: MockJob): S['MethodWeights'] =>
  isRecord(job.meta.methods) ? (job.meta.methods as S['MethodWeights']) : { reasoning: 1 };

function summary(job: MockJob, v: JobView): S['BatchSummary'] {
  return {
    id: job.id,
    name: typeof job.meta.name === 'string' ? job.meta.name : null,
    status: statusOf(v),
    totalItems: v.total,
    processedItems: v.done,
    successCount: v.done - v.failed,
    failureCount: v.failed,
    totalCostCents: (v.done - v.failed) * 5,
    createdAt: iso(v.createdAt),
    startedAt: isoOrNull(v.startedAt),
    completedAt: isoOrNull(v.finishedAt),
  };
}

function batch(job: MockJob, v: JobView): S['Batch'] {
  const invalid = v.state === 'failed' ? Math.min(3, v.total) : 0;
  const validationErrors: S['ValidationError'][] = [];
  for (let i = 0; i < invalid; i++) validationErrors.push({ row: 1 + i * 4, error: 'Content is required' });
  return {
    ...summary(job, v),
    inputFormat: job.meta.fileId === undefined ? 'json' : 'csv',
    originalFileName: job.meta.fileId === undefined ? null : 'claims.csv',
    methodsConfig: methods(job),
    context: isRecord(job.meta.context) ? job.meta.context : null,
    totalInputTokens: v.done * 250,
    totalOutputTokens: v.done * 174,
    errorMessage: invalid > 0 ? `${invalid} validation error(s)` : null,
    validationErrors: invalid > 0 ? validationErrors : null,
    expiresAt: iso(v.createdAt + 30 * 86_400_000),
  };
}

function resultItem(job: MockJob, v: JobView, engine: EngineApi, i: number): S['BatchResultItem'] {
  const state = engine.item(job, v, i);
  const r = derive(job.seed, job.id, i);
  const given = (job.meta.items as Array<Record<string, unknown>> | undefined)?.[i];
  const key = given ? given.idempotencyKey : `claim-${String(i + 1).padStart(3, '0')}`;
  const verified = state === 'succeeded';
  const confidence = verified ? Math.round((0.5 + r() * 0.49) * 100) / 100 : null;
  const verdict = verified ? (r() < 0.7 ? 'true' : 'false') : null;
  const started = v.startedAt ?? v.createdAt;
  const took = int(r, 800, 9000);
  const ended = state === 'succeeded' || state === 'failed';
  return {
    id: `item_${String(i + 1).padStart(3, '0')}`,
    itemIndex: i,
    idempotencyKey: typeof key === 'string' ? key : null,
    content: typeof given?.content === 'string' ? given.content : (CLAIMS[i % CLAIMS.length] ?? ''),
    itemContext: isRecord(given?.context) ? given.context : null,
    status: itemStatus(state, v),
    verificationId: verified ? `ver_${hex(r, 12)}` : null,
    verdict,
    confidence,
    decision: confidence === null ? null : confidence >= 0.95 ? (verdict === 'true' ? 'accept' : 'reject') : 'escalate',
    costCents: verified ? 5 : 0,
    processingTimeMs: ended ? took : 0,
    errorMessage: state === 'failed' ? 'Verification timed out' : null,
    retryCount: state === 'failed' ? 2 : 0,
    createdAt: iso(v.createdAt),
    completedAt: ended ? iso(Math.min(engine.now(), started + took)) : null,
  };
}

/** Offset pagination shared by the list and the results: `limit` 1..100, `offset` >= 0. */
function page(req: RouteRequest, defaultLimit: number): { limit: number; offset: number } | undefined {
  const limit = intParam(req.query, 'limit') ?? defaultLimit;
  const offset = intParam(req.query, 'offset') ?? 0;
  if (Number.isNaN(limit) || Number.isNaN(offset) || limit < 1 || limit > 100) return undefined;
  return { limit, offset };
}

const notFound = (req: RouteRequest) => error(404, { req });
const find = (req: RouteRequest, engine: EngineApi) => engine.find('check', req.params.id ?? '');

const routes: Route[] = [
  {
    method: 'POST',
    path: '/v1/batch',
    operationId: 'createBatch',
    errors: [400, 401, 402, 403, 409, 422, 429, 500, 503],
    async handle(req, engine) {
      const body = await readJson(req.request);
      if (!isRecord(body) || (!Array.isArray(body.items) && typeof body.fileId !== 'string')) {
        return error(400, { req, code: 'bad_request', message: 'Either items or fileId is required.' });
      }
      const items = Array.isArray(body.items) ? body.items : undefined;
      const bad = items?.findIndex(
        (it) => !isRecord(it) || typeof it.content !== 'string' || it.content.length > 50_000,
      );
      if (items && (items.length > 10_000 || (bad !== undefined && bad >= 0))) {
        const field = items.length > 10_000 ? 'items' : `items[${bad}].content`;
        return error(422, { req, errors: [{ field, message: 'is missing or too long' }] });
      }
      const { items: _items, ...rest } = body;
      // Keep the first 100 items' content and keys for the results; later ones are derived.
      const kept = items?.slice(0, 100).map((it) => {
        const { content, idempotencyKey, context } = it as Record<string, unknown>;
        return { content: String(content).slice(0, 500), idempotencyKey, context };
      });
      const job = engine.create('check', 'batch', { total: items?.length ?? 100, meta: { ...rest, items: kept } });
      const v = engine.observe(job);
      const created: S['CreateBatchResponse'] = {
        id: job.id,
        name: typeof body.name === 'string' ? body.name : null,
        status: statusOf(v),
        totalItems: v.total,
        processedItems: v.done,
        successCount: v.done - v.failed,
        failureCount: v.failed,
        methods: methods(job),
        createdAt: iso(v.createdAt),
        message: 'Batch created successfully. Items are being processed.',
      };
      return { status: 202, body: created };
    },
  },
  {
    method: 'GET',
    path: '/v1/batch',
    operationId: 'listBatches',
    errors: [400, 401, 429, 500],
    handle(req, engine) {
      const p = page(req, 10);
      if (!p) return error(400, { req, message: 'limit must be 1..100 and offset >= 0.' });
      const wanted = req.query.get('status');
      const all = [...engine.jobs('check')].reverse().map((job) => summary(job, engine.observe(job)));
      const matching = wanted === null ? all : all.filter((b) => b.status === wanted);
      const body: S['BatchList'] = {
        data: matching.slice(p.offset, p.offset + p.limit),
        pagination: { ...p, total: matching.length, hasMore: p.offset + p.limit < matching.length },
      };
      return { status: 200, body };
    },
  },
  {
    method: 'GET',
    path: '/v1/batch/:id',
    operationId: 'getBatch',
    errors: [401, 404, 429, 500],
    notFound,
    handle(req, engine) {
      const job = find(req, engine);
      if (!job) return notFound(req);
      return engine.poll(req, job, 'batch', (v) => ({ status: 200, body: batch(job, v) }));
    },
  },
  {
    method: 'GET',
    path: '/v1/batch/:id/results',
    operationId: 'getBatchResults',
    errors: [400, 401, 404, 429, 500],
    notFound,
    handle(req, engine) {
      const job = find(req, engine);
      if (!job) return notFound(req);
      const p = page(req, 20);
      if (!p) return error(400, { req, message: 'limit must be 1..100 and offset >= 0.' });
      const wanted = req.query.get('status');
      return engine.results(req, job, (v) => {
        const items: S['BatchResultItem'][] = [];
        let total = 0;
        // Filtering by status walks every item's derived state; the page is built on the way.
        for (let i = 0; i < v.total; i++) {
          if (wanted !== null && itemStatus(engine.item(job, v, i), v) !== wanted) continue;
          if (total >= p.offset && items.length < p.limit) items.push(resultItem(job, v, engine, i));
          total++;
        }
        const s = summary(job, v);
        const body: S['BatchResults'] = {
          batch: {
            id: s.id ?? job.id,
            status: s.status,
            totalItems: v.total,
            processedItems: v.done,
            successCount: v.done - v.failed,
            failureCount: v.failed,
          },
          items,
          pagination: { ...p, total, hasMore: p.offset + items.length < total },
        };
        return { status: 200, body };
      });
    },
  },
  {
    method: 'POST',
    path: '/v1/batch/:id/cancel',
    operationId: 'cancelBatch',
    errors: [400, 401, 404, 429, 500],
    notFound,
    handle(req, engine) {
      const job = find(req, engine);
      if (!job) return notFound(req);
      if (engine.ended(job)) {
        return error(400, {
          req,
          code: 'CANNOT_CANCEL',
          message: 'Cannot cancel batch. Batch not found or already completed/cancelled.',
        });
      }
      const v = engine.cancel(job);
      const body: S['CancelBatchResponse'] = {
        id: job.id,
        status: statusOf(v),
        message: 'Batch cancelled successfully',
      };
      return { status: 200, body };
    },
  },
];

/** The `batch.completed` / `batch.failed` webhook of an ended batch; none for a cancelled one (Check has no such event). */
function webhookEvent(job: MockJob, v: JobView): S['WebhookEvent'] | undefined {
  if (v.finishedAt === undefined || v.state === 'cancelled') return undefined;
  const invalid = v.state === 'failed' ? Math.min(3, v.total) : 0;
  const data: S['WebhookBatchEventData'] = {
    id: job.id,
    batchId: job.id,
    status: statusOf(v),
    totalItems: v.total,
    processedItems: v.done,
    successCount: v.done - v.failed,
    failureCount: v.failed,
    errorMessage: invalid > 0 ? `${invalid} validation error(s)` : null,
    completedAt: iso(v.finishedAt),
  };
  return {
    id: `evt_${hex(derive(job.seed, job.id, 'webhook'), 10)}`,
    type: v.state === 'failed' ? 'batch.failed' : 'batch.completed',
    createdAt: iso(v.finishedAt),
    data,
  };
}

/** The Check adapter: batches (create, list, poll, results, cancel). */
export const check: ProviderAdapter = {
  name: 'check',
  baseUrl: CHECK_BASE_URL,
  kinds: {
    batch: {
      ends: ['succeeded', 'partially_succeeded', 'failed', 'cancelled'],
      defaultTotal: 10,
      statuses: STATUSES,
      items: ITEM_STATUSES,
    },
  },
  unknownStatus: 'paused',
  error,
  headers: (count, engine) => rateLimitHeaders(200, count, engine.now()),
  newId: (_kind, random) => `batch_${alnum(random, 12)}`,
  pushEvent: (job, v) => webhookEvent(job, v),
  routes,
};
