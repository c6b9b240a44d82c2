import { type ResultItem, type ResultPager, ValidationError } from '@batchwatch/core';
import { createResultPager, itemFromKind } from '@batchwatch/core/client-kit';
import type { SupermetricsClient } from './client.js';
import {
  type SupermetricsBatchQuery,
  type SupermetricsBatchStatus,
  type SupermetricsRow,
  type SupermetricsTextRow,
  supermetricsBatchKind,
  supermetricsQueryKind,
  supermetricsResultsRows,
  supermetricsTextRows,
} from './kinds.js';

export {
  SUPERMETRICS_BATCH_PAGE_MAX,
  SUPERMETRICS_RESULTS_PAGE_MAX,
  SUPERMETRICS_STATUS_PAGE_MAX,
  type SupermetricsBatchQuery,
  type SupermetricsBatchQueryResult,
  type SupermetricsRow,
  type SupermetricsTextRow,
  supermetricsBatchQueryResult,
} from './kinds.js';
export { supermetricsBatchQueryStatusTable } from './vocabulary.js';

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
  if (format !== 'json') return createResultPager(supermetricsQueryKind, client, {}, supermetricsTextRows(format));
  if (endpoint === 'results') return createResultPager(supermetricsQueryKind, client, {}, supermetricsResultsRows);
  return createResultPager(supermetricsQueryKind, client);
}

// The page a STOPPED batch's queries come in: its waiting queries never run.
const STOPPED: SupermetricsBatchStatus = { meta: { status_code: 'STOPPED' } };

/** Normalizes one query of a batch; `stopped` says the batch is `STOPPED` (its unfinished queries never run). */
export function supermetricsBatchQueryItem(
  query: SupermetricsBatchQuery,
  index: number,
  stopped = false,
): ResultItem<SupermetricsBatchQuery> {
  return itemFromKind(supermetricsBatchKind.results?.item, query, index, stopped ? STOPPED : undefined);
}

/**
 * The queries of a batch, for `jobResults`: pages `GET /query/batch/{batch_id}/status` with
 * `offset` / `limit` (at most 1,000 a page), one item per query with its `error_info` as `failure`
 * (`result_info` / `results_info` stay in `raw`; see {@link supermetricsBatchQueryResult}).
 * Attached as `results` to `supermetricsBatch(client)`.
 */
export function supermetricsBatchQueries(client: SupermetricsClient): ResultPager<SupermetricsBatchQuery> {
  return createResultPager(supermetricsBatchKind, client);
}
