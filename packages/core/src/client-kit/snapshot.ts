import { lookupStatus } from '../internal/lookup.js';
import {
  isTerminalStatus,
  type JobSnapshot,
  type JobStatus,
  type JobTimestamps,
  type SnapshotInit,
  type StatusTable,
} from '../job-state.js';

/**
 * Builds a {@link JobSnapshot}: computes `isTerminal` and `fraction` (clamped to `[0, 1]`,
 * `null` when the total is unknown or zero before the end). A terminal `succeeded` job reports `1`.
 */
export function createSnapshot<TRaw>(init: SnapshotInit<TRaw>): JobSnapshot<TRaw> {
  const completed = nonNegative(init.progress.completed);
  const failed = nonNegative(init.progress.failed ?? 0);
  const total = init.progress.total === null ? null : nonNegative(init.progress.total);
  let fraction: number | null = null;
  if (total !== null && total > 0) {
    fraction = Math.min(1, completed / total);
  }
  const isTerminal = isTerminalStatus(init.status);
  if (isTerminal && init.status !== 'cancelled' && init.status !== 'failed') {
    fraction = 1;
  }
  const snapshot: JobSnapshot<TRaw> = {
    provider: init.provider,
    kind: init.kind,
    id: init.id,
    status: init.status,
    rawStatus: init.rawStatus,
    isTerminal,
    progress: { completed, failed, total, fraction },
    timestamps: stripUndefined(init.timestamps ?? {}),
    observedAt: init.observedAt,
    raw: init.raw,
  };
  if (init.failure) {
    snapshot.failure = init.failure;
  }
  return snapshot;
}

function nonNegative(n: number): number {
  return Number.isFinite(n) && n > 0 ? n : 0;
}

function stripUndefined(t: JobTimestamps): JobTimestamps {
  const out: JobTimestamps = {};
  if (t.createdAt) out.createdAt = t.createdAt;
  if (t.startedAt) out.startedAt = t.startedAt;
  if (t.finishedAt) out.finishedAt = t.finishedAt;
  return out;
}

/**
 * Looks `raw` up in `table`; a missing, empty or undocumented status is `unknown`. A raw status that
 * is not a string (a provider sent an object or a number) throws `InvalidResponseError` naming
 * `field` (defaults to `'status'`). Use `statusOf` first where a body without a status is an error.
 */
export function mapStatus<TRawStatus extends string>(
  table: StatusTable<TRawStatus>,
  raw: string | null | undefined,
  field?: string,
): JobStatus {
  return lookupStatus<JobStatus>(table, raw, field);
}
