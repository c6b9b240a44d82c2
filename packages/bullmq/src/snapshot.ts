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

/**
 * What a watch job holds in Redis (`job.data`): the poll state and the job's own options. To keep a
 * watched job small, the handle is stored without `v`, `provider`, `kind` and `id` (the job id
 * has them), without counters that are `0` and without a `null` deadline.
 */
export interface FleetJobData {
  /** The `pollOnce` state, packed; a worker stores the next one after every step. */
  handle: Partial<JobHandle>;
  /**
   * Per-job poll options (see `FleetAddOptions`), without `timeoutMs` (the handle's deadline has
   * it); absent when the job has none (the worker's options apply).
   */
  options?: FleetJobOptions;
}

/** Per-job options stored with the job. */
export interface FleetJobOptions {
  /** Keep the provider's raw body in progress and the final snapshot. */
  includeRaw?: boolean;
  /** Poll options (schedule, request timeout, error budget) for this job. */
  [option: string]: unknown;
}

/** @internal A handle as stored in job data (see {@link FleetJobData}). */
export function packHandle(handle: JobHandle): Partial<JobHandle> {
  const { v: _v, provider: _p, kind: _k, id: _i, ...rest } = handle;
  if (rest.unchanged === 0) delete rest.unchanged;
  if (rest.errors === 0) delete rest.errors;
  if (rest.deadline === null) delete (rest as Partial<JobHandle>).deadline;
  return rest;
}

/** @internal The full handle from a stored one; what core cannot read stays for `pollOnce` to reject. */
export function unpackHandle(ref: { provider: string; kind: string; id: string }, stored: unknown): unknown {
  if (stored === null || typeof stored !== 'object' || Array.isArray(stored)) return stored;
  return { v: 1, provider: ref.provider, kind: ref.kind, id: ref.id, deadline: null, ...stored };
}

/**
 * @internal `timestamps` only in final snapshots: progress is rewritten at every change and read by
 * every watcher, so it stays small.
 */
export function storeSnapshot(
  snapshot: JobSnapshot<unknown>,
  includeRaw: boolean,
  withTimestamps = true,
): StoredSnapshot {
  const stored: StoredSnapshot = {
    status: snapshot.status,
    rawStatus: snapshot.rawStatus,
    progress: snapshot.progress,
    observedAt: snapshot.observedAt,
  };
  if (withTimestamps && snapshot.timestamps && Object.keys(snapshot.timestamps).length > 0) {
    stored.timestamps = snapshot.timestamps;
  }
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
