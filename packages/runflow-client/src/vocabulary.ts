// Runflow's status vocabulary, in one leaf module that the job kinds, the results and the webhooks
// import (and the mock provider checks itself against): nothing here imports the client's other modules.
import type { StatusTable } from '@batchwatch/core';
import type { ItemStatusTable } from '@batchwatch/core/results';
import type { KnownBatchStatusCode, KnownRunStatusCode } from './generated/schema.gen.js';

/** The provider name in snapshots, errors and notifications. */
export const RUNFLOW = 'runflow';

/**
 * Every documented batch `status_code` and its `JobStatus`. Runflow spells cancellation both
 * `canceled` and `cancelled`; both are accepted. Anything else is `unknown` (not terminal).
 */
export const runflowBatchStatusTable: StatusTable<KnownBatchStatusCode> = {
  queued: 'queued',
  dispatching: 'queued',
  running: 'running',
  succeeded: 'succeeded',
  partial_succeeded: 'partially_succeeded',
  failed: 'failed',
  canceled: 'cancelled',
  cancelled: 'cancelled',
};

/** Every documented run `status_code` and its `JobStatus`. */
export const runflowRunStatusTable: StatusTable<KnownRunStatusCode> = runflowBatchStatusTable;

/**
 * Every documented item `status_code` (items mirror their run) and its `ItemStatus`. Both
 * `canceled` and `cancelled` are accepted; `partial_succeeded` is batch-only, so an item reporting
 * it did not fully succeed and counts as `failed`.
 */
export const runflowItemStatusTable: ItemStatusTable<KnownRunStatusCode> = {
  queued: 'pending',
  dispatching: 'pending',
  running: 'pending',
  succeeded: 'succeeded',
  partial_succeeded: 'failed',
  failed: 'failed',
  canceled: 'cancelled',
  cancelled: 'cancelled',
};

/**
 * Batch callback `event` -> status, for callbacks without a `status` field. The spec's events (UK
 * `cancelled`), and the US spelling the batch statuses also use.
 */
export const runflowCallbackEventTable: StatusTable<
  'batch.succeeded' | 'batch.partial_succeeded' | 'batch.failed' | 'batch.cancelled' | 'batch.canceled'
> = {
  'batch.succeeded': 'succeeded',
  'batch.partial_succeeded': 'partially_succeeded',
  'batch.failed': 'failed',
  'batch.cancelled': 'cancelled',
  'batch.canceled': 'cancelled',
};
