import type { CheckBatch } from '@batchwatch/check-client';
import type { RunflowBatch } from '@batchwatch/runflow-client';
import type { SupermetricsQueryStatus } from '@batchwatch/supermetrics-client';
import { type QueryClient, useSuspenseQuery } from '@tanstack/react-query';
import { describe, expectTypeOf, it } from 'vitest';
import {
  batchQueryOptions,
  type JobProgress,
  type JobQueryData,
  type JobResult,
  type JobSnapshot,
  type JobSource,
  type JobStatus,
  jobQueryKey,
  queryStatusOptions,
  type RemoteJobSource,
  type RowsOf,
  remoteSource,
  useBatch,
  useJob,
  useJobs,
  useQueryStatus,
  useSuspenseBatch,
  useSuspenseQueryStatus,
} from '../src/index.js';

declare const runflow: JobSource<RunflowBatch>;
declare const check: JobSource<CheckBatch>;
declare const supermetrics: JobSource<SupermetricsQueryStatus>;
declare const queryClient: QueryClient;

describe('useBatch / useJob', () => {
  it('should type the snapshot from the source', () => {
    const result = useBatch(runflow, 'b1');
    expectTypeOf(result).toEqualTypeOf<JobResult<RunflowBatch>>();
    expectTypeOf(result.snapshot).toEqualTypeOf<JobSnapshot<RunflowBatch> | undefined>();
    expectTypeOf(result.snapshot!.raw.cost).toEqualTypeOf<RunflowBatch['cost']>();
    expectTypeOf(result.status).toEqualTypeOf<JobStatus | undefined>();
    expectTypeOf(result.progress).toEqualTypeOf<JobProgress | undefined>();
    expectTypeOf(result.error).toEqualTypeOf<Error | null>();
    expectTypeOf(result.nextPollAt).toEqualTypeOf<number | null>();
    expectTypeOf(result.cancel).returns.resolves.toEqualTypeOf<JobSnapshot<RunflowBatch> | undefined>();
    expectTypeOf(useJob(check, undefined).snapshot).toEqualTypeOf<JobSnapshot<CheckBatch> | undefined>();
  });

  it('should accept options and reject unknown ones', () => {
    useBatch(runflow, 'b1', { maxIntervalMs: 10_000, pollInBackground: true, queryClient, timeoutMs: 60_000 });
    // @ts-expect-error retry is not an option: core's schedule retries
    useBatch(runflow, 'b1', { retry: 3 });
    // @ts-expect-error the id is a string
    useBatch(runflow, 42);
  });

  it('should give a defined snapshot from the Suspense hooks', () => {
    const result = useSuspenseBatch(check, 'batch_1');
    expectTypeOf(result.snapshot).toEqualTypeOf<JobSnapshot<CheckBatch>>();
    expectTypeOf(result.status).toEqualTypeOf<JobStatus>();
    expectTypeOf(result.progress).toEqualTypeOf<JobProgress>();
    // @ts-expect-error Suspense needs an id
    useSuspenseBatch(check, undefined);
  });
});

describe('useQueryStatus', () => {
  it('should type rows from the raw body', () => {
    const result = useQueryStatus(supermetrics, 'abc');
    expectTypeOf(result.rows).toEqualTypeOf<Record<string, unknown>[] | undefined>();
    expectTypeOf(result.snapshot).toEqualTypeOf<JobSnapshot<SupermetricsQueryStatus> | undefined>();
    expectTypeOf(useSuspenseQueryStatus(supermetrics, 'abc').rows).toEqualTypeOf<
      Record<string, unknown>[] | undefined
    >();
  });

  it('should type rows of a custom body and have none without a data array', () => {
    interface Report {
      data?: { day: string; clicks: number }[];
    }
    expectTypeOf<RowsOf<Report>>().toEqualTypeOf<{ day: string; clicks: number }[]>();
    expectTypeOf<RowsOf<RunflowBatch>>().toBeNever();
    expectTypeOf(useQueryStatus(runflow, 'x').rows).toEqualTypeOf<undefined>();
  });
});

describe('useJobs', () => {
  it('should type each job from its own source', () => {
    const { jobs, progress, counts, allTerminal } = useJobs([
      { source: runflow, id: 'a' },
      { source: check, id: 'b' },
    ]);
    expectTypeOf(jobs[0].snapshot).toEqualTypeOf<JobSnapshot<RunflowBatch> | undefined>();
    expectTypeOf(jobs[1].snapshot).toEqualTypeOf<JobSnapshot<CheckBatch> | undefined>();
    expectTypeOf(progress.total).toEqualTypeOf<number | null>();
    expectTypeOf(counts.pending).toEqualTypeOf<number>();
    expectTypeOf(allTerminal).toEqualTypeOf<boolean>();
  });

  it('should accept a dynamic list', () => {
    const list: { source: JobSource<RunflowBatch>; id: string }[] = [];
    expectTypeOf(useJobs(list).jobs).toEqualTypeOf<JobResult<RunflowBatch>[]>();
  });
});

describe('remoteSource', () => {
  it('should give unknown raw by default and the given type when asked', () => {
    const plain = remoteSource('/api/batchwatch', { provider: 'runflow', kind: 'batch' });
    expectTypeOf(plain).toEqualTypeOf<RemoteJobSource<unknown>>();
    expectTypeOf(useBatch(plain, 'b1').snapshot).toEqualTypeOf<JobSnapshot<unknown> | undefined>();
    expectTypeOf(useQueryStatus(plain, 'q').rows).toEqualTypeOf<undefined>();
    const typed = remoteSource<SupermetricsQueryStatus>('/api/batchwatch', { provider: 'supermetrics', kind: 'query' });
    expectTypeOf(useQueryStatus(typed, 'q').rows).toEqualTypeOf<Record<string, unknown>[] | undefined>();
    const api = remoteSource('/api/batchwatch');
    expectTypeOf(api<RunflowBatch>('runflow', 'batch')).toEqualTypeOf<RemoteJobSource<RunflowBatch>>();
  });
});

describe('query options', () => {
  it('should type data for useSuspenseQuery and the query cache', () => {
    const options = batchQueryOptions(runflow, 'b1');
    expectTypeOf(useSuspenseQuery(options).data).toEqualTypeOf<JobQueryData<RunflowBatch>>();
    expectTypeOf(queryClient.getQueryData(options.queryKey)).toEqualTypeOf<JobQueryData<RunflowBatch> | undefined>();
    expectTypeOf(queryClient.ensureQueryData(queryStatusOptions(supermetrics, 's1'))).resolves.toEqualTypeOf<
      JobQueryData<SupermetricsQueryStatus>
    >();
    expectTypeOf(jobQueryKey(runflow, 'b1')).toEqualTypeOf<
      readonly ['batchwatch', provider: string, kind: string, id: string | null, scope?: string]
    >();
  });
});
