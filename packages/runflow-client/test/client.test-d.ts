import { describe, expectTypeOf, it } from 'vitest';
import { createRunflowClient, type RunflowBatch, runflowBatch } from '../src/index.js';

const client = createRunflowClient({ apiKey: 'k' });

describe('types', () => {
  it('should type responses from the spec', async () => {
    const { data } = await client.GET('/v1/batches/{id}', { params: { path: { id: 'x' } } });
    expectTypeOf(data).toEqualTypeOf<RunflowBatch | undefined>();
    expectTypeOf(data!.cost).toEqualTypeOf<string | null | undefined>();
    expectTypeOf(data!.status_code).toEqualTypeOf<string | null | undefined>();
  });

  it('should reject wrong paths and parameters at compile time', () => {
    // @ts-expect-error: no such path
    void client.GET('/v1/batch/{id}', { params: { path: { id: 'x' } } });
    // @ts-expect-error: the path parameter is called id
    void client.GET('/v1/batches/{id}', { params: { path: { batch_id: 'x' } } });
    // @ts-expect-error: limit is a number
    void client.GET('/v1/batches/{batch_id}/items', { params: { path: { batch_id: 'x' }, query: { limit: '10' } } });
    // @ts-expect-error: organizationId is a string
    createRunflowClient({ apiKey: 'k', organizationId: 42 });
  });

  it('should flow the raw type into the source', () => {
    expectTypeOf(runflowBatch(client).fetchSnapshot)
      .returns.resolves.toHaveProperty('snapshot')
      .toHaveProperty('raw')
      .toEqualTypeOf<RunflowBatch>();
  });
});
