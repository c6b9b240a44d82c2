/**
 * The normalized status of a job, the same for every provider.
 *
 * | status | terminal | meaning |
 * | --- | --- | --- |
 * | `queued` | no | accepted, not started |
 * | `running` | no | executing |
 * | `succeeded` | yes | finished, everything succeeded |
 * | `partially_succeeded` | yes | finished, some items failed |
 * | `failed` | yes | finished with a job-level failure |
 * | `cancelled` | yes | cancelled by a user or the provider |
 * | `unknown` | no | a status string nobody documented: polled with backoff, reported once |
 */
export type JobStatus = 'queued' | 'running' | 'succeeded' | 'partially_succeeded' | 'failed' | 'cancelled' | 'unknown';

/** Every {@link JobStatus}, in lifecycle order. */
export const JOB_STATUSES: readonly JobStatus[] = [
  'queued',
  'running',
  'succeeded',
  'partially_succeeded',
  'failed',
  'cancelled',
  'unknown',
];

/** The statuses after which a job never changes again. `unknown` is deliberately not terminal. */
export const TERMINAL_STATUSES: ReadonlySet<JobStatus> = new Set<JobStatus>([
  'succeeded',
  'partially_succeeded',
  'failed',
  'cancelled',
]);

/** Whether `status` is terminal (`succeeded`, `partially_succeeded`, `failed` or `cancelled`). */
export function isTerminalStatus(status: JobStatus): boolean {
  return TERMINAL_STATUSES.has(status);
}

/** Normalized progress of a job. */
export interface JobProgress {
  /** Items (or sub-queries) that reached an end, successful or not. */
  completed: number;
  /** Of `completed`, how many failed or were cancelled. */
  failed: number;
  /** How many items the job has, or `null` when the provider does not say. It may grow while a job runs. */
  total: number | null;
  /**
   * `completed / total` in `[0, 1]`, or `null` when unknown. In snapshots delivered by a watch this
   * never goes backwards, even when the provider's total grows.
   */
  fraction: number | null;
}

/** Timestamps a provider reported, as ISO 8601 strings, untouched. */
export interface JobTimestamps {
  createdAt?: string;
  startedAt?: string;
  finishedAt?: string;
}

/** Why a job failed, as the provider said it. */
export interface JobFailure {
  /** The provider's failure code, when it gives one. */
  code?: string;
  /** A human-readable message. */
  message: string;
}

/** Well-known provider names. Any other string is allowed for custom sources. */
export type ProviderName = 'supermetrics' | 'runflow' | 'check' | (string & {});

/**
 * One observation of a job, normalized. `raw` keeps the provider's body untouched and typed.
 */
export interface JobSnapshot<TRaw = unknown> {
  /** The provider, e.g. `'runflow'`. */
  provider: ProviderName;
  /** What kind of job at that provider, e.g. `'batch'` or `'query'`. */
  kind: string;
  /** The job id at the provider. */
  id: string;
  /** The normalized status. */
  status: JobStatus;
  /** Exactly the status string the provider sent, or `null` when it sent none. */
  rawStatus: string | null;
  /** Whether `status` is terminal. */
  isTerminal: boolean;
  /** Normalized progress. */
  progress: JobProgress;
  /** Timestamps the provider reported. */
  timestamps: JobTimestamps;
  /** Failure details, for `failed` and `partially_succeeded` jobs when the provider gives them. */
  failure?: JobFailure;
  /** When this snapshot was observed, in clock milliseconds. */
  observedAt: number;
  /**
   * When the job will probably end, estimated by the watch from the moments its counts changed.
   * Absent while the job is queued, reports no counts, or its counts have not moved often enough
   * to tell a rate; sources never set it.
   */
  estimate?: JobEstimate;
  /** The provider's response body, untouched. */
  raw: TRaw;
}

/** A running job's predicted end, from the rate at which its items finish. */
export interface JobEstimate {
  /** The predicted end, in clock milliseconds. */
  endsAt: number;
  /** `endsAt` minus the time of the snapshot it was computed for, in ms (never negative). */
  remainingMs: number;
  /** Items finishing per second over the run so far. */
  itemsPerSecond: number;
  /**
   * How much to trust it, by how many points the rate was measured from (the first look at the
   * running job, then each change of its count): `'low'` from two (the count moved once),
   * `'medium'` from three to five, `'high'` from six or more. A job past its predicted end keeps
   * its estimate with `remainingMs` 0.
   */
  confidence: 'low' | 'medium' | 'high';
}

/** Input for `createSnapshot` (`@batchwatch/core/client-kit`): a snapshot without the derived fields. */
export interface SnapshotInit<TRaw> {
  provider: ProviderName;
  kind: string;
  id: string;
  status: JobStatus;
  rawStatus: string | null;
  progress: { completed: number; failed?: number; total: number | null };
  timestamps?: JobTimestamps;
  failure?: JobFailure;
  observedAt: number;
  raw: TRaw;
}

/**
 * A total mapping from a provider's documented raw statuses to {@link JobStatus}.
 * Strings not in the table map to `unknown`.
 */
export type StatusTable<TRawStatus extends string = string> = Readonly<Record<TRawStatus, JobStatus>>;
