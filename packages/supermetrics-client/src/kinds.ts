// Supermetrics' job kinds as descriptions: core's client-kit builds the sources and pagers from them.
import { JobCancelledError, JobFailedError, ValidationError } from '@batchwatch/core';
import { type JobKind, type KindResults, snapshotFromKind } from '@batchwatch/core/client-kit';
import { ResultsNotReadyError } from '@batchwatch/core/results';
import type { Middleware } from 'openapi-fetch';
import type { SupermetricsClient } from './client.js';
import { parseSupermetricsError } from './errors.js';
import { paramRules } from './generated/params.gen.js';
import type { components } from './generated/schema.gen.js';
import { parseDelimited } from './text.js';
import {
  n,
  refineSupermetricsBatchStatus,
  SUPERMETRICS,
  supermetricsBatchQueryStatusTable,
  supermetricsBatchStatusTable,
  supermetricsQueryStatusTable,
} from './vocabulary.js';

type Schemas = components['schemas'];
/** The body of `GET /query/status`. */
export type SupermetricsQueryStatus = Schemas['QueryStatusResponse'];
/** A query batch as `GET /query/batch/{batch_id}` returns it (the `data` of the response). */
export type SupermetricsQueryBatch = Schemas['QueryBatch'];
/** The body of `GET /query/batch/{batch_id}/status`. */
export type SupermetricsBatchStatus = Schemas['QueryBatchStatusResponse'];
/** What a batch snapshot keeps as `raw`: the batch and the status counters read beside it. */
export interface SupermetricsBatchRaw {
  batch: SupermetricsQueryBatch;
  status: SupermetricsBatchStatus;
}
/** One result row of a query, as `GET /query/status` sends it in `data`. */
export type SupermetricsRow = Schemas['QueryStatusResponse'] extends { data?: Array<infer R> } ? R : never;
/** One query of a batch, as `GET /query/batch/{batch_id}/status` lists it. */
export type SupermetricsBatchQuery = Schemas['BatchQuery'];
/** Where the results of one finished query of a batch are. */
export type SupermetricsBatchQueryResult = Schemas['BatchQueryResult'];
/** One CSV / TSV result row of `GET /query/results`: every cell as text, keyed by its page's header. */
export type SupermetricsTextRow = Record<string, string>;

/** Options for `supermetricsQueryStatus`. */
export interface SupermetricsQueryStatusOptions {
  /** First row to return once the query succeeded. Defaults to the API's default (`0`). */
  offsetStart?: number;
  /** Last row to return. Defaults to none: all rows of the first page. */
  offsetEnd?: number;
}

/** Rows per `GET /query/status` page: the spec's `data.maxItems`. */
export const SUPERMETRICS_STATUS_PAGE_MAX = 10_000;
/** Rows per `GET /query/results` page: the spec's `limit` maximum. */
export const SUPERMETRICS_RESULTS_PAGE_MAX = 100_000;
/** Queries per `GET /query/batch/{batch_id}/status` page: the spec's `limit` maximum. */
export const SUPERMETRICS_BATCH_PAGE_MAX = 1_000;
// The largest row offset the spec allows (`offset_start`, `offset_end`, `offset`): a query has at most 1,000,000 rows.
const MAX_OFFSET = 1_000_000;

const api = { provider: SUPERMETRICS, paramRules, parseError: parseSupermetricsError } as const;

/** The rows of a finished query, paged through `GET /query/status` with `offset_start` / `offset_end`. */
const statusRows: KindResults<SupermetricsClient, SupermetricsQueryStatus, SupermetricsRow> = {
  operation: 'GET /query/status',
  paging: 'offset',
  defaultPageSize: SUPERMETRICS_STATUS_PAGE_MAX,
  maxPageSize: SUPERMETRICS_STATUS_PAGE_MAX,
  maxOffset: MAX_OFFSET,
  // `offset_end` is the last row wanted. Whether a provider counts it inclusively or not, the next
  // page starts right after the rows that came, so nothing is skipped or repeated either way.
  async read({ client, signal, call, now }, schedule_id, { offset, limit }) {
    const page = await call(
      client.GET('/query/status', {
        params: { query: { json: { schedule_id, offset_start: offset, offset_end: offset + limit - 1 } } },
        signal,
      }),
    );
    // A query that did not succeed has no rows: say why.
    if (page.meta?.status_code !== 'SUCCESS') {
      const snapshot = snapshotFromKind(supermetricsQueryKind, page, now(), schedule_id);
      if (snapshot.status === 'failed') throw new JobFailedError(snapshot);
      if (snapshot.status === 'cancelled') throw new JobCancelledError(snapshot);
      throw new ResultsNotReadyError(snapshot);
    }
    return page;
  },
  items: 'data',
  // `meta.paginate.next` (when sent) says whether rows follow. Without it, a page more than one row
  // short is the last (one short: offset_end may be counted exclusively), so a provider that ignores
  // the offsets cannot make the stream ask again and again.
  more(page, { count, limit }) {
    // Stryker disable next-line OptionalChaining: `read` only returns a page whose meta.status_code is SUCCESS
    const paginate = page.meta?.paginate;
    const more =
      paginate && 'next' in paginate ? typeof paginate.next === 'string' && paginate.next !== '' : count >= limit - 1;
    return count > 0 && more;
  },
};

