import {
  InvalidResponseError,
  type JobSnapshot,
  type JobSource,
  type JobStatus,
  type PollHints,
  type SourceContext,
  type StatusTable,
} from '@batchwatch/core';
import { createSnapshot, mapStatus, paramValidator, statusOf, unwrapApiResult } from '@batchwatch/core/client-kit';
import type { SupermetricsClient } from './client.js';
import { parseSupermetricsError } from './errors.js';
import { paramRules } from './generated/params.gen.js';
import type { components, KnownQueryStatusCode, operations } from './generated/schema.gen.js';
import {
  type SupermetricsBatchQuery,
  type SupermetricsRow,
  supermetricsBatchQueries,
  supermetricsQueryRows,
} from './results.js';

/** The body of `GET /query/status`. */
export type SupermetricsQueryStatus = components['schemas']['QueryStatusResponse'];
/** A query batch as `GET /query/batch/{batch_id}` returns it (the `data` of the response). */
export type SupermetricsQueryBatch = components['schemas']['QueryBatch'];
/** The body of `GET /query/batch/{batch_id}/status`. */
export type SupermetricsBatchStatus = components['schemas']['QueryBatchStatusResponse'];
/** What a batch snapshot keeps as `raw`: the batch and the status counters read beside it. */
export interface SupermetricsBatchRaw {
  batch: SupermetricsQueryBatch;
  status: SupermetricsBatchStatus;
}

/**
 * Every documented query `status_code` and its {@link JobStatus}. `STOPPED` ("query was aborted")
 * is `cancelled`; `PROCESS_EXITED` (only in the SDK's spec) is `failed`.
 */
export const supermetricsQueryStatusTable: StatusTable<KnownQueryStatusCode> = {
  SCHEDULED: 'queued',
  QUEUED: 'queued',
  RUNNING: 'running',
  SUCCESS: 'succeeded',
  FAILURE: 'failed',
  STOPPED: 'cancelled',
  PROCESS_EXITED: 'failed',
};

/** @internal A count from a body: a finite number, else 0. */
export const n = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/** Normalizes a `GET /query/status` body. Progress is `queries_ready / queries_total`; the total may grow. */
export function supermetricsQuerySnapshot(
  body: SupermetricsQueryStatus,
  observedAt: number,
  id = body.meta?.schedule_id ?? '',
): JobSnapshot<SupermetricsQueryStatus> {
  const rawStatus = statusOf('supermetrics', 'meta.status_code', body.meta?.status_code);
  const status = mapStatus(supermetricsQueryStatusTable, rawStatus);
  const progress = body.meta?.progress;
  let failure: { code?: string; message: string } | undefined;
  if (rawStatus === 'FAILURE') failure = { code: 'FAILURE', message: 'the query stopped and failed' };
  if (rawStatus === 'PROCESS_EXITED') failure = { code: 'PROCESS_EXITED', message: 'the query process exited' };
  return createSnapshot({
    provider: 'supermetrics',
    kind: 'query',
    id,
    status,
    rawStatus,
    progress: {
      completed: n(progress?.queries_ready),
      total: typeof progress?.queries_total === 'number' ? progress.queries_total : null,
    },
    ...(failure ? { failure } : {}),
    observedAt,
    raw: body,
  });
}

/**
 * The {@link JobStatus} of a query batch. Supermetrics only says `QUEUED`, `RUNNING` or `STOPPED`,
 * so `STOPPED` is told apart: with `cancel_time` it is `cancelled`; otherwise the counters of
 * `GET /query/batch/{id}/status` decide: no failed query -> `succeeded`, some -> `partially_succeeded`,
 * all -> `failed`. HTTP 200 vs 202 is never used.
 */
export function supermetricsBatchStatus(
  batch: Pick<SupermetricsQueryBatch, 'status_code' | 'cancel_time'>,
  counters: { success?: number; failure?: number } | undefined,
): JobStatus {
  switch (batch.status_code) {
    case 'QUEUED':
      return 'queued';
    case 'RUNNING':
      return 'running';
    case 'STOPPED': {
      if (batch.cancel_time) return 'cancelled';
      const failed = n(counters?.failure);
      if (failed === 0) return 'succeeded';
      return n(counters?.success) > 0 ? 'partially_succeeded' : 'failed';
    }
    default:
      return 'unknown';
  }
}

/** Normalizes a batch and its status counters. Progress is finished queries over all queries. */
export function supermetricsBatchSnapshot(
  raw: SupermetricsBatchRaw,
  observedAt: number,
  id = raw.batch.batch_id ?? '',
): JobSnapshot<SupermetricsBatchRaw> {
  const counters = raw.status.meta?.progress;
  const status = supermetricsBatchStatus(raw.batch, counters);
  const success = n(counters?.success);
  const failed = n(counters?.failure);
  const counted = n(counters?.queued) + n(counters?.running) + success + failed;
  const total = counters ? counted : typeof raw.batch.query_amount === 'number' ? raw.batch.query_amount : null;
  const failure =
    status === 'failed' || status === 'partially_succeeded'
      ? { code: 'QUERY_FAILURES', message: `${failed} of ${counted} queries failed` }
      : undefined;
  return createSnapshot({
    provider: 'supermetrics',
    kind: 'batch',
    id,
    status,
    rawStatus: raw.batch.status_code ?? null,
    progress: { completed: success + failed, failed, total },
    timestamps: {
      createdAt: raw.batch.schedule_time,
      startedAt: raw.batch.start_time,
      finishedAt: raw.batch.end_time ?? raw.batch.cancel_time ?? undefined,
    },
    ...(failure ? { failure } : {}),
    observedAt,
    raw,
  });
}

