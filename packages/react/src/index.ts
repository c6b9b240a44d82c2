// The React package re-exports core's main entry (job model, errors, schedule), as @tanstack/react-query
// re-exports query-core: every type, and every value by name (a star re-export of values costs a runtime
// helper in some bundles). test/exports.test.ts keeps the list complete.
export type * from '@batchwatch/core';
export {
  AbortError,
  AuthenticationError,
  BadRequestError,
  BatchwatchError,
  CancelNotSupportedError,
  ConflictError,
  computeNextDelay,
  HttpError,
  InvalidResponseError,
  isTerminalStatus,
  isTransientError,
  JOB_STATUSES,
  JobCancelledError,
  JobFailedError,
  MAX_DELAY_MS,
  NetworkError,
  NotFoundError,
  PermissionDeniedError,
  PollTimeoutError,
  RateLimitError,
  RequestTimeoutError,
  ServerError,
  systemClock,
  TERMINAL_STATUSES,
  ValidationError,
  waitForJob,
  watchJob,
} from '@batchwatch/core';
export {
  type JobCancelBody,
  type JobRef,
  type JobStatusBody,
  type JobStatusErrorBody,
  type JobStatusErrorCode,
  type RemoteClientOptions,
  type RemoteJobSource,
  type RemoteSourceFactory,
  type RemoteSourceOptions,
  remoteSource,
  type WireHints,
  type WireSnapshot,
} from '@batchwatch/core/http';
export { type CancelJobOptions, cancelJob } from './cancel.js';
export {
  batchQueryOptions,
  type JobPollState,
  type JobQueryData,
  type JobQueryKey,
  type JobQueryOptions,
  type JobQueryOptionsResult,
  jobQueryKey,
  jobQueryOptions,
  queryStatusOptions,
} from './query-options.js';
export type { JobResult, SuspenseJobResult, UseJobOptions } from './types.js';
export { useBatch, useSuspenseBatch } from './use-batch.js';
export { useJob, useSuspenseJob } from './use-job.js';
export { type AggregateProgress, type JobSpec, type JobsResult, type SpecRaw, useJobs } from './use-jobs.js';
export {
  type QueryStatusFields,
  type QueryStatusResult,
  type RowsOf,
  type SuspenseQueryStatusResult,
  useQueryStatus,
  useSuspenseQueryStatus,
} from './use-query-status.js';
