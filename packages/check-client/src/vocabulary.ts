// Check's status vocabulary, in one leaf module that the job kind, the results and the webhooks
// import (and the mock provider checks itself against): nothing here imports the client's other modules.
import type { JobStatus, StatusTable } from '@batchwatch/core';
import { mapStatus, statusOf } from '@batchwatch/core/client-kit';
import type { ItemStatusTable } from '@batchwatch/core/results';
import type { components, KnownBatchStatus, KnownItemStatus } from './generated/schema.gen.js';

/** The provider name in snapshots, errors and notifications. */
export const CHECK = 'check';

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

/**
 * Every documented item `status` and its `ItemStatus`: `completed` is `succeeded`, `skipped` (a
 * pending item removed by a batch cancel) stays `skipped`, the unfinished ones are `pending`.
 */
export const checkItemStatusTable: ItemStatusTable<KnownItemStatus> = {
  pending: 'pending',
  queued: 'pending',
  processing: 'pending',
  completed: 'succeeded',
  failed: 'failed',
  skipped: 'skipped',
};

/** The batch webhook events and the batch `status` each one reports. Check sends no `batch.cancelled`. */
export const checkBatchEventTable: Readonly<Record<'batch.completed' | 'batch.failed', KnownBatchStatus>> = {
  'batch.completed': 'completed',
  'batch.failed': 'failed',
};

type Counts = Pick<components['schemas']['Batch'], 'successCount' | 'failureCount'>;

/**
 * @internal A count as Check sends it, 0 when it is not a finite number (absent, `null`, or a JSON
 * `1e400` that parses as `Infinity`). `Number.isFinite` is false for anything but a number.
 */
export const countOf = (v: number | null | undefined): number => (Number.isFinite(v) ? Number(v) : 0);

/** @internal A `completed` batch with failures is `partially_succeeded`, or `failed` when none succeeded. */
export function refineCheckBatchStatus(status: JobStatus, counts: Counts): JobStatus {
  if (status !== 'succeeded' || countOf(counts.failureCount) === 0) return status;
  return countOf(counts.successCount) > 0 ? 'partially_succeeded' : 'failed';
}

/** The {@link JobStatus} of a Check batch, looking at `failureCount` when it is `completed`. */
export function checkBatchStatus(batch: Pick<components['schemas']['Batch'], 'status'> & Counts): JobStatus {
  return refineCheckBatchStatus(mapStatus(checkBatchStatusTable, statusOf(CHECK, 'status', batch.status)), batch);
}
