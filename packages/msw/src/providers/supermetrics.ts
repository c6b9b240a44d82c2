import { type components, SUPERMETRICS_BASE_URL } from '@batchwatch/supermetrics-client';
import { hex } from '../random.js';
import {
  type EngineApi,
  type ErrorDetail,
  intParam,
  isRecord,
  type ProviderAdapter,
  type Reply,
  type Route,
  type RouteRequest,
  rateLimitHeaders,
  readJson,
  statusIn,
} from './shared.js';
import {
  BATCH_STATUSES,
  batchBody,
  batchQuery,
  batchStatus,
  csvPage,
  QUERY_IN_BATCH,
  QUERY_STATUSES,
  queryStatus,
  rowCount,
  rowsOf,
} from './supermetrics-bodies.js';

type S = components['schemas'];

const ERRORS: Record<number, [code: string, message: string]> = {
  400: ['BAD_REQUEST', 'The request was invalid.'],
  401: ['UNAUTHORIZED', 'Authentication is required.'],
  403: ['PERMISSION_ERROR', 'You do not have permission to perform this action.'],
  404: ['NOT_FOUND', 'The requested resource was not found.'],
  422: ['UNPROCESSABLE_ENTITY', 'The request could not be processed.'],
  429: ['TOO_MANY_REQUESTS', 'Rate limit exceeded. Retry later.'],
  500: ['INTERNAL_SERVER_ERROR', 'An unexpected error occurred.'],
  503: ['SERVICE_UNAVAILABLE', 'The service is temporarily unavailable.'],
};

function error(status: number, detail: ErrorDetail): Reply {
  const [code, message] = ERRORS[status] ?? ['INTERNAL_SERVER_ERROR', 'An unexpected error occurred.'];
  const body: S['ErrorResponse'] = {
    meta: { request_id: detail.req.requestId },
    error: { code: detail.code ?? code, message: detail.message ?? message },
  };
  return { status, body, headers: status === 401 ? { 'WWW-Authenticate': 'Bearer realm="Supermetrics API"' } : {} };
}

/** Supermetrics reads every GET parameter either flat or inside one JSON-encoded `json` parameter. */
export function supermetricsParams(query: URLSearchParams): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  for (const [k, v] of query) if (k !== 'json') params[k] = v;
  const json = query.get('json');
  if (json !== null) {
    try {
      const parsed: unknown = JSON.parse(json);
      if (isRecord(parsed)) Object.assign(params, parsed);
    } catch {
      params.json = json;
    }
  }
  return params;
}

const ID = /^[A-Za-z0-9_-]{1,50}$/;
// The seed page's bare 404 of `GET /query/status`; batch endpoints use the standard envelope.
const statusNotFound = (): Reply => ({
  status: 404,
  body: { error: 'STATUS_NOT_FOUND' } satisfies S['StatusNotFound'],
});
const batchNotFound = (req: RouteRequest) => error(404, { req, code: 'NOT_FOUND', message: 'Batch not found.' });
const findBatch = (req: RouteRequest, engine: EngineApi) => {
  const job = engine.find('supermetrics', req.params.batch_id ?? '');
  return job?.kind === 'batch' ? job : undefined;
};
const CONTEXT_TYPES = [
  'json',
  'keyjson',
  'ndjson',
  'parquet',
  'powerbi',
  'qlik',
  'tableau',
  'csv',
  'tsv',
  'pbijson',
  'postman',
];

