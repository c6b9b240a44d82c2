import type { JobEstimate, JobProgress, JobSnapshot, JobStatus } from '@batchwatch/core';
import type { QueryClient } from '@tanstack/react-query';
import type { JobQueryOptions } from './query-options.js';

/** Options of the hooks: {@link JobQueryOptions} plus the `QueryClient` to use. */
export interface UseJobOptions extends JobQueryOptions {
  /** The `QueryClient` to use. Defaults to the one from the nearest `QueryClientProvider`. */
  queryClient?: QueryClient;
}

/**
 * What `useJob`, `useBatch` and `useQueryStatus` return. The object is `===` across polls that
 * changed nothing, so components re-render only when the job changed. `nextPollAt` and `pollError`
 * are getters: reading them during render subscribes the component to every poll.
 */
export interface JobResult<TRaw> {
  /** The last snapshot (the last one that changed), or `undefined` before the first one arrived. */
  readonly snapshot: JobSnapshot<TRaw> | undefined;
  /** `snapshot.status`, or `undefined` before the first snapshot. */
  readonly status: JobStatus | undefined;
  /** `snapshot.progress`, or `undefined` before the first snapshot. `fraction` never goes backwards. */
  readonly progress: JobProgress | undefined;
  /**
   * `snapshot.estimate`: when the running job will probably end (`endsAt`, `remainingMs`,
   * `itemsPerSecond`, `confidence`), or `undefined` while there is none (queued, no counts yet, ended).
   */
  readonly estimate: JobEstimate | undefined;
  /** Whether the job reached `succeeded`, `partially_succeeded`, `failed` or `cancelled`. Polling has stopped. */
  readonly isTerminal: boolean;
  /**
   * Why watching stopped: a fatal poll error (`AuthenticationError`, `PermissionDeniedError`,
   * `NotFoundError`, `BadRequestError`, `ValidationError`), the transient error that spent the
   * error budget, or `PollTimeoutError`; `null` otherwise. A job that *failed* is not an error:
   * see `status` and `snapshot.failure`. Branch with `instanceof`.
   */
  readonly error: Error | null;
  /** Whether the first snapshot is being fetched (no snapshot and no error yet). */
  readonly isLoading: boolean;
  /** When the next poll is scheduled (clock ms), or `null` when none is (terminal, error, not started). A hidden tab polls on return. */
  readonly nextPollAt: number | null;
  /** The transient error (network, 5xx, 429) the last poll failed with while it is being retried, else `undefined`. */
  readonly pollError: unknown;
  /** Whether the source has a server-side cancel. */
  readonly canCancel: boolean;
  /**
   * Asks the provider to cancel the job (`source.cancel`), then polls at once. Resolves with the
   * snapshot after that poll. Rejects with `CancelNotSupportedError` when `canCancel` is `false`,
   * or with the cancel request's error.
   */
  cancel(): Promise<JobSnapshot<TRaw> | undefined>;
  /** Polls now, off schedule (the schedule carries on from there). */
  refetch(): Promise<void>;
}

/** What the Suspense hooks return: like {@link JobResult}, with a snapshot always there. */
export interface SuspenseJobResult<TRaw>
  extends Omit<JobResult<TRaw>, 'snapshot' | 'status' | 'progress' | 'isLoading'> {
  readonly snapshot: JobSnapshot<TRaw>;
  readonly status: JobStatus;
  readonly progress: JobProgress;
  readonly isLoading: false;
}
