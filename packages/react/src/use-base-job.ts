import type { JobSnapshot, JobSource } from '@batchwatch/core';
import { type QueryClient, useQuery, useQueryClient, useSuspenseQuery } from '@tanstack/react-query';
import { useCallback, useMemo, useRef } from 'react';
import { cancelJob } from './cancel.js';
import { selectSnapshot, toJobResult } from './job-result.js';
import { type JobQueryData, type JobQueryKey, type JobQueryOptionsResult, jobQueryOptions } from './query-options.js';
import type { JobResult, UseJobOptions } from './types.js';

/** The part of a TanStack query result the base hook reads: `data` is the selected snapshot. */
export interface QueryResultLike<TRaw> {
  data: JobSnapshot<TRaw> | undefined;
  error: Error | null;
  isLoading: boolean;
  dataUpdatedAt: number;
  refetch: () => Promise<unknown>;
}

/** `useQuery` or `useSuspenseQuery`, as the base hook calls it (with the snapshot selected). */
export type JobQueryHook = <TRaw>(
  options: Omit<JobQueryOptionsResult<TRaw>, 'select'> & { select: (data: JobQueryData<TRaw>) => JobSnapshot<TRaw> },
  client: QueryClient,
) => QueryResultLike<TRaw>;

/** `useQuery` for job options. */
export const useJobQuery: JobQueryHook = useQuery as JobQueryHook;

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
  const { scope } = queryOptions;
  const client = useQueryClient(queryClient);
  const query = jobQueryOptions(source, id, queryOptions);
  // Only the snapshot is selected: a poll that changed nothing gives the component nothing new.
  const result = useQueryHook({ ...query, select: selectSnapshot<TRaw> }, client);
  // The latest source, result and key, for callbacks and getters that must not change identity when
  // a caller builds its source inline (a new object every render) or TanStack hands out a new result.
  const live = useRef<{ source: JobSource<TRaw>; result: QueryResultLike<TRaw>; key: JobQueryKey }>(null as never);
  live.current = { source, result, key: query.queryKey };
  const { data, error, isLoading } = result;
  const canCancel = typeof source.cancel === 'function';

  const cancel = useCallback(
    (): Promise<JobSnapshot<TRaw> | undefined> => cancelJob(client, live.current.source, id, { scope }),
    [client, id, scope],
  );
  const refetch = useCallback(async (): Promise<void> => {
    await live.current.result.refetch();
  }, []);

  return useMemo(() => {
    // Reading `dataUpdatedAt` on TanStack's tracked result subscribes the component to every poll:
    // only components that read `nextPollAt` or `pollError` pay for that.
    const poll = () => {
      live.current.result.dataUpdatedAt;
      return client.getQueryData<JobQueryData<TRaw>>(live.current.key)?.poll;
    };
    const base = toJobResult({ data, error, isLoading }, canCancel, cancel, refetch, poll);
    return Object.assign(base, extend(data));
  }, [data, error, isLoading, canCancel, cancel, refetch, extend, client]);
}