const routes: Route[] = [
  {
    method: 'GET',
    path: '/query/status',
    operationId: 'getQueryStatus',
    errors: [400, 401, 403, 404, 429, 500],
    notFound: statusNotFound,
    handle(req, engine) {
      const params = supermetricsParams(req.query);
      const id = params.schedule_id;
      if (typeof id !== 'string' || !ID.test(id))
        return error(400, { req, code: 'BAD_REQUEST', message: 'schedule_id is required.' });
      const job = engine.find('supermetrics', id);
      if (job?.kind !== 'query') return statusNotFound();
      // Paging through the rows of an ended query is a results read: it does not move the lifecycle.
      if ((params.offset_start !== undefined || params.offset_end !== undefined) && engine.ended(job)) {
        return engine.results(req, job, (v, rows) => queryStatus(job, v, engine, params, { base: req.base, rows }));
      }
      return engine.poll(req, job, 'status', (v) => queryStatus(job, v, engine, params));
    },
  },
  {
    method: 'GET',
    path: '/query/data/:context_type',
    operationId: 'startQuery',
    errors: [400, 401, 403, 422, 429, 500],
    handle(req, engine) {
      const params = supermetricsParams(req.query);
      if (!CONTEXT_TYPES.includes(req.params.context_type ?? '')) return error(400, { req });
      if (typeof params.ds_id !== 'string' || params.ds_id === '') {
        return error(400, { req, code: 'BAD_REQUEST', message: 'ds_id is required.' });
      }
      const wanted = params.schedule_id;
      if (wanted !== undefined && (typeof wanted !== 'string' || !ID.test(wanted))) {
        return error(422, {
          req,
          code: 'UNPROCESSABLE_ENTITY',
          message: 'schedule_id must match ^[A-Za-z0-9_-]{1,50}$.',
        });
      }
      // Any sync_timeout is answered at once, as if it had run out: the mock only runs queries asynchronously.
      const existing = typeof wanted === 'string' ? engine.find('supermetrics', wanted) : undefined;
      if (existing && existing.kind !== 'query')
        return error(422, { req, code: 'UNPROCESSABLE_ENTITY', message: 'schedule_id is taken.' });
      const job = existing ?? engine.create('supermetrics', 'query', typeof wanted === 'string' ? { id: wanted } : {});
      // The async start answers 202 Accepted, as the async-query docs show.
      return { ...queryStatus(job, engine.observe(job), engine, {}), status: engine.ended(job) ? 200 : 202 };
    },
  },
  {
    method: 'GET',
    path: '/query/results',
    operationId: 'getQueryResults',
    errors: [400, 401, 403, 404, 422, 429, 500],
    handle(req, engine) {
      const id = req.query.get('schedule_id');
      if (id === null || !ID.test(id))
        return error(400, { req, code: 'BAD_REQUEST', message: 'schedule_id is required.' });
      const offset = intParam(req.query, 'offset') ?? 0;
      const limit = intParam(req.query, 'limit') ?? 100;
      if (Number.isNaN(offset) || Number.isNaN(limit) || limit < 1 || limit > 100_000) return error(400, { req });
      const sub = /^(.+)_query_(\d+)$/.exec(id);
      const batch = sub ? engine.find('supermetrics', sub[1] ?? '') : undefined;
      const query = engine.find('supermetrics', id);
      const owner = batch?.kind === 'batch' && sub ? batch : query?.kind === 'query' ? query : undefined;
      const none = () =>
        error(404, { req, code: 'NOT_FOUND', message: 'No results for this schedule_id (not finished or expired).' });
      if (!owner) return none();
      return engine.results(req, owner, (v, override) => {
        let total = 0;
        if (owner.kind === 'batch') {
          const index = Number(sub?.[2]) - 1;
          if (!(index < v.total && engine.item(owner, v, index) === 'succeeded')) return none();
          total = batchQuery(owner, v, engine, req.base, index).result_info?.total_rows ?? 0;
        } else {
          if (statusIn(QUERY_STATUSES, v) !== 'SUCCESS') return none();
          total = override ?? rowCount(owner);
        }
        const data = rowsOf(owner.seed, id, owner.createdAt, offset, Math.min(total, offset + limit));
        // The spec's `text/csv` body is negotiated with `Accept: text/csv`; anything else gets JSON.
        if (/\btext\/csv\b/i.test(req.request.headers.get('accept') ?? '')) {
          return { status: 200, body: csvPage(data), contentType: 'text/csv; charset=utf-8' };
        }
        return {
          status: 200,
          body: { meta: { request_id: engine.requestId(), schedule_id: id, total_rows: total }, data },
        };
      });
    },
  },
  {
    method: 'POST',
    path: '/query/batch',
    operationId: 'createQueryBatch',
    errors: [400, 401, 403, 422, 429, 500],
    async handle(req, engine) {
      const body = await readJson(req.request);
      if (!isRecord(body) || !Array.isArray(body.queries) || body.queries.length === 0) {
        return error(400, { req, code: 'BAD_REQUEST', message: 'queries must be a non-empty array.' });
      }
      const range = (k: string, min: number, max: number) =>
        body[k] === undefined ||
        (Number.isInteger(body[k]) && (body[k] as number) >= min && (body[k] as number) <= max);
      if (!range('timeout_minutes', 5, 60) || !range('query_concurrency', 1, 50)) {
        return error(422, {
          req,
          code: 'UNPROCESSABLE_ENTITY',
          message: 'timeout_minutes or query_concurrency is out of range.',
        });
      }
      const { queries, ...rest } = body;
      // Keep at most 1000 queries' accounts and dates for split_info; later ones are derived.
      const kept = (queries as unknown[]).slice(0, 1000).map((q) => (isRecord(q) ? q : {}));
      const job = engine.create('supermetrics', 'batch', { total: queries.length, meta: { ...rest, queries: kept } });
      return { status: 201, body: batchBody(job, engine.observe(job), engine, req.base) };
    },
  },
  {
    method: 'GET',
    path: '/query/batch/:batch_id',
    operationId: 'getQueryBatch',
    errors: [401, 404, 429, 500],
    notFound: batchNotFound,
    handle(req, engine) {
      const job = findBatch(req, engine);
      if (!job) return batchNotFound(req);
      return engine.poll(req, job, 'batch', (v) => ({ status: 200, body: batchBody(job, v, engine, req.base) }));
    },
  },
  {
    method: 'DELETE',
    path: '/query/batch/:batch_id',
    operationId: 'cancelQueryBatch',
    errors: [401, 404, 429, 500],
    notFound: batchNotFound,
    handle(req, engine) {
      const job = findBatch(req, engine);
      if (!job) return batchNotFound(req);
      return { status: 200, body: batchBody(job, engine.cancel(job), engine, req.base) };
    },
  },
  {
    method: 'GET',
    path: '/query/batch/:batch_id/status',
    operationId: 'getQueryBatchStatus',
    errors: [401, 404, 429, 500],
    notFound: batchNotFound,
    handle(req, engine) {
      const job = findBatch(req, engine);
      if (!job) return batchNotFound(req);
      // Without an offset it is a status read; paging through the queries (any offset) is a results read.
      if (req.query.get('offset') !== null) return engine.results(req, job, (v) => batchStatus(job, v, engine, req));
      return engine.poll(req, job, 'status', (v) => batchStatus(job, v, engine, req));
    },
  },
];

/** The Supermetrics adapter: query status, async query start, query batches. */
export const supermetrics: ProviderAdapter = {
  name: 'supermetrics',
  baseUrl: SUPERMETRICS_BASE_URL,
  kinds: {
    query: { ends: ['succeeded', 'failed', 'cancelled'], defaultTotal: 4, statuses: QUERY_STATUSES },
    batch: {
      ends: ['succeeded', 'partially_succeeded', 'failed', 'cancelled'],
      defaultTotal: 10,
      statuses: BATCH_STATUSES,
      items: QUERY_IN_BATCH,
    },
  },
  unknownStatus: 'PAUSED',
  error,
  headers: (count) => ({ ...rateLimitHeaders(5000, count), 'Access-Control-Allow-Origin': '*' }),
  newId: (kind, random) => (kind === 'batch' ? `qrb_${hex(random, 12)}` : hex(random, 40)),
  credential: (query) => {
    const key = supermetricsParams(query).api_key;
    return typeof key === 'string' ? key : undefined;
  },
  routes,
};
