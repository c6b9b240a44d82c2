import type { JobSnapshot, JobSource } from '@batchwatch/core';
import { createJobSource, snapshotFromKind } from '@batchwatch/core/client-kit';
import type { CheckClient } from './client.js';
import { type CheckBatch, type CheckResultItem, checkBatchKind } from './kinds.js';

export { type CheckBatch, checkBatchKind } from './kinds.js';
export { checkBatchStatus, checkBatchStatusTable } from './vocabulary.js';

/** Normalizes a Check batch. Progress is `processedItems / totalItems`; failures are `failureCount`. */
export function checkBatchSnapshot(batch: CheckBatch, observedAt: number, id = batch.id): JobSnapshot<CheckBatch> {
  return snapshotFromKind(checkBatchKind, batch, observedAt, id);
}

/**
 * A job source for Check batches (`GET /v1/batch/{id}`), built from {@link checkBatchKind};
 * `cancel` sends `POST /v1/batch/{id}/cancel`.
 */
export function checkBatch(client: CheckClient): JobSource<CheckBatch, CheckResultItem> {
  return createJobSource(checkBatchKind, client);
}
