import { describe, expectTypeOf, it } from 'vitest';
import { createSupermetricsClient, type SupermetricsQueryStatus } from '../src/index.js';

const client = createSupermetricsClient({ apiKey: 'k' });

describe('types', () => {
  it('should take the json parameter as a typed object', async () => {
    const { data } = await client.GET('/query/status', {
      params: { query: { json: { schedule_id: 'x', offset_end: 10 } } },
    });
    expectTypeOf(data).toEqualTypeOf<SupermetricsQueryStatus | undefined>();
    // @ts-expect-error: offset_start is a number
    void client.GET('/query/status', { params: { query: { json: { schedule_id: 'x', offset_start: '0' } } } });
    // @ts-expect-error: schedule_id is required inside json
    void client.GET('/query/status', { params: { query: { json: { offset_start: 0 } } } });
  });

  it('should reject unknown paths and wrong bodies', () => {
    // @ts-expect-error: no such path
    void client.GET('/query/batches/{batch_id}', { params: { path: { batch_id: 'x' } } });
    // @ts-expect-error: split_dates_policy is day | none
    void client.POST('/query/batch', { body: { queries: ['q'], split_dates_policy: 'week' } });
  });
});
