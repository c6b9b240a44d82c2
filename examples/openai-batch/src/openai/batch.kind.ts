// The openai batch job kind: how batchwatch reads one batch. Written once by
// `batchwatch generate` as a starting point; it is yours now: later runs never overwrite it (delete it
// to get a fresh one). The 3 TODOs below fail typecheck until you choose.
import type { JobSource } from '@batchwatch/core';
import { createJobSource, type JobKind, type StatusTable } from '@batchwatch/core/client-kit';
import {
  type KnownOpenaiBatchStatus,
  OPENAI,
  type OpenaiBatch,
  type OpenaiClient,
  parseOpenaiError,
} from './client.gen.js';
import { paramRules } from './params.gen.js';

/**
 * Every documented `status` of `GET /batches/{batch_id}` and its JobStatus: `queued` (accepted,
 * not started), `running`, or an end: `succeeded`, `partially_succeeded` (some items failed),
 * `failed` or `cancelled`. A status the spec gains fails typecheck here; one it never documented
 * reads as `unknown` (not an end: polling goes on).
 */
export const openaiBatchStatusTable: StatusTable<KnownOpenaiBatchStatus> = {
  validating: 'queued',
  failed: 'failed',
  in_progress: 'running',
  finalizing: 'TODO: choose queued, running, succeeded, partially_succeeded, failed or cancelled',
  completed: 'succeeded',
  expired: 'TODO: choose queued, running, succeeded, partially_succeeded, failed or cancelled',
  cancelling: 'TODO: choose queued, running, succeeded, partially_succeeded, failed or cancelled',
  cancelled: 'cancelled',
};

/** openai batch jobs: `GET /batches/{batch_id}`; cancel: `POST /batches/{batch_id}/cancel`. */
export const openaiBatchKind: JobKind<OpenaiClient, OpenaiBatch> = {
  provider: OPENAI,
  kind: 'batch',
  operation: 'GET /batches/{batch_id}',
  idParam: 'batch_id',
  paramRules,
  parseError: parseOpenaiError,
  read: ({ client, signal, call }, id) =>
    call(client.GET('/batches/{batch_id}', { params: { path: { batch_id: id } }, signal })),
  status: { field: 'status', table: openaiBatchStatusTable },
  // Guessed from the field names: `request_counts.completed` is taken to count the items that
  // succeeded, so the ones that ended are it plus `request_counts.failed`. Check it against the API's
  // docs.
  progress: {
    completed: ['request_counts.completed', 'request_counts.failed'],
    failed: 'request_counts.failed',
    total: 'request_counts.total',
  },
  // Not read as timestamps: created_at, in_progress_at, completed_at (not strings; snapshots carry ISO
  // 8601 strings).
  failure: (_raw, status, rawStatus) =>
    status === 'failed' ? { code: rawStatus, message: `the batch ended ${rawStatus}` } : undefined,
  cancel: ({ client, signal, call }, id) =>
    call(client.POST('/batches/{batch_id}/cancel', { params: { path: { batch_id: id } }, signal })),
};

/** A job source for openai batch jobs: `waitForJob(openaiBatch(client), id)`, `watchJob`, `useBatch`... */
export function openaiBatch(client: OpenaiClient): JobSource<OpenaiBatch> {
  return createJobSource(openaiBatchKind, client);
}
