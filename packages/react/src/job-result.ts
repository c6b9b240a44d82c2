import type { JobSnapshot } from '@batchwatch/core';
import type { JobPollState, JobQueryData } from './query-options.js';
import type { JobResult } from './types.js';

/** What a hook knows about one job's query: its snapshot (selected from the query data), error and loading state. */
export interface JobQueryState<TRaw> {
  data: JobSnapshot<TRaw> | undefined;
  error: Error | null;
  isLoading: boolean;
}

/** The `select` of the hooks: the snapshot alone, the same object across polls that changed nothing. */
export const selectSnapshot = <TRaw>(data: JobQueryData<TRaw>): JobSnapshot<TRaw> => data.snapshot;

/**
 * The {@link JobResult} of one job's query, shared by `useJob` and `useJobs`. `poll` reads the
 * latest poll state when `nextPollAt` or `pollError` is read (a hook may subscribe to every poll
 * then, and only then).
 */
export function toJobResult<TRaw>(
  { data: snapshot, error, isLoading }: JobQueryState<TRaw>,
  canCancel: boolean,
  cancel: () => Promise<JobSnapshot<TRaw> | undefined>,
  refetch: () => Promise<void>,
  getPoll: () => Readonly<JobPollState> | undefined,
): JobResult<TRaw> {
  return {
    snapshot,
    status: snapshot?.status,
    progress: snapshot?.progress,
    estimate: snapshot?.estimate,
    isTerminal: snapshot?.isTerminal ?? false,
    error,
    isLoading,
    get nextPollAt() {
      const poll = getPoll();
      // A terminal snapshot ended polling: its poll state has no delay.
      if (!poll || error !== null || poll.delayMs === null) return null;
      return poll.handle.nextPollAt;
    },
    get pollError() {
      return getPoll()?.pollError;
    },
    canCancel,
    cancel,
    refetch,
  };
}
