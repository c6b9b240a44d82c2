import { describe, expectTypeOf, it } from 'vitest';
import type { FieldPath, JobKind, KindProgress, StatusTable } from '../src/client-kit/index.js';
import type { JobSource } from '../src/index.js';

interface Batch {
  status?: string;
  meta?: { counts?: { done?: number; total?: number | null } | null; tags?: string[] };
  items?: Array<{ id: string }>;
}
type KnownStatus = 'pending' | 'running' | 'completed';

describe('job kind types', () => {
  it('should list the dotted paths of a body, not entering arrays', () => {
    expectTypeOf<FieldPath<Batch>>().toEqualTypeOf<
      'status' | 'meta' | 'items' | 'meta.counts' | 'meta.tags' | 'meta.counts.done' | 'meta.counts.total'
    >();
  });

  it('should refuse a field the body does not have', () => {
    const ok: KindProgress<Batch> = { completed: 'meta.counts.done', total: 'meta.counts.total' };
    // @ts-expect-error a typo in a field path fails typecheck
    const typo: KindProgress<Batch> = { completed: 'meta.count.done' };
    void ok;
    void typo;
  });

  it('should fail typecheck when the table lacks a documented status or has an undocumented one', () => {
    // @ts-expect-error 'completed' is documented and not mapped
    const missing: StatusTable<KnownStatus> = { pending: 'queued', running: 'running' };
    const extra: StatusTable<KnownStatus> = {
      pending: 'queued',
      running: 'running',
      completed: 'succeeded',
      // @ts-expect-error 'paused' is not documented
      paused: 'unknown',
    };
    void missing;
    void extra;
  });

  it('should type the source a kind builds', () => {
    type Build = typeof import('../src/client-kit/index.js').createJobSource<unknown, Batch, { id: string }>;
    expectTypeOf<ReturnType<Build>>().toEqualTypeOf<JobSource<Batch, { id: string }>>();
    expectTypeOf<JobKind<unknown, Batch>['status']['table']>().toEqualTypeOf<StatusTable>();
  });
});