const isJson = (contentType: string | null) => contentType === null || /\bjson\b/i.test(contentType);

// A CSV or TSV body cannot become rows of a JSON page; refuse it before openapi-fetch tries to parse JSON.
const refuseText: Middleware = {
  onResponse({ response }) {
    if (response.ok && !isJson(response.headers.get('content-type'))) {
      throw new ValidationError(
        'endpoint',
        `JSON results (GET /query/results sent ${response.headers.get('content-type')}; read CSV / TSV with format: 'csv' or 'tsv')`,
      );
    }
    return undefined;
  },
};

type ResultsPage = { data?: unknown; meta?: { total_rows?: unknown } };

// `GET /query/results` pages, whatever their format: `offset` / `limit`, up to 100,000 rows.
const resultsPaging = {
  operation: 'GET /query/results',
  paging: 'offset',
  defaultPageSize: SUPERMETRICS_STATUS_PAGE_MAX,
  maxPageSize: SUPERMETRICS_RESULTS_PAGE_MAX,
  maxOffset: MAX_OFFSET,
} as const;

/** The rows of a finished query, paged through `GET /query/results` with `offset` / `limit`, as JSON. */
export const supermetricsResultsRows: KindResults<SupermetricsClient, ResultsPage, SupermetricsRow> = {
  ...resultsPaging,
  read: ({ client, signal, call }, schedule_id, { offset, limit }) =>
    call(
      client.GET('/query/results', {
        params: { query: { schedule_id, offset, limit } },
        signal,
        middleware: [refuseText],
      }),
    ) as Promise<ResultsPage>,
  items(page) {
    if (!Array.isArray(page.data)) {
      throw new ValidationError('endpoint', 'JSON results with a data array (GET /query/results sent another shape)');
    }
    return page.data as SupermetricsRow[];
  },
  total: (page) => page.meta?.total_rows as number | undefined,
};

const TEXT_ACCEPT = { csv: 'text/csv', tsv: 'text/tab-separated-values' } as const;

/**
 * The rows of a finished query as CSV or TSV pages of `GET /query/results`. The first row of every
 * page is taken as its header (an assumption: the docs do not say); the rows after it become items
 * keyed by it. Only this page is held in memory. A page without rows ends the stream.
 */
export function supermetricsTextRows(
  format: 'csv' | 'tsv',
): KindResults<SupermetricsClient, { text: string }, SupermetricsTextRow> {
  return {
    ...resultsPaging,
    read: ({ client, signal, call }, schedule_id, { offset, limit }) =>
      call(
        client
          .GET('/query/results', {
            params: { query: { schedule_id, offset, limit } },
            headers: { Accept: TEXT_ACCEPT[format] },
            parseAs: 'text',
            signal,
          })
          .then((result) => {
            const type = result.response.headers.get('content-type');
            // String(null) is 'null': a body without a content-type is not JSON.
            if (result.response.ok && /\bjson\b/i.test(String(type))) {
              throw new ValidationError(
                'format',
                `${format} results (GET /query/results sent ${type}; read it with format: 'json')`,
              );
            }
            // A page is an object body: box the text (an empty body is an empty page). An error
            // result is thrown by `call` before its data is read.
            // Stryker disable next-line StringLiteral: any text without a line break is a header without rows, the same empty page as ''
            return { ...result, data: { text: result.data ?? '' } };
          }),
      ),
    items({ text }) {
      const [header, ...rows] = parseDelimited(text, format === 'csv' ? ',' : '\t', format === 'csv');
      // Stryker disable next-line ArrayDeclaration: a page without a header line has no rows to key
      const names = header ?? [];
      return rows.map((cells) => Object.fromEntries(names.map((name, i) => [name, cells[i] ?? ''])));
    },
  };
}

/** A batch query's results: `result_info`, or the older docs' spelling `results_info`; `null` when neither. */
export function supermetricsBatchQueryResult(query: SupermetricsBatchQuery): SupermetricsBatchQueryResult | null {
  return query.result_info ?? query.results_info ?? null;
}

