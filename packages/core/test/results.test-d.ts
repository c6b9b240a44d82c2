import { describe, expectTypeOf, it } from 'vitest';
import type { ItemOf, ItemStatus, JobSource, ResultItem, ResultPager } from '../src/index.js';
import { jobResults, type ResultPageInfo, type ResultStream } from '../src/results/index.js';

interface Row {
  date: string;
  sessions: number;
}
declare const source: JobSource<{ status: string }, Row>;
declare const pager: ResultPager<Row>;
declare const noResults: JobSource<{ status: string }>;

describe('jobResults types', () => {
  it('should type items by the source results raw type', async () => {
    const stream = jobResults(source, 'id');
    expectTypeOf(stream).toEqualTypeOf<ResultStream<Row>>();
    for await (const item of stream) {
      expectTypeOf(item).toEqualTypeOf<ResultItem<Row>>();
      expectTypeOf(item.raw.sessions).toEqualTypeOf<number>();
      expectTypeOf(item.status).toEqualTypeOf<ItemStatus>();
    }
    expectTypeOf(jobResults(pager, 'id').toArray({ max: 10 })).resolves.toEqualTypeOf<ResultItem<Row>[]>();
    expectTypeOf<ItemOf<typeof source>>().toEqualTypeOf<Row>();
  });

  it('should require max in toArray and type pages', async () => {
    const stream = jobResults(source, 'id');
    // @ts-expect-error max is required: collecting everything must be a decision
    void stream.toArray();
    // @ts-expect-error max is required: collecting everything must be a decision
    void stream.toArray({});
    for await (const page of stream.pages()) expectTypeOf(page).toEqualTypeOf<ResultPageInfo<Row>>();
  });

  it('should accept a source without results at the type level as unknown items', () => {
    expectTypeOf(jobResults(noResults, 'id')).toEqualTypeOf<ResultStream<unknown>>();
  });
});