const validateScheduleId = paramValidator(paramRules, 'GET /query/status', 'schedule_id');
const validateBatchId = paramValidator(paramRules, 'GET /query/batch/{batch_id}', 'batch_id');

/** Options for {@link supermetricsQueryStatus}. */
export interface SupermetricsQueryStatusOptions {
  /** First row to return once the query succeeded. Defaults to the API's default (`0`). */
  offsetStart?: number;
  /** Last row to return. Defaults to none: all rows of the first page. */
  offsetEnd?: number;
}

/**
 * A job source for asynchronous queries: polls `GET /query/status` (`json=` form) by schedule id.
 * Supermetrics has no cancel for a single query, so this source has no `cancel`.
 */
export function supermetricsQueryStatus(
  client: SupermetricsClient,
  options: SupermetricsQueryStatusOptions = {},
): JobSource<SupermetricsQueryStatus, SupermetricsRow> {
  return {
    provider: 'supermetrics',
    kind: 'query',
    validateId: validateScheduleId,
    results: supermetricsQueryRows(client),
    async fetchSnapshot(id: string, context: SourceContext) {
      const json: components['schemas']['QueryStatusParams'] = { schedule_id: id };
      if (options.offsetStart !== undefined) json.offset_start = options.offsetStart;
      if (options.offsetEnd !== undefined) json.offset_end = options.offsetEnd;
      const { data, hints } = await unwrapApiResult(
        'supermetrics',
        () => client.GET('/query/status', { params: { query: { json } }, signal: context.signal }),
        parseSupermetricsError,
        context,
      );
      return { snapshot: supermetricsQuerySnapshot(data, context.now(), id), hints };
    },
  };
}

function mergeHints(a: PollHints, b: PollHints): PollHints {
  const merged: PollHints = { ...b, ...a };
  if (a.retryAfterMs !== undefined || b.retryAfterMs !== undefined) {
    merged.retryAfterMs = Math.max(a.retryAfterMs ?? 0, b.retryAfterMs ?? 0);
  }
  return merged;
}

/**
 * A job source for query batches: reads `GET /query/batch/{batch_id}` and the counters of
 * `GET /query/batch/{batch_id}/status` (two requests a poll) to tell a finished `STOPPED` batch
 * apart. `cancel` sends `DELETE /query/batch/{batch_id}`.
 */
export function supermetricsBatch(client: SupermetricsClient): JobSource<SupermetricsBatchRaw, SupermetricsBatchQuery> {
  const read = async (batch_id: string, context: SourceContext) => {
    const call = <T>(fn: () => Promise<{ data?: T; error?: unknown; response: Response }>) =>
      unwrapApiResult('supermetrics', fn, parseSupermetricsError, context);
    const [batch, status] = await Promise.all([
      call(() => client.GET('/query/batch/{batch_id}', { params: { path: { batch_id } }, signal: context.signal })),
      call(() =>
        client.GET('/query/batch/{batch_id}/status', {
          params: { path: { batch_id }, query: { limit: 1 } },
          signal: context.signal,
        }),
      ),
    ]);
    // A batch without a status string (or without `data`) cannot be polled: InvalidResponseError.
    statusOf('supermetrics', 'data.status_code', batch.data.data?.status_code);
    const raw = { batch: batch.data.data, status: status.data } as SupermetricsBatchRaw;
    return {
      snapshot: supermetricsBatchSnapshot(raw, context.now(), batch_id),
      hints: mergeHints(batch.hints, status.hints),
    };
  };
  return {
    provider: 'supermetrics',
    kind: 'batch',
    requestsPerPoll: 2,
    validateId: validateBatchId,
    results: supermetricsBatchQueries(client),
    fetchSnapshot: read,
    async cancel(batch_id: string, context: SourceContext) {
      await unwrapApiResult(
        'supermetrics',
        () => client.DELETE('/query/batch/{batch_id}', { params: { path: { batch_id } }, signal: context.signal }),
        parseSupermetricsError,
        context,
      );
      return undefined;
    },
  };
}

/** The context types `GET /query/data/{context_type}` accepts. */
export type SupermetricsContextType = operations['startQuery']['parameters']['path']['context_type'];

/**
 * Starts a query asynchronously (`GET /query/data/{context_type}` with `sync_timeout: 0`) and
 * returns its schedule id, to watch with {@link supermetricsQueryStatus}.
 */
export async function startSupermetricsQuery(
  client: SupermetricsClient,
  params: Omit<components['schemas']['QueryDataParams'], 'sync_timeout' | 'api_key'>,
  options: { contextType?: SupermetricsContextType; signal?: AbortSignal; now?: () => number } = {},
): Promise<{ scheduleId: string; snapshot: JobSnapshot<SupermetricsQueryStatus> }> {
  const signal = options.signal ?? new AbortController().signal;
  const now = options.now ?? Date.now;
  const { data } = await unwrapApiResult(
    'supermetrics',
    () =>
      client.GET('/query/data/{context_type}', {
        params: {
          path: { context_type: options.contextType ?? 'json' },
          query: { json: { ...params, sync_timeout: 0 } },
        },
        signal,
      }),
    parseSupermetricsError,
    { signal, now },
  );
  const scheduleId = data.meta?.schedule_id;
  if (!scheduleId) throw new InvalidResponseError('supermetrics sent no meta.schedule_id for the started query');
  return { scheduleId, snapshot: supermetricsQuerySnapshot(data, now(), scheduleId) };
}
