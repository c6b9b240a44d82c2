import type { JobSnapshot } from '@batchwatch/core';
import type { JobQueryData } from './query-options.js';
import type { JobResult } from './types.js';

/** What a hook knows about one job's query. */
export interface JobQueryState<TRaw> {
  data: JobQueryData<TRaw> | undefined;
  error: Error | null;
  isLoading: boolean;
}

const noop = () => {};

/**
 * The {@link JobResult} of one job's query, shared by `useJob` and `useJobs`. `track` runs when
 * `nextPollAt` or `pollError` is read, so a hook can subscribe to the poll state only when used.
 */
export function toJobResult<TRaw>(
  { data, error, isLoading }: JobQueryState<TRaw>,
  canCancel: boolean,
  cancel: () => Promise<JobSnapshot<TRaw> | undefined>,
  refetch: () => Promise<void>,
  track: () => unknown = noop,
): JobResult<TRaw> {
  const snapshot = data?.snapshot;
  const poll = data?.poll;
  return {
    snapshot,
    status: snapshot?.status,
    progress: snapshot?.progress,
    estimate: snapshot?.estimate,
    isTerminal: snapshot?.isTerminal ?? false,
    error,
    isLoading,
    get nextPollAt() {
      track();
      if (!poll || error !== null || snapshot?.isTerminal || poll.delayMs === null) return null;
      return poll.handle.nextPollAt;
    },
    get pollError() {
      track();
      return poll?.pollError;
    },
    canCancel,
    cancel,
    refetch,
  };
}
