import { CancelNotSupportedError, type JobSnapshot, type JobSource, ValidationError } from '@batchwatch/core';
import { keptHandleAfterCancel } from '@batchwatch/core/handles';
import type { QueryClient } from '@tanstack/react-query';
import { type JobQueryData, jobQueryKey } from './query-options.js';

/** Options of {@link cancelJob}. */
export interface CancelJobOptions {
  /** Aborts the cancel request. Defaults to none. */
  signal?: AbortSignal;
  /** The `scope` the job is watched with (see `JobQueryOptions`). Defaults to none. */
  scope?: string;
}

/**
 * Asks the provider to cancel `source`'s job `id` (`source.cancel`), then refetches its query at
 * once with the backoff reset, so the end shows up quickly. Resolves with the snapshot after that
 * poll (or the cancel response's, when nothing watches the job). Rejects with `ValidationError`
 * when there is no id yet (nothing is sent), `CancelNotSupportedError` when the source has no
 * `cancel`, or with the cancel request's error.
 */
export async function cancelJob<TRaw>(
  queryClient: QueryClient,
  source: JobSource<TRaw>,
  id: string | null | undefined,
  options: CancelJobOptions = {},
): Promise<JobSnapshot<TRaw> | undefined> {
  if (typeof id !== 'string' || id === '') {
    // No id yet (`null` while the job is being created): nothing to cancel.
    throw new ValidationError('id', 'a non-empty string', { received: id === '' ? '""' : String(id) });
  }
  if (typeof source.cancel !== 'function') {
    throw new CancelNotSupportedError(`${source.provider} ${source.kind} jobs cannot be cancelled`);
  }
  const signal = options.signal ?? new AbortController().signal;
  const result = await source.cancel(id, { signal, now: Date.now });
  const queryKey = jobQueryKey(source, id, options.scope);
  // The job is about to change: core's cancel action restarts the backoff, so the polls after this one come soon.
  queryClient.setQueryData<JobQueryData<TRaw>>(
    queryKey,
    (data) => data && { ...data, poll: { ...data.poll, handle: keptHandleAfterCancel(data.poll.handle) } },
  );
  await queryClient.invalidateQueries({ queryKey, exact: true });
  return queryClient.getQueryData<JobQueryData<TRaw>>(queryKey)?.snapshot ?? result?.snapshot;
}
