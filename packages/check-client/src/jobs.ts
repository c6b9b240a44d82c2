import type { JobSnapshot, JobSource, JobStatus, SourceContext, StatusTable } from '@batchwatch/core';
import { createSnapshot, mapStatus, paramValidator, statusOf, unwrapApiResult } from '@batchwatch/core/client-kit';
import type { CheckClient } from './client.js';
import { parseCheckError } from './errors.js';
import { paramRules } from './generated/params.gen.js';
import type { components, KnownBatchStatus } from './generated/schema.gen.js';
import { type CheckResultItem, checkBatchResults } from './results.js';

/** A Check batch as `GET /v1/batch/{id}` returns it. */
export type CheckBatch = components['schemas']['Batch'];

/**
 * Every documented batch `status` and its {@link JobStatus}. `completed` means every item reached
 * an end, not that all succeeded: {@link checkBatchStatus} turns a `completed` batch with failures
 * into `partially_succeeded` (or `failed` when no item succeeded).
 */
export const checkBatchStatusTable: StatusTable<KnownBatchStatus> = {
  pending: 'queued',
  validating: 'queued',
  processing: 'running',
  completed: 'succeeded',
  failed: 'failed',
  cancelled: 'cancelled',
};

const n = (v: number | null | undefined): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/** The {@link JobStatus} of a Check batch, looking at `failureCount` when it is `completed`. */
export function checkBatchStatus(batch: Pick<CheckBatch, 'status' | 'successCount' | 'failureCount'>): JobStatus {
  const status = mapStatus(checkBatchStatusTable, statusOf('check', 'status', batch.status));
  if (status !== 'succeeded' || n(batch.failureCount) === 0) return status;
  return n(batch.successCount) > 0 ? 'partially_succeeded' : 'failed';
}

/** Normalizes a Check batch. Progress is `processedItems / totalItems`; failures are `failureCount`. */
export function checkBatchSnapshot(batch: CheckBatch, observedAt: number, id = batch.id): JobSnapshot<CheckBatch> {
  const status = checkBatchStatus(batch);
  let failure: { code?: string; message: string } | undefined;
  if (batch.errorMessage) {
    failure = { message: batch.errorMessage };
    if (batch.validationErrors?.length) failure.code = 'validation_error';
  } else if (status === 'failed' || status === 'partially_succeeded') {
    failure = { code: 'item_failures', message: `${n(batch.failureCount)} of ${n(batch.totalItems)} items failed` };
  }
  return createSnapshot({
    provider: 'check',
    kind: 'batch',
    id,
    status,
    rawStatus: batch.status ?? null,
    progress: {
      completed: n(batch.processedItems),
      failed: n(batch.failureCount),
      total: typeof batch.totalItems === 'number' ? batch.totalItems : null,
    },
    timestamps: {
      createdAt: batch.createdAt,
      startedAt: batch.startedAt ?? undefined,
      finishedAt: batch.completedAt ?? undefined,
    },
    ...(failure ? { failure } : {}),
    observedAt,
    raw: batch,
  });
}

const validateBatchId = paramValidator(paramRules, 'GET /v1/batch/{id}', 'id');

/** A job source for Check batches (`GET /v1/batch/{id}`); `cancel` sends `POST /v1/batch/{id}/cancel`. */
export function checkBatch(client: CheckClient): JobSource<CheckBatch, CheckResultItem> {
  return {
    provider: 'check',
    kind: 'batch',
    validateId: validateBatchId,
    results: checkBatchResults(client),
    async fetchSnapshot(id: string, context: SourceContext) {
      const { data, hints } = await unwrapApiResult(
        'check',
        () => client.GET('/v1/batch/{id}', { params: { path: { id } }, signal: context.signal }),
        parseCheckError,
        context,
      );
      return { snapshot: checkBatchSnapshot(data, context.now(), id), hints };
    },
    async cancel(id: string, context: SourceContext) {
      await unwrapApiResult(
        'check',
        () => client.POST('/v1/batch/{id}/cancel', { params: { path: { id } }, signal: context.signal }),
        parseCheckError,
        context,
      );
      return undefined;
    },
  };
}
