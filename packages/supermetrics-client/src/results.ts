import {
  InvalidResponseError,
  JobCancelledError,
  JobFailedError,
  type ResultContext,
  type ResultItem,
  type ResultPage,
  type ResultPager,
  ValidationError,
} from '@batchwatch/core';
import { objectList, unwrapApiResult } from '@batchwatch/core/client-kit';
import { type ItemStatusTable, mapItemStatus, offsetCursor, ResultsNotReadyError } from '@batchwatch/core/results';
import type { SupermetricsClient } from './client.js';
import { parseSupermetricsError } from './errors.js';
import type { components, KnownBatchQueryStatusCode } from './generated/schema.gen.js';
import { n, supermetricsQuerySnapshot } from './jobs.js';

type Schemas = components['schemas'];
/** One result row of a query, as `GET /query/status` sends it in `data`. */
export type SupermetricsRow = Schemas['QueryStatusResponse'] extends { data?: Array<infer R> } ? R : never;
/** One query of a batch, as `GET /query/batch/{batch_id}/status` lists it. */
export type SupermetricsBatchQuery = Schemas['BatchQuery'];
/** Where the results of one finished query of a batch are. */
export type SupermetricsBatchQueryResult = Schemas['BatchQueryResult'];
/** One CSV / TSV result row of `GET /query/results`: every cell as text, keyed by its page's header. */
export type SupermetricsTextRow = Record<string, string>;

/** Rows per `GET /query/status` page: the spec's `data.maxItems`. */
export const SUPERMETRICS_STATUS_PAGE_MAX = 10_000;
/** Rows per `GET /query/results` page: the spec's `limit` maximum. */
export const SUPERMETRICS_RESULTS_PAGE_MAX = 100_000;
/** Queries per `GET /query/batch/{batch_id}/status` page: the spec's `limit` maximum. */
export const SUPERMETRICS_BATCH_PAGE_MAX = 1_000;
// The largest row offset the spec allows (`offset_start`, `offset_end`, `offset`): a query has at most 1,000,000 rows.
const MAX_OFFSET = 1_000_000;

/** Options for {@link supermetricsQueryRows}. */
export interface SupermetricsQueryRowsOptions {
  /**
   * Where rows come from: `'status'` pages `GET /query/status` with `offset_start` / `offset_end`
   * (the default JSON format, at most 10,000 rows a page); `'results'` pages `GET /query/results`
   * with `offset` / `limit` (at most 100,000 rows a page), e.g. for a batch query's
   * `result_info.results_url` (`<batch_id>_query_<n>`). Defaults to `'status'`.
   */
  endpoint?: 'status' | 'results';
  /**
   * The body format of `GET /query/results` pages (only with `endpoint: 'results'`): `'json'` (the
   * default) reads a `data` array and refuses a text body with a `ValidationError`; `'csv'` / `'tsv'`
   * send `Accept: text/csv` / `text/tab-separated-values` and parse each page as text (CSV per
   * RFC 4180: quoted fields, `""` escapes, CRLF or LF, newlines inside quotes; TSV split on tabs).
   *
   * Assumption (the docs do not say): the first line of every CSV/TSV page is the header, so each row
   * becomes a {@link SupermetricsTextRow} keyed by it. A page with no row after its header, or an
   * empty body, ends the stream.
   */
  format?: 'json' | 'csv' | 'tsv';
}

/**
 * The result rows of a finished query, for `jobResults`: every row is an item with status
 * `succeeded`, id and index = the row's 0-based position. Attached as `results` to
 * `supermetricsQueryStatus(client)`; use this directly for `GET /query/results` rows.
 *
 * A query that is not `SUCCESS` has no rows: `FAILURE` / `PROCESS_EXITED` reject with
 * `JobFailedError`, `STOPPED` with `JobCancelledError`, anything else with `ResultsNotReadyError`.
 *
 * @example
 * for await (const row of jobResults(supermetricsQueryStatus(client), scheduleId)) write(row.raw);
 */
