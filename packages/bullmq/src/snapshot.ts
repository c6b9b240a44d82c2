import type { JobHandle, JobSnapshot } from '@batchwatch/core';

/**
 * A snapshot as a fleet stores it in Redis (BullMQ progress and return value) and sends it in
 * events: the normalized fields without `provider`, `kind` and `id` (the job id has them) and
 * without `raw` unless the worker was asked to keep it, so a watched job costs little memory.
 */
export interface StoredSnapshot {
  /** The normalized status. */
  status: JobSnapshot['status'];
  /** The provider's status string. */
  rawStatus: string | null;
  /** Normalized progress. */
  progress: JobSnapshot['progress'];
  /** Timestamps the provider reported, when it reported any. */
  timestamps?: JobSnapshot['timestamps'];
  /** Failure details, when the provider gave them. */
  failure?: JobSnapshot['failure'];
  /** The predicted end, when core estimated one. */
  estimate?: JobSnapshot['estimate'];
  /** When the worker observed it, in Unix ms. */
  observedAt: number;
  /** The provider's body, only with `includeRaw`. */
  raw?: unknown;
}

/** What a watch job holds in Redis (`job.data`): the poll state and the job's own options. */
export interface FleetJobData {
  /** The `pollOnce` state; a worker stores the next one after every step. */
  handle: JobHandle;
  /** Per-job poll options (see `FleetAddOptions`), without `timeoutMs` (the handle's deadline has it). */
  options: FleetJobOptions;
}

/** Per-job options stored with the job. */
export interface FleetJobOptions {
  /** Keep the provider's raw body in progress and the final snapshot. */
  includeRaw?: boolean;
  /** Poll options (schedule, request timeout, error budget) for this job. */
  [option: string]: unknown;
}

/** @internal */
export function storeSnapshot(snapshot: JobSnapshot<unknown>, includeRaw: boolean): StoredSnapshot {
  const stored: StoredSnapshot = {
    status: snapshot.status,
    rawStatus: snapshot.rawStatus,
    progress: snapshot.progress,
    observedAt: snapshot.observedAt,
  };
  if (snapshot.timestamps && Object.keys(snapshot.timestamps).length > 0) stored.timestamps = snapshot.timestamps;
  if (snapshot.failure) stored.failure = snapshot.failure;
  if (snapshot.estimate) stored.estimate = snapshot.estimate;
  if (includeRaw) stored.raw = snapshot.raw;
  return stored;
}

/** @internal Whether `value` looks like a {@link StoredSnapshot} (BullMQ progress starts as `0`). */
export function isStoredSnapshot(value: unknown): value is StoredSnapshot {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as StoredSnapshot).status === 'string' &&
    typeof (value as StoredSnapshot).progress === 'object'
  );
}

const TERMINAL = new Set(['succeeded', 'partially_succeeded', 'failed', 'cancelled']);

/** @internal A full `JobSnapshot` from a stored one; `raw` is `undefined` unless it was kept. */
export function loadSnapshot(provider: string, kind: string, id: string, stored: StoredSnapshot): JobSnapshot<unknown> {
  const snapshot: JobSnapshot<unknown> = {
    provider,
    kind,
    id,
    status: stored.status,
    rawStatus: stored.rawStatus,
    isTerminal: TERMINAL.has(stored.status),
    progress: stored.progress,
    timestamps: stored.timestamps ?? {},
    observedAt: stored.observedAt,
    raw: stored.raw,
  };
  if (stored.failure) snapshot.failure = stored.failure;
  if (stored.estimate) snapshot.estimate = stored.estimate;
  return snapshot;
}

/** @internal A key that changes when what a viewer sees changes (not `observedAt`). */
export function snapshotKey(s: StoredSnapshot | JobSnapshot<unknown>): string {
  const p = s.progress;
  return `${s.status}|${s.rawStatus}|${p.completed}|${p.failed}|${p.total}|${p.fraction}|${s.failure?.code ?? ''}|${s.failure?.message ?? ''}`;
}
