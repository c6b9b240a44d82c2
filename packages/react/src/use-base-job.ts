import type { JobSnapshot, JobSource } from '@batchwatch/core';
import { type QueryClient, useQuery, useQueryClient, useSuspenseQuery } from '@tanstack/react-query';
import { useCallback, useMemo, useRef } from 'react';
import { cancelJob } from './cancel.js';
import { toJobResult } from './job-result.js';
import { type JobQueryData, type JobQueryOptionsResult, jobQueryOptions } from './query-options.js';
import type { JobResult, UseJobOptions } from './types.js';

/** The part of a TanStack query result the base hook reads. */
export interface QueryResultLike<TRaw> {
  data: JobQueryData<TRaw> | undefined;
  error: Error | null;
  isLoading: boolean;
  dataUpdatedAt: number;
  refetch: () => Promise<unknown>;
}

/** `useQuery` or `useSuspenseQuery`, as the base hook calls it. */
export type JobQueryHook = <TRaw>(options: JobQueryOptionsResult<TRaw>, client: QueryClient) => QueryResultLike<TRaw>;

/** `useQuery` for job options. */
export const useJobQuery: JobQueryHook = useQuery;

/** `useSuspenseQuery` for job options (it ignores `enabled`). */
export const useSuspenseJobQuery: JobQueryHook = useSuspenseQuery as JobQueryHook;

/** Extra fields a hook derives from the snapshot, e.g. `rows`. Must be a stable (module-level) function. */
export type Extend<TRaw, TExtra> = (snapshot: JobSnapshot<TRaw> | undefined) => TExtra;

const noExtra = (): {} => ({});

/**
 * The one hook every job hook is: TanStack `useQuery` (or `useSuspenseQuery`) over
 * {@link jobQueryOptions}, shaped into a {@link JobResult} that keeps its identity while nothing
 * changed.
 */
export function useBaseJob<TRaw, TExtra extends object = {}>(
  source: JobSource<TRaw>,
  id: string | null | undefined,
  options: UseJobOptions | undefined,
  useQueryHook: JobQueryHook,
  extend: Extend<TRaw, TExtra> = noExtra as unknown as Extend<TRaw, TExtra>,
): JobResult<TRaw> & TExtra {
  const { queryClient, ...queryOptions } = options ?? {};
  const client = useQueryClient(queryClient);
  const result = useQueryHook(jobQueryOptions(source, id, queryOptions), client);
  // The latest source and result, for callbacks and getters that must not change identity when
  // a caller builds its source inline (a new object every render) or TanStack hands out a new result.
  const live = useRef({ source, result });
  live.current = { source, result };
  const { data, error, isLoading } = result;
  const canCancel = typeof source.cancel === 'function';

  const cancel = useCallback(
    (): Promise<JobSnapshot<TRaw> | undefined> => cancelJob(client, live.current.source, id),
    [client, id],
  );
  const refetch = useCallback(async (): Promise<void> => {
    await live.current.result.refetch();
  }, []);

  return useMemo(() => {
    // Reading `dataUpdatedAt` on TanStack's tracked result subscribes the component to every poll:
    // only components that read `nextPollAt` or `pollError` pay for that.
    const track = () => live.current.result.dataUpdatedAt;
    const base = toJobResult({ data, error, isLoading }, canCancel, cancel, refetch, track);
    return Object.assign(base, extend(data?.snapshot));
  }, [data, error, isLoading, canCancel, cancel, refetch, extend]);
}