export function supermetricsQueryRows(
  client: SupermetricsClient,
  options: SupermetricsQueryRowsOptions & { endpoint: 'results'; format: 'csv' | 'tsv' },
): ResultPager<SupermetricsTextRow>;
export function supermetricsQueryRows(
  client: SupermetricsClient,
  options?: SupermetricsQueryRowsOptions & { format?: 'json' },
): ResultPager<SupermetricsRow>;
export function supermetricsQueryRows(
  client: SupermetricsClient,
  options?: SupermetricsQueryRowsOptions,
): ResultPager<SupermetricsRow> | ResultPager<SupermetricsTextRow>;
export function supermetricsQueryRows(
  client: SupermetricsClient,
  options: SupermetricsQueryRowsOptions = {},
): ResultPager<SupermetricsRow> | ResultPager<SupermetricsTextRow> {
  const endpoint = options.endpoint ?? 'status';
  const format = options.format ?? 'json';
  if (endpoint !== 'status' && endpoint !== 'results') {
    throw new ValidationError('endpoint', "'status' or 'results'", { received: String(endpoint) });
  }
  if (format !== 'json' && format !== 'csv' && format !== 'tsv') {
    throw new ValidationError('format', "'json', 'csv' or 'tsv'", { received: String(format) });
  }
  if (format !== 'json' && endpoint !== 'results') {
    throw new ValidationError('format', "'json' with endpoint 'status' (read CSV / TSV with endpoint 'results')", {
      received: format,
    });
  }
  if (format !== 'json') {
    return {
      defaultPageSize: SUPERMETRICS_STATUS_PAGE_MAX,
      maxPageSize: SUPERMETRICS_RESULTS_PAGE_MAX,
      fetchPage: (id, cursor, context) => textResultsPage(client, id, cursor, context, format),
    };
  }
  if (endpoint === 'results') {
    return {
      defaultPageSize: SUPERMETRICS_STATUS_PAGE_MAX,
      maxPageSize: SUPERMETRICS_RESULTS_PAGE_MAX,
      fetchPage: (id, cursor, context) => resultsPage(client, id, cursor, context),
    };
  }
  return {
    defaultPageSize: SUPERMETRICS_STATUS_PAGE_MAX,
    maxPageSize: SUPERMETRICS_STATUS_PAGE_MAX,
    fetchPage: (id, cursor, context) => statusPage(client, id, cursor, context),
  };
}

const rowItems = <T>(rows: readonly T[], start: number): ResultItem<T>[] =>
  rows.map((raw, i) => ({ id: String(start + i), index: start + i, status: 'succeeded', raw }));

async function statusPage(
  client: SupermetricsClient,
  schedule_id: string,
  cursor: string | null,
  context: ResultContext,
): Promise<ResultPage<SupermetricsRow>> {
  const start = offsetCursor(cursor);
  // `offset_end` is the last row wanted. Whether a provider counts it inclusively or not, the next
  // page starts right after the rows that came, so nothing is skipped or repeated either way.
  const end = Math.min(MAX_OFFSET, start + context.pageSize - 1);
  const { data, hints } = await unwrapApiResult(
    'supermetrics',
    () =>
      client.GET('/query/status', {
        params: { query: { json: { schedule_id, offset_start: start, offset_end: end } } },
        signal: context.signal,
      }),
    parseSupermetricsError,
    context,
  );
  if (data.meta?.status_code !== 'SUCCESS') {
    const snapshot = supermetricsQuerySnapshot(data, context.now(), schedule_id);
    if (snapshot.status === 'failed') throw new JobFailedError(snapshot);
    if (snapshot.status === 'cancelled') throw new JobCancelledError(snapshot);
    throw new ResultsNotReadyError(snapshot);
  }
  const rows = objectList('supermetrics', 'data', data.data);
  const wanted = end - start + 1;
  if (rows.length > wanted) {
    throw new InvalidResponseError(`supermetrics sent ${rows.length} rows for offsets ${start}-${end}`);
  }
  // `meta.paginate.next` (when sent) says whether rows follow. Without it, a page more than one row
  // short is the last (one short: offset_end may be counted exclusively), so a provider that ignores
  // the offsets cannot make the stream ask again and again.
  const paginate = data.meta?.paginate;
  const more =
    paginate && 'next' in paginate
      ? typeof paginate.next === 'string' && paginate.next !== ''
      : rows.length >= wanted - 1;
  const after = start + rows.length;
  return {
    items: rowItems(rows, start),
    next: rows.length > 0 && more && after <= MAX_OFFSET ? String(after) : null,
    hints,
  };
}

const isJson = (contentType: string | null) => contentType === null || /\bjson\b/i.test(contentType);

