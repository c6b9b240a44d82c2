import {
  type DelaySource,
  type JobHandle,
  type JobSnapshot,
  type JobSource,
  MAX_DELAY_MS,
  type PollOptions,
} from '@batchwatch/core';
import { createJobHandle, pollKeptHandle, pollKeptHandleUntilSnapshot } from '@batchwatch/core/handles';
import {
  type DataTag,
  focusManager,
  type QueryFunction,
  type QueryFunctionContext,
  type QueryMeta,
  type QueryState,
  queryOptions,
  type UseQueryOptions,
} from '@tanstack/react-query';

/** The query key of a job: `['batchwatch', provider, kind, id]`, with the `scope` last when there is one. */
export type JobQueryKey = readonly ['batchwatch', provider: string, kind: string, id: string | null, scope?: string];

/**
 * Where polling stands, as core's last poll step left it. A new object on every poll (so a TanStack
 * `select` over it runs again), never changed after it was cached.
 */
export interface JobPollState {
  /** The core handle: attempt count, backoff exponent, error budget, deadline, `nextPollAt`. */
  handle: JobHandle;
  /** The delay core chose after the last poll, or `null` when polling ended. */
  delayMs: number | null;
  /** Which schedule rule chose `delayMs` (`'server'` for a `Retry-After`), or `null`. */
  delaySource: DelaySource | null;
  /** The transient error the last poll failed with (it is being retried), or `undefined` after a success. */
  pollError: unknown;
}

/**
 * What a job query caches: a new object on every poll, with the last changed snapshot (the same
 * object across polls that changed nothing, so what depends on it alone does not re-render) and
 * the poll state.
 */
export interface JobQueryData<TRaw = unknown> {
  /** The last snapshot that differed from the one before (core's change rule); `progress.fraction` never goes backwards. */
  readonly snapshot: JobSnapshot<TRaw>;
  /** Where polling stands after this poll. See {@link JobPollState}. */
  readonly poll: Readonly<JobPollState>;
}

/** Options of {@link jobQueryOptions} and every hook: the core schedule plus a few TanStack Query settings. */
export interface JobQueryOptions extends PollOptions {
  /** Set to `false` to not poll. Also off while `id` is `null`, `undefined` or `''`. Defaults to `true`. */
  enabled?: boolean;
  /** Keep polling while the tab is hidden (TanStack `refetchIntervalInBackground`). Defaults to `false`. */
  pollInBackground?: boolean;
  /** How long an unused job stays cached, in ms (TanStack `gcTime`). Defaults to TanStack's `300_000`. */
  gcTime?: number;
  /** TanStack `meta` for the query. Defaults to none. */
  meta?: QueryMeta;
  /**
   * Whose job this is (a tenant, an account), added to the query key. Jobs are cached by provider,
   * kind and id, so two sources that read the same id as different accounts (two tenants' keys)
   * share one cache entry, and the first one's data, unless each passes its own scope. Defaults to
   * none.
   */
  scope?: string;
}

/**
 * The query key of `source`'s job `id`: `['batchwatch', provider, kind, id]`, plus `scope` when
 * given. Use it to invalidate or read the cache.
 */
export function jobQueryKey(
  source: Pick<JobSource<unknown>, 'provider' | 'kind'>,
  id: string | null | undefined,
  scope?: string,
): JobQueryKey {
  const key = ['batchwatch', source.provider, source.kind, id ?? null] as const;
  return scope === undefined ? key : [...key, scope];
}

// A job query holds JobQueryData or nothing; anything without a poll state is treated as nothing.
const isJobData = (value: unknown): value is JobQueryData<unknown> => !!(value as JobQueryData | undefined)?.poll;

/**
 * One poll step through core. Transient errors (network, 5xx, 429) are not thrown: with a snapshot
 * cached they are recorded in `poll.pollError` and the next poll follows the core schedule (a
 * 429's `Retry-After` included); before the first snapshot, core's `pollKeptHandleUntilSnapshot`
 * waits out the schedule, so Suspense and `ensureQueryData` resolve with a snapshot. Fatal errors (400, 401, 403,
 * 404, a spent error budget, the deadline) are thrown and end polling.
 */
async function pollJob<TRaw>(
  source: JobSource<TRaw>,
  id: string | null | undefined,
  options: JobQueryOptions,
  context: QueryFunctionContext<JobQueryKey>,
): Promise<JobQueryData<TRaw>> {
  const { client, queryKey, signal } = context;
  const cached = client.getQueryData(queryKey);
  const prev = isJobData(cached) ? (cached as JobQueryData<TRaw>) : undefined;
  // `createJobHandle` throws ValidationError for a missing or invalid id before any request.
  const handle = prev?.poll.handle ?? createJobHandle(source, id as string, { timeoutMs: options.timeoutMs });
  // The step reads only the poll options (and ignores timeoutMs: the deadline is in the handle).
  // A kept handle's step resolves an unsuccessful end with its snapshot (the hooks show it).
  const policy = { ...options, signal };
  // Nothing to show yet: keep polling on the schedule until there is a snapshot (or an end).
  const step = await (prev ? pollKeptHandle : pollKeptHandleUntilSnapshot)(source, handle, policy);
  if (step.done && step.error !== undefined) throw step.error;
  const poll: JobPollState = {
    handle: step.handle,
    delayMs: step.delayMs,
    delaySource: step.delaySource,
    pollError: step.snapshot ? undefined : step.error,
  };
  // Without a new snapshot (a transient error) or with an unchanged one, the snapshot stays the same object.
  const changed = step.snapshot && !(prev && step.handle.sig === handle.sig);
  return { snapshot: (changed ? step.snapshot : prev?.snapshot) as JobSnapshot<TRaw>, poll };
}

