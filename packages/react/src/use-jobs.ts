import { JOB_STATUSES, type JobSnapshot, type JobSource, type JobStatus } from '@batchwatch/core';
import { type QueryClient, type UseQueryResult, useQueries, useQueryClient } from '@tanstack/react-query';
import { useMemo, useRef } from 'react';
import { cancelJob } from './cancel.js';
import { type JobQueryState, selectSnapshot, toJobResult } from './job-result.js';
import { type JobQueryData, jobQueryKey, jobQueryOptions } from './query-options.js';
import type { JobResult, UseJobOptions } from './types.js';

/** One job for {@link useJobs}: a source and an id (`null` or `undefined` skips it). */
export interface JobSpec<TRaw = unknown> {
  source: JobSource<TRaw>;
  id: string | null | undefined;
  /** Whose job it is (see `JobQueryOptions.scope`). Defaults to the hook's `scope` option. */
  scope?: string;
}

/** The raw type of a {@link JobSpec}. */
export type SpecRaw<TSpec> = TSpec extends JobSpec<infer TRaw> ? TRaw : never;

/**
 * Progress over several jobs, two ways: items (`completed` of `total`, `fraction`) and jobs
 * (`jobsEnded` of the list, `jobsFraction`). A job that ended early (cancelled, failed) counts the
 * items it finished, not all of them, so `fraction` stays below 1 while `jobsFraction` reaches 1.
 */
export interface AggregateProgress {
  /** Items that reached an end, over every job with a snapshot. */
  completed: number;
  /** Of `completed`, the failed ones. */
  failed: number;
  /** Items over every job, or `null` while any job's total is unknown (or it has no snapshot yet). */
  total: number | null;
  /**
   * Items done over items total (`completed / total`); while a total is unknown, the mean of the
   * jobs' own fractions (a job without a snapshot or a known fraction counts `0`). `null` for no
   * jobs. It goes back only when a total grows or becomes known (a Supermetrics query's can).
   */
  fraction: number | null;
  /** Jobs that reached a terminal status (succeeded, partially succeeded, failed or cancelled). */
  jobsEnded: number;
  /** `jobsEnded` over the number of jobs; `null` for no jobs. */
  jobsFraction: number | null;
}

/** What {@link useJobs} returns. The object is `===` across polls that changed none of the jobs. */
export interface JobsResult<TJobs extends readonly JobSpec<unknown>[]> {
  /** One {@link JobResult} per job, in order, each typed from its source. */
  readonly jobs: { -readonly [K in keyof TJobs]: JobResult<SpecRaw<TJobs[K]>> };
  /** Progress over the jobs: items done over items total, and jobs ended over jobs. */
  readonly progress: AggregateProgress;
  /** How many jobs are in each status; `pending` counts jobs without a snapshot yet. */
  readonly counts: Readonly<Record<JobStatus | 'pending', number>>;
  /** Whether every job is terminal (`true` for an empty list). */
  readonly allTerminal: boolean;
  /** Whether every job is terminal or stopped with an error. */
  readonly allSettled: boolean;
  /** Whether any job is fetching its first snapshot. */
  readonly isLoading: boolean;
  /** The first job's fatal error, or `null`. */
  readonly error: Error | null;
}

// Module-level, so TanStack keeps the combined array (and its parts) `===` while nothing changed.
function pickStates(results: UseQueryResult<JobSnapshot<unknown>, Error>[]): JobQueryState<unknown>[] {
  return results.map((r) => ({ data: r.data, error: r.error, isLoading: r.isLoading }));
}

const emptyCounts = () =>
  Object.fromEntries(['pending', ...JOB_STATUSES].map((status) => [status, 0])) as Record<
    JobStatus | 'pending',
    number
  >;

/**
 * Watches several jobs at once (each on its own core schedule, deduplicated with every other
 * watcher of the same job) and sums their progress: items done over items total, and jobs ended
 * over jobs (see {@link AggregateProgress}).
 *
 * @example
 * const { jobs, progress, counts, allTerminal } = useJobs([
 *   { source: runflow, id: 'b1' },
 *   { source: check, id: 'batch_2' },
 * ]);
 */
export function useJobs<const TJobs extends readonly JobSpec<unknown>[]>(
  jobs: TJobs,
  options?: UseJobOptions,
): JobsResult<TJobs> {
  const { queryClient, ...queryOptions } = options ?? {};
  const client: QueryClient = useQueryClient(queryClient);
  const scopeOf = (job: JobSpec<unknown>) => job.scope ?? queryOptions.scope;
  const queries = jobs.map((job) => ({
    ...jobQueryOptions(job.source, job.id, { ...queryOptions, scope: scopeOf(job) }),
    select: selectSnapshot,
  }));
  const states = useQueries({ queries, combine: pickStates }, client);
  // The latest jobs, for cancel(): callers usually pass a new array (and sources) every render.
  const live = useRef(jobs);
  live.current = jobs;
  const keys = JSON.stringify(queries.map((query) => query.queryKey));

  // `keys` stands for the jobs' identities (read through `live`): a new array of the same jobs keeps the result.
  // biome-ignore lint/correctness/useExhaustiveDependencies: keys is the identity of the job list read through `live`
  return useMemo(() => {
    const specs = live.current;
    let completed = 0;
    let failed = 0;
    let total: number | null = 0;
    let fractionSum = 0;
    let terminal = 0;
    let settled = 0;
    let isLoading = false;
    let error: Error | null = null;
    const counts = emptyCounts();
    const results = states.map((state, index) => {
      const spec = specs[index] as JobSpec<unknown>;
      const snapshot = state.data;
      if (snapshot) {
        counts[snapshot.status]++;
        completed += snapshot.progress.completed;
        failed += snapshot.progress.failed;
        total = total === null || snapshot.progress.total === null ? null : total + snapshot.progress.total;
        fractionSum += snapshot.progress.fraction ?? 0;
      } else {
        counts.pending++;
        total = null;
      }
      if (snapshot?.isTerminal) terminal++;
      if (snapshot?.isTerminal || state.error !== null) settled++;
      isLoading ||= state.isLoading;
      error ??= state.error;
      const { source, id } = spec;
      // `keys` changes with every scope, so the one read here is current.
      const scope = scopeOf(spec);
      const queryKey = jobQueryKey(source, id, scope);
      return toJobResult(
        state,
        typeof source.cancel === 'function',
        () => cancelJob(client, source, id, { scope }),
        () => client.refetchQueries({ queryKey, exact: true }),
        () => client.getQueryData<JobQueryData<unknown>>(queryKey)?.poll,
      );
    });
    const n = states.length;
    return {
      jobs: results as JobsResult<TJobs>['jobs'],
      progress: {
        completed,
        failed,
        total,
        fraction: n === 0 ? null : total ? completed / total : fractionSum / n,
        jobsEnded: terminal,
        jobsFraction: n === 0 ? null : terminal / n,
      },
      counts,
      allTerminal: terminal === n,
      allSettled: settled === n,
      isLoading,
      error,
    };
  }, [states, client, keys]);
}