async function resultsPage(
  client: SupermetricsClient,
  schedule_id: string,
  cursor: string | null,
  context: ResultContext,
): Promise<ResultPage<SupermetricsRow>> {
  const offset = offsetCursor(cursor);
  const { data, hints } = await unwrapApiResult(
    'supermetrics',
    () =>
      client.GET('/query/results', {
        params: { query: { schedule_id, offset, limit: context.pageSize } },
        signal: context.signal,
        // A CSV or TSV body cannot become rows here; refuse it before openapi-fetch tries to parse JSON.
        middleware: [
          {
            onResponse({ response }) {
              if (response.ok && !isJson(response.headers.get('content-type'))) {
                throw new ValidationError(
                  'endpoint',
                  `JSON results (GET /query/results sent ${response.headers.get('content-type')}; read CSV / TSV with format: 'csv' or 'tsv')`,
                );
              }
              return undefined;
            },
          },
        ],
      }),
    parseSupermetricsError,
    context,
  );
  const rows = (data as { data?: unknown }).data;
  if (!Array.isArray(rows)) {
    throw new ValidationError('endpoint', 'JSON results with a data array (GET /query/results sent another shape)');
  }
  const meta = (data as { meta?: { total_rows?: unknown } }).meta;
  const total = typeof meta?.total_rows === 'number' ? meta.total_rows : null;
  const after = offset + rows.length;
  const more = rows.length > 0 && (total === null || after < total) && after <= MAX_OFFSET;
  return { items: rowItems(rows as SupermetricsRow[], offset), next: more ? String(after) : null, total, hints };
}

const TEXT_ACCEPT = { csv: 'text/csv', tsv: 'text/tab-separated-values' } as const;

/**
 * One CSV / TSV page of `GET /query/results`. The first row of every page is taken as its header
 * (an assumption: the docs do not say); the rows after it become items keyed by it, id and index =
 * `offset + i`. Only this page is held in memory. A page without rows ends the stream.
 */
async function textResultsPage(
  client: SupermetricsClient,
  schedule_id: string,
  cursor: string | null,
  context: ResultContext,
  format: 'csv' | 'tsv',
): Promise<ResultPage<SupermetricsTextRow>> {
  const offset = offsetCursor(cursor);
  const { data, hints } = await unwrapApiResult(
    'supermetrics',
    async () => {
      const result = await client.GET('/query/results', {
        params: { query: { schedule_id, offset, limit: context.pageSize } },
        headers: { Accept: TEXT_ACCEPT[format] },
        parseAs: 'text',
        signal: context.signal,
      });
      const type = result.response.headers.get('content-type');
      if (result.response.ok && type !== null && /\bjson\b/i.test(type)) {
        throw new ValidationError(
          'format',
          `${format} results (GET /query/results sent ${type}; read it with format: 'json')`,
        );
      }
      // unwrapApiResult wants an object body: box the text (an empty body is an empty page).
      return { ...result, data: result.error === undefined ? { text: result.data ?? '' } : undefined };
    },
    parseSupermetricsError,
    context,
  );
  const [header, ...rows] = parseDelimited(data.text, format === 'csv' ? ',' : '\t', format === 'csv');
  const items = rowItems(
    rows.map((cells) => Object.fromEntries(header?.map((name, i) => [name, cells[i] ?? '']) ?? [])),
    offset,
  );
  const after = offset + items.length;
  return { items, next: items.length > 0 && after <= MAX_OFFSET ? String(after) : null, hints };
}

/**
 * Rows of a CSV (RFC 4180: `quotes` on) or TSV (`quotes` off: split on the delimiter) text: fields
 * in double quotes may hold the delimiter, `""` and line breaks; rows end at CRLF or LF. A leading
 * BOM and blank lines are dropped; an unterminated quote is an `InvalidResponseError`.
 */
