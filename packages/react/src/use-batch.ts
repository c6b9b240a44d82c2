import type { JobSource } from '@batchwatch/core';
import type { JobResult, SuspenseJobResult, UseJobOptions } from './types.js';
import { useJob, useSuspenseJob } from './use-job.js';

/**
 * Watches a batch (`runflowBatch`, `checkBatch`, `supermetricsBatch`, or a `remoteSource`) until
 * it is terminal. Returns `{ status, progress, snapshot, isTerminal, error, nextPollAt, cancel, canCancel }`.
 *
 * @example
 * const source = remoteSource('/api/batchwatch', { provider: 'runflow', kind: 'batch' });
 * const { status, progress } = useBatch(source, batchId);
 */
export const useBatch: <TRaw>(
  source: JobSource<TRaw>,
  batchId: string | null | undefined,
  options?: UseJobOptions,
) => JobResult<TRaw> = useJob;

/** {@link useBatch} that suspends until the first snapshot. */
export const useSuspenseBatch: <TRaw>(
  source: JobSource<TRaw>,
  batchId: string,
  options?: UseJobOptions,
) => SuspenseJobResult<TRaw> = useSuspenseJob;
