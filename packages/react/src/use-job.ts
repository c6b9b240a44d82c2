import type { JobSource } from '@batchwatch/core';
import type { JobResult, SuspenseJobResult, UseJobOptions } from './types.js';
import { useBaseJob, useJobQuery, useSuspenseJobQuery } from './use-base-job.js';

/**
 * Watches any job on the core schedule: polls until terminal, honours `Retry-After`, backs off
 * while nothing changes, pauses in hidden tabs. Watchers of the same job share one poll.
 *
 * @example
 * const { status, progress, error } = useJob(checkBatch(client), batchId);
 */
export function useJob<TRaw>(
  source: JobSource<TRaw>,
  id: string | null | undefined,
  options?: UseJobOptions,
): JobResult<TRaw> {
  return useBaseJob(source, id, options, useJobQuery);
}

/** {@link useJob} that suspends until the first snapshot (and throws a first-poll error to the error boundary). */
export function useSuspenseJob<TRaw>(
  source: JobSource<TRaw>,
  id: string,
  options?: UseJobOptions,
): SuspenseJobResult<TRaw> {
  return useBaseJob(source, id, options, useSuspenseJobQuery) as SuspenseJobResult<TRaw>;
}
