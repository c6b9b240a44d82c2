import type { JobSnapshot, JobSource, JobStatus, SourceContext, StatusTable } from '@batchwatch/core';
import { createSnapshot, mapStatus, paramValidator, statusOf, unwrapApiResult } from '@batchwatch/core/client-kit';
import type { RunflowClient } from './client.js';
import { parseRunflowError } from './errors.js';
import { paramRules } from './generated/params.gen.js';
import type { components, KnownBatchStatusCode, KnownRunStatusCode } from './generated/schema.gen.js';
import { type RunflowBatchItem, runflowBatchItems } from './results.js';

/** A Runflow batch as `GET /v1/batches/{id}` returns it. */
export type RunflowBatch = components['schemas']['Batch'];
/** A Runflow run as `GET /v1/runs/{id}` returns it. */
export type RunflowRun = components['schemas']['Run'];

/**
 * Every documented batch `status_code` and its {@link JobStatus}. Runflow spells cancellation both
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

/** Every documented run `status_code` and its {@link JobStatus}. */
export const runflowRunStatusTable: StatusTable<KnownRunStatusCode> = runflowBatchStatusTable;

const n = (v: number | null | undefined): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

function failureOf(raw: { failure_code?: string | null; failure_message?: string | null }, status: JobStatus) {
  if (raw.failure_message || raw.failure_code) {
    const failure: { code?: string; message: string } = { message: raw.failure_message || raw.failure_code || '' };
    if (raw.failure_code) failure.code = raw.failure_code;
    return failure;
  }
  return status === 'failed' ? { message: 'the batch failed without a failure_message' } : undefined;
}

/** Normalizes a Runflow batch body. Progress counts succeeded + failed + cancelled items over `items_total`. */
export function runflowBatchSnapshot(
  batch: RunflowBatch,
  observedAt: number,
  id = batch.id ?? '',
): JobSnapshot<RunflowBatch> {
  const rawStatus = statusOf('runflow', 'status_code', batch.status_code);
  const status = mapStatus(runflowBatchStatusTable, rawStatus);
  const failed = n(batch.items_failed) + n(batch.items_cancelled);
  const failure = failureOf(batch, status);
  return createSnapshot({
    provider: 'runflow',
    kind: 'batch',
    id,
    status,
    rawStatus,
    progress: {
      completed: n(batch.items_succeeded) + failed,
      failed,
      total: typeof batch.items_total === 'number' ? batch.items_total : null,
    },
    timestamps: {
      createdAt: batch.created_at ?? undefined,
      startedAt: batch.started_at ?? undefined,
      finishedAt: batch.completed_at ?? undefined,
    },
    ...(failure ? { failure } : {}),
    observedAt,
    raw: batch,
  });
}

/** Normalizes a Runflow run body. Progress counts `nodes_completed` over `nodes_total`. */
export function runflowRunSnapshot(run: RunflowRun, observedAt: number, id = run.id ?? ''): JobSnapshot<RunflowRun> {
  const rawStatus = statusOf('runflow', 'status_code', run.status_code);
  const status = mapStatus(runflowRunStatusTable, rawStatus);
  const failure = failureOf(run, status);
  return createSnapshot({
    provider: 'runflow',
    kind: 'run',
    id,
    status,
    rawStatus,
    progress: {
      completed: n(run.nodes_completed),
      total: typeof run.nodes_total === 'number' ? run.nodes_total : null,
    },
    timestamps: {
      createdAt: run.created_at ?? undefined,
      startedAt: run.started_at ?? undefined,
      finishedAt: run.completed_at ?? undefined,
    },
    ...(failure ? { failure } : {}),
    observedAt,
    raw: run,
  });
}

const validateBatchId = paramValidator(paramRules, 'GET /v1/batches/{id}', 'id');
const validateRunId = paramValidator(paramRules, 'GET /v1/runs/{id}', 'id');

/**
 * A job source for Runflow batches (`GET /v1/batches/{id}`). Runflow has no public cancel, so this
 * source has no `cancel`.
 */
export function runflowBatch(client: RunflowClient): JobSource<RunflowBatch, RunflowBatchItem> {
  return {
    provider: 'runflow',
    kind: 'batch',
    validateId: validateBatchId,
    results: runflowBatchItems(client),
    async fetchSnapshot(id: string, context: SourceContext) {
      const { data, hints } = await unwrapApiResult(
        'runflow',
        () => client.GET('/v1/batches/{id}', { params: { path: { id } }, signal: context.signal }),
        parseRunflowError,
        context,
      );
      return { snapshot: runflowBatchSnapshot(data, context.now(), id), hints };
    },
  };
}

/** A job source for single Runflow runs (`GET /v1/runs/{id}`). */
export function runflowRun(client: RunflowClient): JobSource<RunflowRun> {
  return {
    provider: 'runflow',
    kind: 'run',
    validateId: validateRunId,
    async fetchSnapshot(id: string, context: SourceContext) {
      const { data, hints } = await unwrapApiResult(
        'runflow',
        () => client.GET('/v1/runs/{id}', { params: { path: { id } }, signal: context.signal }),
        parseRunflowError,
        context,
      );
      return { snapshot: runflowRunSnapshot(data, context.now(), id), hints };
    },
  };
}
