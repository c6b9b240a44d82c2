import { describe, expectTypeOf, it } from 'vitest';
import { type CheckBatch, createCheckClient } from '../src/index.js';

const client = createCheckClient({ apiKey: 'vfy_x' });

describe('types', () => {
  it('should type the batch from the spec', async () => {
    const { data } = await client.GET('/v1/batch/{id}', { params: { path: { id: 'batch_1' } } });
    expectTypeOf(data).toExtend<CheckBatch | undefined>();
    expectTypeOf(data!.status).toEqualTypeOf<string>();
    expectTypeOf(data!.totalCostCents).toEqualTypeOf<number | undefined>();
  });

  it('should reject wrong parameters and bodies', () => {
    // @ts-expect-error: offset is a number
    void client.GET('/v1/batch', { params: { query: { offset: 'zero' } } });
    // @ts-expect-error: items hold objects with content
    void client.POST('/v1/batch', { body: { items: ['text'] } });
    // @ts-expect-error: there is no DELETE on a batch
    void client.DELETE('/v1/batch/{id}', { params: { path: { id: 'batch_1' } } });
  });
});
