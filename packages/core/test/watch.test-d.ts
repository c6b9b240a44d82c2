import { describe, expectTypeOf, it } from 'vitest';
import { type PollOnceResult, pollOnce, resumeJob } from '../src/handles.js';
import {
  type JobHandle,
  type JobSnapshot,
  type JobSource,
  type JobWatch,
  type SnapshotOf,
  waitForJob,
  watchJob,
} from '../src/index.js';
import { createJobScheduler } from '../src/scheduler.js';

interface BatchBody {
  batch_id: string;
  cost: string;
}
declare const source: JobSource<BatchBody>;

describe('snapshot types', () => {
  it('should flow the raw type from the source to done', () => {
    expectTypeOf(watchJob(source, 'b1')).toEqualTypeOf<JobWatch<BatchBody>>();
    expectTypeOf(watchJob(source, 'b1').done).resolves.toEqualTypeOf<JobSnapshot<BatchBody>>();
    expectTypeOf(waitForJob(source, 'b1')).resolves.toHaveProperty('raw').toEqualTypeOf<BatchBody>();
    expectTypeOf<SnapshotOf<typeof source>>().toEqualTypeOf<JobSnapshot<BatchBody>>();
  });

  it('should type iterator values and subscribe listeners', async () => {
    for await (const snapshot of watchJob(source, 'b1')) {
      expectTypeOf(snapshot.raw.cost).toEqualTypeOf<string>();
    }
    watchJob(source, 'b1').subscribe((snapshot) => {
      expectTypeOf(snapshot).toEqualTypeOf<JobSnapshot<BatchBody>>();
    });
    expectTypeOf(watchJob(source, 'b1').getSnapshot()).toEqualTypeOf<JobSnapshot<BatchBody> | undefined>();
    expectTypeOf(watchJob(source, 'b1').cancel()).resolves.toEqualTypeOf<JobSnapshot<BatchBody>>();
  });

  it('should type callbacks from the source, not infer the source from them', () => {
    const watch = watchJob(source, 'b1', {
      onSnapshot: (snapshot) => expectTypeOf(snapshot.raw).toEqualTypeOf<BatchBody>(),
      onStatusChange: (from, to, snapshot) => {
        expectTypeOf(from).toEqualTypeOf<JobSnapshot['status'] | null>();
        expectTypeOf(to).toEqualTypeOf<JobSnapshot['status']>();
        expectTypeOf(snapshot.raw.batch_id).toEqualTypeOf<string>();
      },
      onProgress: (progress, snapshot) => {
        expectTypeOf(progress.fraction).toEqualTypeOf<number | null>();
        expectTypeOf(snapshot.raw).toEqualTypeOf<BatchBody>();
      },
      onUnknownStatus: (raw, snapshot) => {
        expectTypeOf(raw).toEqualTypeOf<string | null>();
        expectTypeOf(snapshot.raw).toEqualTypeOf<BatchBody>();
      },
    });
    expectTypeOf(watch).toEqualTypeOf<JobWatch<BatchBody>>();
    // @ts-expect-error a callback cannot ask for another raw type than the source's
    watchJob(source, 'b1', { onSnapshot: (snapshot: JobSnapshot<{ other: number }>) => snapshot });
  });

  it('should type handles, resume, pollOnce and scheduler watches', () => {
    const handle = watchJob(source, 'b1').toHandle();
    expectTypeOf(handle).toEqualTypeOf<JobHandle>();
    expectTypeOf(resumeJob(source, handle).done).resolves.toEqualTypeOf<JobSnapshot<BatchBody>>();
    expectTypeOf(pollOnce(source, handle)).resolves.toEqualTypeOf<PollOnceResult<BatchBody>>();
    expectTypeOf(createJobScheduler().watch(source, 'b1').done).resolves.toEqualTypeOf<JobSnapshot<BatchBody>>();
    // @ts-expect-error the scheduler owns the clock
    createJobScheduler().watch(source, 'b1', { clock: { now: () => 0, setTimeout: () => 0, clearTimeout: () => {} } });
  });
});