function parseDelimited(text: string, delimiter: string, quotes: boolean): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const endRow = () => {
    row.push(field);
    if (row.length > 1 || row[0] !== '' || quoted) rows.push(row);
    row = [];
    field = '';
    quoted = false;
  };
  while (i < text.length) {
    const c = text[i] as string;
    if (quotes && c === '"' && field === '' && !quoted) {
      quoted = true;
      let end = i + 1;
      for (;;) {
        const q = text.indexOf('"', end);
        if (q === -1) {
          throw new InvalidResponseError('supermetrics sent a CSV page with an unterminated quoted field', {
            bodySnippet: text.slice(i, i + 200),
          });
        }
        field += text.slice(end, q);
        if (text[q + 1] === '"') {
          field += '"';
          end = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
    } else if (c === delimiter) {
      row.push(field);
      field = '';
      quoted = false;
      i++;
    } else if (c === '\n' || c === '\r') {
      endRow();
      i += c === '\r' && text[i + 1] === '\n' ? 2 : 1;
    } else {
      // An unquoted run up to the next delimiter or line break, sliced at once.
      let j = i + 1;
      while (j < text.length && text[j] !== delimiter && text[j] !== '\n' && text[j] !== '\r') j++;
      field += text.slice(i, j);
      i = j;
    }
  }
  if (field !== '' || row.length > 0 || quoted) endRow();
  return rows;
}

/**
 * Every per-query `status_code` of a batch and its `ItemStatus`. A query still `QUEUED` or
 * `RUNNING` in a `STOPPED` batch never runs: {@link supermetricsBatchQueries} reports it `cancelled`.
 */
export const supermetricsBatchQueryStatusTable: ItemStatusTable<KnownBatchQueryStatusCode> = {
  QUEUED: 'pending',
  RUNNING: 'pending',
  SUCCESS: 'succeeded',
  FAILURE: 'failed',
};

/** A batch query's results: `result_info`, or the older docs' spelling `results_info`; `null` when neither. */
export function supermetricsBatchQueryResult(query: SupermetricsBatchQuery): SupermetricsBatchQueryResult | null {
  return query.result_info ?? query.results_info ?? null;
}

/** Normalizes one query of a batch; `stopped` says the batch is `STOPPED` (its unfinished queries never run). */
export function supermetricsBatchQueryItem(
  query: SupermetricsBatchQuery,
  index: number,
  stopped = false,
): ResultItem<SupermetricsBatchQuery> {
  let status = mapItemStatus(supermetricsBatchQueryStatusTable, query.status_code, 'status_code');
  if (status === 'unknown' && (query.status_code ?? '') === '') {
    if (query.error_info) status = 'failed';
    else if (supermetricsBatchQueryResult(query)) status = 'succeeded';
  }
  if (status === 'pending' && stopped) status = 'cancelled';
  const item: ResultItem<SupermetricsBatchQuery> = {
    id: query.schedule_id || String(index),
    index,
    status,
    raw: query,
  };
  const error = query.error_info;
  if (error && (status === 'failed' || error.message || error.code)) {
    const text = [error.message, error.description].filter(Boolean).join(': ');
    item.failure = { message: text || `query failed${error.status ? ` (HTTP ${error.status})` : ''}` };
    if (error.code) item.failure.code = error.code;
  } else if (status === 'failed') {
    item.failure = { message: 'the query failed without error_info' };
  }
  return item;
}

/**
 * The queries of a batch, for `jobResults`: pages `GET /query/batch/{batch_id}/status` with
 * `offset` / `limit` (at most 1,000 a page), one item per query with its `error_info` as `failure`
 * (`result_info` / `results_info` stay in `raw`; see {@link supermetricsBatchQueryResult}).
 * Attached as `results` to `supermetricsBatch(client)`.
 */
export function supermetricsBatchQueries(client: SupermetricsClient): ResultPager<SupermetricsBatchQuery> {
  return {
    defaultPageSize: SUPERMETRICS_BATCH_PAGE_MAX,
    maxPageSize: SUPERMETRICS_BATCH_PAGE_MAX,
    async fetchPage(batch_id, cursor, context) {
      const offset = offsetCursor(cursor);
      const { data, hints } = await unwrapApiResult(
        'supermetrics',
        () =>
          client.GET('/query/batch/{batch_id}/status', {
            params: { path: { batch_id }, query: { offset, limit: context.pageSize } },
            signal: context.signal,
          }),
        parseSupermetricsError,
        context,
      );
      const queries = objectList('supermetrics', 'data', data.data);
      const stopped = data.meta?.status_code === 'STOPPED';
      // The batch's own query count (its progress counters) bounds the stream over a page's claim.
      const counters = data.meta?.progress;
      const reported = counters
        ? n(counters.queued) + n(counters.running) + n(counters.success) + n(counters.failure)
        : data.meta?.paginate?.total;
      const total = typeof reported === 'number' ? reported : null;
      const after = offset + queries.length;
      // Without a total, read until an empty page rather than guess from a short one.
      const more = queries.length > 0 && (total === null || after < total);
      return {
        items: queries.map((q, i) => supermetricsBatchQueryItem(q, offset + i, stopped)),
        next: more ? String(after) : null,
        total,
        hints,
      };
    },
  };
}
