import type { JobSnapshot, JobSource } from '@batchwatch/core';
import { createJobSource, snapshotFromKind } from '@batchwatch/core/client-kit';
import type { RunflowClient } from './client.js';
import {
  type RunflowBatch,
  type RunflowBatchItem,
  type RunflowRun,
  runflowBatchKind,
  runflowRunKind,
} from './kinds.js';

export { type RunflowBatch, type RunflowRun, runflowBatchKind, runflowRunKind } from './kinds.js';
export { runflowBatchStatusTable, runflowRunStatusTable } from './vocabulary.js';

/** Normalizes a Runflow batch body. Progress counts succeeded + failed + cancelled items over `items_total`. */
export function runflowBatchSnapshot(
  batch: RunflowBatch,
  observedAt: number,
  id = batch.id ?? '',
): JobSnapshot<RunflowBatch> {
  return snapshotFromKind(runflowBatchKind, batch, observedAt, id);
}

/** Normalizes a Runflow run body. Progress counts `nodes_completed` over `nodes_total`. */
export function runflowRunSnapshot(run: RunflowRun, observedAt: number, id = run.id ?? ''): JobSnapshot<RunflowRun> {
  return snapshotFromKind(runflowRunKind, run, observedAt, id);
}

/**
 * A job source for Runflow batches (`GET /v1/batches/{id}`), built from {@link runflowBatchKind}.
 * Runflow has no public cancel, so this source has no `cancel`.
 */
export function runflowBatch(client: RunflowClient): JobSource<RunflowBatch, RunflowBatchItem> {
  return createJobSource(runflowBatchKind, client);
}

/** A job source for single Runflow runs (`GET /v1/runs/{id}`), built from {@link runflowRunKind}. */
export function runflowRun(client: RunflowClient): JobSource<RunflowRun> {
  return createJobSource(runflowRunKind, client);
}