/** The queries of a batch: `GET /query/batch/{batch_id}/status` with `offset` / `limit`. */
const batchQueries: KindResults<SupermetricsClient, SupermetricsBatchStatus, SupermetricsBatchQuery> = {
  operation: 'GET /query/batch/{batch_id}/status',
  paging: 'offset',
  defaultPageSize: SUPERMETRICS_BATCH_PAGE_MAX,
  maxPageSize: SUPERMETRICS_BATCH_PAGE_MAX,
  read: ({ client, signal, call }, batch_id, { offset, limit }) =>
    call(
      client.GET('/query/batch/{batch_id}/status', {
        params: { path: { batch_id }, query: { offset, limit } },
        signal,
      }),
    ),
  items: 'data',
  // The batch's own query count (its progress counters) bounds the stream over a page's claim.
  // Without a total, the stream reads until an empty page rather than guess from a short one.
  total(page) {
    const c = page.meta?.progress;
    return c ? n(c.queued) + n(c.running) + n(c.success) + n(c.failure) : page.meta?.paginate?.total;
  },
  item: {
    status: {
      field: 'status_code',
      table: supermetricsBatchQueryStatusTable,
      refine(status, query, page) {
        // A query without a status_code (always `unknown`) is read from its info.
        if ((query.status_code ?? '') === '') {
          if (query.error_info) return 'failed';
          if (supermetricsBatchQueryResult(query)) return 'succeeded';
        }
        // A query still waiting in a STOPPED batch never runs.
        return status === 'pending' && page?.meta?.status_code === 'STOPPED' ? 'cancelled' : status;
      },
    },
    id: 'schedule_id',
    failure(query, status) {
      const error = query.error_info;
      if (error && (status === 'failed' || error.message || error.code)) {
        const text = [error.message, error.description].filter(Boolean).join(': ');
        const message = text || `query failed${error.status ? ` (HTTP ${error.status})` : ''}`;
        return error.code ? { message, code: error.code } : { message };
      }
      return status === 'failed' ? { message: 'the query failed without error_info' } : undefined;
    },
  },
};

/** Asynchronous queries: `GET /query/status` by schedule id (no cancel), rows as results. */
export const supermetricsQueryKind: JobKind<
  SupermetricsClient,
  SupermetricsQueryStatus,
  SupermetricsRow,
  SupermetricsQueryStatusOptions
> = {
  ...api,
  kind: 'query',
  operation: 'GET /query/status',
  idParam: 'schedule_id',
  read({ client, signal, call, options }, schedule_id) {
    // An offset left undefined is left out of the json= parameter (JSON.stringify drops it).
    const json: Schemas['QueryStatusParams'] = {
      schedule_id,
      offset_start: options.offsetStart,
      offset_end: options.offsetEnd,
    };
    return call(client.GET('/query/status', { params: { query: { json } }, signal }));
  },
  status: { field: 'meta.status_code', table: supermetricsQueryStatusTable },
  progress: { completed: 'meta.progress.queries_ready', total: 'meta.progress.queries_total' },
  failure(_raw, _status, rawStatus) {
    if (rawStatus === 'FAILURE') return { code: 'FAILURE', message: 'the query stopped and failed' };
    if (rawStatus === 'PROCESS_EXITED') return { code: 'PROCESS_EXITED', message: 'the query process exited' };
    return undefined;
  },
  results: statusRows,
};

// Finished queries over all queries: the counters when they came, else the batch's query_amount.
function batchProgress(raw: SupermetricsBatchRaw) {
  const c = raw.status.meta?.progress;
  const success = n(c?.success);
  const failed = n(c?.failure);
  const amount = raw.batch.query_amount;
  const total = c ? n(c.queued) + n(c.running) + success + failed : typeof amount === 'number' ? amount : null;
  return { completed: success + failed, failed, total };
}

/**
 * Query batches: `GET /query/batch/{batch_id}` and the counters of its `/status` (two requests a
 * poll) to tell a finished `STOPPED` batch apart; cancel with `DELETE`; its queries as results.
 */
export const supermetricsBatchKind: JobKind<SupermetricsClient, SupermetricsBatchRaw, SupermetricsBatchQuery> = {
  ...api,
  kind: 'batch',
  operation: 'GET /query/batch/{batch_id}',
  idParam: 'batch_id',
  requestsPerPoll: 2,
  async read({ client, signal, call }, batch_id) {
    const [batch, status] = await Promise.all([
      call(client.GET('/query/batch/{batch_id}', { params: { path: { batch_id } }, signal })),
      call(
        client.GET('/query/batch/{batch_id}/status', { params: { path: { batch_id }, query: { limit: 1 } }, signal }),
      ),
    ]);
    return { batch: batch.data, status } as SupermetricsBatchRaw;
  },
  status: {
    // A batch without a status string (or without `data`) cannot be polled: InvalidResponseError.
    field: 'data.status_code',
    get: (raw) => raw.batch?.status_code,
    table: supermetricsBatchStatusTable,
    refine: (status, raw) => refineSupermetricsBatchStatus(status, raw.batch, raw.status.meta?.progress),
  },
  progress: batchProgress,
  timestamps: {
    createdAt: 'batch.schedule_time',
    startedAt: 'batch.start_time',
    finishedAt: ['batch.end_time', 'batch.cancel_time'],
  },
  // Only the counters make a batch failed or partially_succeeded, so its total is their sum here.
  failure(raw, status) {
    if (status !== 'failed' && status !== 'partially_succeeded') return undefined;
    const { failed, total } = batchProgress(raw);
    return { code: 'QUERY_FAILURES', message: `${failed} of ${total} queries failed` };
  },
  cancel: ({ client, signal, call }, batch_id) =>
    call(client.DELETE('/query/batch/{batch_id}', { params: { path: { batch_id } }, signal })),
  results: batchQueries,
};
