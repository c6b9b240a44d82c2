// The openai batch job kind: how batchwatch reads one batch. Written once by
// `batchwatch generate` as a starting point; it is yours now: later runs never overwrite it (delete it
// to get a fresh one). The 3 TODOs below fail typecheck until you choose.
//
// This example chose (see the README's "Statuses"):
// - `finalizing` is `running`: every request has run and OpenAI is writing the output and error files;
//   nothing can be downloaded yet, so it is not an end.
// - `cancelling` is `running`: a cancel was asked for; OpenAI stops within about 10 minutes and then
//   says `cancelled`.
// - `expired` is `failed`, with the failure code `expired`: the batch did not finish in its 24 h
//   completion window. Requests that did finish have results in the output file, but the batch did
//   not do its job, so it is not a success; `failure.message` says how many requests were left.
// - `completed` with failed requests is `partially_succeeded` (`failed` when none succeeded), like Check.
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
  finalizing: 'running',
  completed: 'succeeded',
  expired: 'failed',
  cancelling: 'running',
  cancelled: 'cancelled',
};

const count = (n: number | undefined) => (typeof n === 'number' && Number.isFinite(n) ? n : 0);

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
  status: {
    field: 'status',
    table: openaiBatchStatusTable,
    // A batch `completed` with failed requests: some results are in the error file.
    refine(status, batch) {
      const failed = count(batch.request_counts?.failed);
      if (status !== 'succeeded' || failed === 0) return status;
      return count(batch.request_counts?.completed) > 0 ? 'partially_succeeded' : 'failed';
    },
  },
  // `request_counts.completed` counts the requests that succeeded (OpenAI's docs), so the ones that
  // ended are it plus `request_counts.failed`.
  progress: {
    completed: ['request_counts.completed', 'request_counts.failed'],
    failed: 'request_counts.failed',
    total: 'request_counts.total',
  },
  // Unix seconds, which snapshots carry as ISO 8601. A batch ends in the field of its end.
  timestamps: {
    createdAt: 'created_at',
    startedAt: 'in_progress_at',
    finishedAt: ['completed_at', 'failed_at', 'expired_at', 'cancelled_at'],
  },
  failure(batch, status, rawStatus) {
    const { completed = 0, failed = 0, total = 0 } = batch.request_counts ?? {};
    if (rawStatus === 'expired') {
      return {
        code: 'expired',
        message: `the batch expired after its ${batch.completion_window} window with ${total - completed - failed} of ${total} requests not run`,
      };
    }
    if (rawStatus === 'failed') {
      // OpenAI fails a batch before it runs, when its input file does not validate: `errors` says why.
      const first = batch.errors?.data?.[0];
      return {
        code: first?.code ?? 'failed',
        message: first?.message ?? 'the batch failed before it ran (its input file did not validate)',
      };
    }
    // `completed` with failed requests (partially_succeeded, or failed when none succeeded).
    if (status === 'failed' || status === 'partially_succeeded') {
      return { code: 'request_failures', message: `${failed} of ${total} requests failed (see error_file_id)` };
    }
    return undefined;
  },
  cancel: ({ client, signal, call }, id) =>
    call(client.POST('/batches/{batch_id}/cancel', { params: { path: { batch_id: id } }, signal })),
};

/** A job source for openai batch jobs: `waitForJob(openaiBatch(client), id)`, `watchJob`, `useBatch`... */
export function openaiBatch(client: OpenaiClient): JobSource<OpenaiBatch> {
  return createJobSource(openaiBatchKind, client);
}