// All of the following read the query; none has side effects, since TanStack calls them often.

/** The part of a TanStack `Query` these functions read. */
interface QueryLike {
  state: Pick<QueryState<unknown, unknown>, 'data' | 'dataUpdatedAt' | 'status' | 'fetchStatus'>;
}

/** Fresh until the next scheduled poll, so a mount or a focus never polls ahead of the schedule. Forever once terminal. */
function staleTime(query: QueryLike): number {
  const data = query.state.data;
  if (!isJobData(data)) return 0;
  if (data.snapshot.isTerminal) return Infinity;
  return Math.max(0, data.poll.handle.nextPollAt - query.state.dataUpdatedAt);
}

function nextInterval(query: QueryLike, inBackground: boolean): number | false {
  const { data, status, fetchStatus } = query.state;
  // Fatal errors stop polling; the first load and a running poll re-arm the timer when they end.
  if (status === 'error' || fetchStatus !== 'idle' || !isJobData(data)) return false;
  if (data.snapshot.isTerminal || data.poll.delayMs === null) return false;
  const remaining = data.poll.handle.nextPollAt - Date.now();
  if (remaining > 0) return Math.min(remaining, MAX_DELAY_MS);
  // Due now or overdue: poll at once (TanStack reads 0 as "no interval", so 1 ms). This happens when
  // a re-render re-arms the timer in the very millisecond it was due (a sibling job's poll, in
  // useJobs), or after a cancelled fetch. A hidden tab waits for focus instead: the query is stale by
  // then, so focus polls at once.
  return inBackground || focusManager.isFocused() ? 1 : false;
}

const notAfterError = (query: QueryLike) => query.state.status !== 'error';

/** The options {@link jobQueryOptions} returns: `useQuery`, `useSuspenseQuery`, `prefetchQuery` and `ensureQueryData` accept them. */
export type JobQueryOptionsResult<TRaw> = Omit<
  UseQueryOptions<JobQueryData<TRaw>, Error, JobQueryData<TRaw>, JobQueryKey>,
  'queryKey' | 'queryFn'
> & {
  queryKey: DataTag<JobQueryKey, JobQueryData<TRaw>, Error>;
  queryFn: QueryFunction<JobQueryData<TRaw>, JobQueryKey>;
};

/**
 * TanStack Query options that watch `source`'s job `id` on the core schedule: each fetch is one
 * core poll step (`pollKeptHandle`), `refetchInterval` is the delay core chose (server
 * `Retry-After` first, then the ETA-aware schedule, clamped), polling stops on a terminal
 * snapshot or a fatal error, and `data.snapshot` stays `===` across polls that changed nothing
 * (`data` itself is new on every poll, so a `select` sees each one). Use it with `prefetchQuery`,
 * `ensureQueryData`, `useQuery`, `useSuspenseQuery` or `HydrationBoundary`; `data.snapshot` is the
 * snapshot.
 *
 * @example
 * await queryClient.prefetchQuery(jobQueryOptions(runflowBatch(client), batchId));
 */
export function jobQueryOptions<TRaw>(
  source: JobSource<TRaw>,
  id: string | null | undefined,
  options: JobQueryOptions = {},
): JobQueryOptionsResult<TRaw> {
  const inBackground = options.pollInBackground === true;
  const query = queryOptions({
    queryKey: jobQueryKey(source, id, options.scope),
    queryFn: (context: QueryFunctionContext<JobQueryKey>) => pollJob(source, id, options, context),
    enabled: options.enabled !== false && typeof id === 'string' && id !== '',
    // Core's schedule retries transient errors; TanStack's retries would ignore Retry-After and pause in hidden tabs.
    retry: false,
    staleTime,
    refetchInterval: (q) => nextInterval(q, inBackground),
    refetchIntervalInBackground: inBackground,
    refetchOnWindowFocus: notAfterError,
    refetchOnReconnect: notAfterError,
    // pollJob keeps an unchanged snapshot the same object; a deep compare of raw bodies would only cost.
    structuralSharing: false,
    ...(options.gcTime !== undefined && { gcTime: options.gcTime }),
    ...(options.meta !== undefined && { meta: options.meta }),
  });
  return query as JobQueryOptionsResult<TRaw>;
}

/** {@link jobQueryOptions} for a batch source (`runflowBatch`, `checkBatch`, `supermetricsBatch`, a remote one). */
export const batchQueryOptions: <TRaw>(
  source: JobSource<TRaw>,
  batchId: string | null | undefined,
  options?: JobQueryOptions,
) => JobQueryOptionsResult<TRaw> = jobQueryOptions;

/** {@link jobQueryOptions} for a Supermetrics query status source (`supermetricsQueryStatus`), by schedule id. */
export const queryStatusOptions: <TRaw>(
  source: JobSource<TRaw>,
  scheduleId: string | null | undefined,
  options?: JobQueryOptions,
) => JobQueryOptionsResult<TRaw> = jobQueryOptions;
