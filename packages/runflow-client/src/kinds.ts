// Runflow's job kinds as descriptions: core's client-kit builds the sources and pagers from them.
import type { JobStatus } from '@batchwatch/core';
import type { JobKind, KindResults } from '@batchwatch/core/client-kit';
import type { RunflowClient } from './client.js';
import { parseRunflowError } from './errors.js';
import { paramRules } from './generated/params.gen.js';
import type { components } from './generated/schema.gen.js';
import { RUNFLOW, runflowBatchStatusTable, runflowItemStatusTable, runflowRunStatusTable } from './vocabulary.js';

/** A Runflow batch as `GET /v1/batches/{id}` returns it. */
export type RunflowBatch = components['schemas']['Batch'];
/** A Runflow run as `GET /v1/runs/{id}` returns it. */
export type RunflowRun = components['schemas']['Run'];
/** One item of a batch as `GET /v1/batches/{batch_id}/items` lists it, with its nested run. */
export type RunflowBatchItem = components['schemas']['BatchItem'];

/** Items per `GET /v1/batches/{batch_id}/items` page: the spec's `limit` maximum. */
export const RUNFLOW_ITEMS_PAGE_MAX = 500;

const api = { provider: RUNFLOW, paramRules, parseError: parseRunflowError, idParam: 'id' } as const;

/**
 * The failure of a batch or run: `failure_message` (or else `failure_code`) with the code; a failed
 * one that sends neither gets a default message naming `kind`.
 */
function failureOf(kind: 'batch' | 'run') {
  return (raw: { failure_code?: string | null; failure_message?: string | null }, status: JobStatus) => {
    const message = raw.failure_message || raw.failure_code;
    if (message) {
      const out: { code?: string; message: string } = { message };
      if (raw.failure_code) out.code = raw.failure_code;
      return out;
    }
    return status === 'failed' ? { message: `the ${kind} failed without a failure_message` } : undefined;
  };
}

const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/**
 * The items of a batch: `GET /v1/batches/{batch_id}/items` with its `pq` / `next_pq` cursor, one
 * item per input with its live status, the error (or the nested run's failure) as `failure`. The
 * first page also reads the batch, whose `items_total` bounds the stream.
 */
const items: KindResults<RunflowClient, components['schemas']['BatchItemList'], RunflowBatchItem> = {
  operation: 'GET /v1/batches/{batch_id}/items',
  paging: 'cursor',
  defaultPageSize: RUNFLOW_ITEMS_PAGE_MAX,
  maxPageSize: RUNFLOW_ITEMS_PAGE_MAX,
  read: ({ client, signal, call }, batch_id, { cursor, limit }) =>
    call(
      client.GET('/v1/batches/{batch_id}/items', {
        params: { path: { batch_id }, query: cursor === null ? { limit } : { limit, pq: cursor } },
        signal,
      }),
    ),
  items: 'items',
  next: 'next_pq',
  total: 'job',
  item: {
    status: { field: 'status_code', table: runflowItemStatusTable },
    id: 'id',
    index: 'sequence_index',
    failure(item, status) {
      // The item's `error` object is free-form; the nested run carries failure_code / failure_message.
      const code = text(item.error?.code) ?? text(item.run?.failure_code);
      const message = text(item.error?.message) ?? text(item.run?.failure_message) ?? code;
      if (message === undefined) {
        return status === 'failed' ? { message: 'the item failed without an error' } : undefined;
      }
      return { message, ...(code === undefined ? {} : { code }) };
    },
  },
};

/** Runflow batches: `GET /v1/batches/{id}`, no public cancel, items as results. */
export const runflowBatchKind: JobKind<RunflowClient, RunflowBatch, RunflowBatchItem> = {
  ...api,
  kind: 'batch',
  operation: 'GET /v1/batches/{id}',
  read: ({ client, signal, call }, id) => call(client.GET('/v1/batches/{id}', { params: { path: { id } }, signal })),
  status: { field: 'status_code', table: runflowBatchStatusTable },
  // Failed and cancelled items reached an end too, and count as failures.
  progress: {
    completed: ['items_succeeded', 'items_failed', 'items_cancelled'],
    failed: ['items_failed', 'items_cancelled'],
    total: 'items_total',
  },
  timestamps: { createdAt: 'created_at', startedAt: 'started_at', finishedAt: 'completed_at' },
  failure: failureOf('batch'),
  results: items,
};

/** Single Runflow runs: `GET /v1/runs/{id}`, progress in nodes. */
export const runflowRunKind: JobKind<RunflowClient, RunflowRun> = {
  ...api,
  kind: 'run',
  operation: 'GET /v1/runs/{id}',
  read: ({ client, signal, call }, id) => call(client.GET('/v1/runs/{id}', { params: { path: { id } }, signal })),
  status: { field: 'status_code', table: runflowRunStatusTable },
  progress: { completed: 'nodes_completed', total: 'nodes_total' },
  timestamps: { createdAt: 'created_at', startedAt: 'started_at', finishedAt: 'completed_at' },
  failure: failureOf('run'),
};
