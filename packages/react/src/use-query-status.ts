import type { JobSnapshot, JobSource } from '@batchwatch/core';
import type { JobResult, SuspenseJobResult, UseJobOptions } from './types.js';
import { useBaseJob, useJobQuery, useSuspenseJobQuery } from './use-base-job.js';

/** The row type of a raw body with a `data` array (Supermetrics `QueryStatusResponse`), else `never`. */
export type RowsOf<TRaw> = TRaw extends { data?: infer TData }
  ? NonNullable<TData> extends readonly (infer TRow)[]
    ? TRow[]
    : never
  : never;

/** What {@link useQueryStatus} adds to {@link JobResult}. */
export interface QueryStatusFields<TRaw> {
  /**
   * The result rows (`raw.data`) once the query `succeeded`, else `undefined`. Over a
   * `remoteSource`, the server must send `raw` (`includeRaw`) for rows to arrive.
   */
  readonly rows: RowsOf<TRaw> | undefined;
}

/** What {@link useQueryStatus} returns. */
export type QueryStatusResult<TRaw> = JobResult<TRaw> & QueryStatusFields<TRaw>;

/** What {@link useSuspenseQueryStatus} returns. */
export type SuspenseQueryStatusResult<TRaw> = SuspenseJobResult<TRaw> & QueryStatusFields<TRaw>;

function rowsOf<TRaw>(snapshot: JobSnapshot<TRaw> | undefined): QueryStatusFields<TRaw> {
  const raw = snapshot?.status === 'succeeded' ? (snapshot.raw as { data?: unknown } | null | undefined) : undefined;
  return { rows: Array.isArray(raw?.data) ? (raw.data as RowsOf<TRaw>) : undefined };
}

/**
 * Watches a Supermetrics asynchronous query by schedule id (`supermetricsQueryStatus(client)`)
 * until it is terminal; `rows` holds the result rows once it `succeeded`.
 *
 * @example
 * const { status, progress, rows } = useQueryStatus(supermetricsQueryStatus(client), scheduleId);
 */
export function useQueryStatus<TRaw>(
  source: JobSource<TRaw>,
  scheduleId: string | null | undefined,
  options?: UseJobOptions,
): QueryStatusResult<TRaw> {
  return useBaseJob(source, scheduleId, options, useJobQuery, rowsOf<TRaw>);
}

/** {@link useQueryStatus} that suspends until the first snapshot. */
export function useSuspenseQueryStatus<TRaw>(
  source: JobSource<TRaw>,
  scheduleId: string,
  options?: UseJobOptions,
): SuspenseQueryStatusResult<TRaw> {
  return useBaseJob(source, scheduleId, options, useSuspenseJobQuery, rowsOf<TRaw>) as SuspenseQueryStatusResult<TRaw>;
}
