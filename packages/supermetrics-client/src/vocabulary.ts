// Supermetrics' status vocabulary, in one leaf module that the job kinds and the results import
// (and the mock provider checks itself against): nothing here imports the client's other modules.
import type { JobStatus, StatusTable } from '@batchwatch/core';
import { mapStatus } from '@batchwatch/core/client-kit';
import type { ItemStatusTable } from '@batchwatch/core/results';
import type {
  components,
  KnownBatchQueryStatusCode,
  KnownQueryBatchStatusCode,
  KnownQueryStatusCode,
} from './generated/schema.gen.js';

/** The provider name in snapshots and errors. */
export const SUPERMETRICS = 'supermetrics';

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

/**
 * Every documented query batch `status_code` and its {@link JobStatus}. `STOPPED` is every end: the
 * table says `succeeded`, and {@link supermetricsBatchStatus} tells the end apart (`cancel_time`,
 * then the failed-query counters).
 */
export const supermetricsBatchStatusTable: StatusTable<KnownQueryBatchStatusCode> = {
  QUEUED: 'queued',
  RUNNING: 'running',
  STOPPED: 'succeeded',
};

/**
 * Every per-query `status_code` of a batch and its `ItemStatus`. A query still `QUEUED` or
 * `RUNNING` in a `STOPPED` batch never runs: `supermetricsBatchQueries` reports it `cancelled`.
 */
export const supermetricsBatchQueryStatusTable: ItemStatusTable<KnownBatchQueryStatusCode> = {
  QUEUED: 'pending',
  RUNNING: 'pending',
  SUCCESS: 'succeeded',
  FAILURE: 'failed',
};

/** @internal A count from a body: a finite number, else 0. */
export const n = (v: unknown): number => (Number.isFinite(v) ? (v as number) : 0);

type Batch = Pick<components['schemas']['QueryBatch'], 'status_code' | 'cancel_time'>;
type Counters = { success?: number; failure?: number } | undefined;

/** @internal An ended (`STOPPED`) batch: `cancel_time` -> cancelled, else its failed-query counters decide. */
export function refineSupermetricsBatchStatus(status: JobStatus, batch: Batch, counters: Counters): JobStatus {
  if (status !== 'succeeded') return status;
  if (batch.cancel_time) return 'cancelled';
  const { success, failure } = counters ?? {};
  if (n(failure) === 0) return 'succeeded';
  return n(success) > 0 ? 'partially_succeeded' : 'failed';
}

/**
 * The {@link JobStatus} of a query batch. Supermetrics only says `QUEUED`, `RUNNING` or `STOPPED`,
 * so `STOPPED` is told apart: with `cancel_time` it is `cancelled`; otherwise the counters of
 * `GET /query/batch/{id}/status` decide: no failed query -> `succeeded`, some -> `partially_succeeded`,
 * all -> `failed`. HTTP 200 vs 202 is never used.
 */
export function supermetricsBatchStatus(batch: Batch, counters: Counters): JobStatus {
  const raw = batch.status_code;
  return refineSupermetricsBatchStatus(
    typeof raw === 'string' ? mapStatus(supermetricsBatchStatusTable, raw) : 'unknown',
    batch,
    counters,
  );
}
