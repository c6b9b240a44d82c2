import { jobResults } from '@batchwatch/core/results';
import { type RecordedRequest, type RecordingServer, startRecordingServer } from '@batchwatch/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type CheckBatch,
  checkBatch,
  checkBatchKind,
  checkBatchSnapshot,
  checkParamRules,
  checkResultItem,
  createCheckClient,
} from '../src/index.js';

// How Check's batches and item results become batchwatch's model (provider-notes 3.4-3.8, the README).
const ID = 'batch_a1b2c3d4e5f6';
const ctx = () => ({ signal: new AbortController().signal, now: () => 0 });
const snapshot = (fields: Omit<CheckBatch, 'id'>) => checkBatchSnapshot({ id: ID, ...fields }, 0);

describe('the failure of a Check batch', () => {
  it('should carry errorMessage, with the code validation_error only when validationErrors has entries', () => {
    expect(snapshot({ status: 'failed', errorMessage: 'Internal processing error' }).failure).toStrictEqual({
      message: 'Internal processing error',
    });
    expect(snapshot({ status: 'failed', errorMessage: 'x', validationErrors: null }).failure).toStrictEqual({
      message: 'x',
    });
    expect(snapshot({ status: 'failed', errorMessage: 'x', validationErrors: [] }).failure).toStrictEqual({
      message: 'x',
    });
    expect(
      snapshot({ status: 'failed', errorMessage: '1 validation error(s)', validationErrors: [{ row: 2, error: 'e' }] })
        .failure,
    ).toStrictEqual({ code: 'validation_error', message: '1 validation error(s)' });
  });

  it('should explain a failed batch without errorMessage by its item counts (item_failures)', () => {
    expect(
      snapshot({ status: 'completed', totalItems: 3, processedItems: 3, successCount: 0, failureCount: 3 }).failure,
    ).toStrictEqual({ code: 'item_failures', message: '3 of 3 items failed' });
    expect(snapshot({ status: 'failed', errorMessage: null, totalItems: 4, failureCount: 1 }).failure).toStrictEqual({
      code: 'item_failures',
      message: '1 of 4 items failed',
    });
  });

  it('should explain a partially succeeded batch by its item counts', () => {
    expect(snapshot({ status: 'completed', totalItems: 5, successCount: 3, failureCount: 2 }).failure).toStrictEqual({
      code: 'item_failures',
      message: '2 of 5 items failed',
    });
  });

  it('should count what Check does not send, or sends as no finite number, as 0 in that message', () => {
    expect(snapshot({ status: 'failed' }).failure).toStrictEqual({
      code: 'item_failures',
      message: '0 of 0 items failed',
    });
    const raw = JSON.parse('{"id":"batch_1","status":"failed","failureCount":1e400,"totalItems":null}') as CheckBatch;
    expect(checkBatchSnapshot(raw, 0).failure?.message).toBe('0 of 0 items failed');
  });

  it.each<Omit<CheckBatch, 'id'>>([
    { status: 'completed', totalItems: 3, successCount: 3, failureCount: 0 },
    { status: 'cancelled', totalItems: 3, successCount: 1, failureCount: 1 },
    { status: 'processing', totalItems: 3, failureCount: 1 },
    { status: 'pending' },
    { status: 'archived', failureCount: 1 },
  ])('should report no failure for %j', (fields) => {
    expect(snapshot(fields).failure).toBeUndefined();
  });
});

describe('a Check batch snapshot', () => {
  it('should be a check batch, with createdAt, startedAt and completedAt (as finishedAt)', () => {
    expect(
      snapshot({
        status: 'completed',
        createdAt: '2024-01-15T10:00:00Z',
        startedAt: '2024-01-15T10:00:01Z',
        completedAt: '2024-01-15T10:02:30Z',
      }),
    ).toMatchObject({
      provider: 'check',
      kind: 'batch',
      timestamps: {
        createdAt: '2024-01-15T10:00:00Z',
        startedAt: '2024-01-15T10:00:01Z',
        finishedAt: '2024-01-15T10:02:30Z',
      },
    });
  });
});

describe('a Check result item', () => {
  it('should take its index from itemIndex, and its position only when there is none', () => {
    expect(checkResultItem({ id: 'item_008', status: 'completed', itemIndex: 7 }, 2).index).toBe(7);
    expect(checkResultItem({ id: 'item_008', status: 'completed' }, 2).index).toBe(2);
  });

  it('should carry errorMessage as the failure, and no failure for an item that says nothing and did not fail', () => {
    expect(
      checkResultItem({ id: 'item_003', status: 'failed', errorMessage: 'Verification timed out' }, 2).failure,
    ).toStrictEqual({ message: 'Verification timed out' });
    expect(checkResultItem({ id: 'item_003', status: 'failed', errorMessage: null }, 2).failure).toStrictEqual({
      message: 'the item failed without an errorMessage',
    });
    expect(checkResultItem({ id: 'item_003', status: 'skipped' }, 2)).not.toHaveProperty('failure');
  });
});

describe('what a Check source requests: the operations its kind names', () => {
  let server: RecordingServer;
  beforeEach(async () => {
    server = await startRecordingServer();
  });
  afterEach(async () => {
    await server.close();
  });

  const client = () => createCheckClient({ apiKey: 'vfy_test_key', baseUrl: server.url });
  const sent = (r: RecordedRequest | undefined) => `${r?.method} ${new URL(r?.url ?? '', 'http://x').pathname}`;
  const fill = (operation: string, id: string) => operation.replace('{id}', id);
  const query = (r: RecordedRequest | undefined) => new URL(r?.url ?? '', 'http://x').searchParams;

  it('should poll a batch at GET /v1/batch/{id}', async () => {
    server.respond(() => ({ body: { id: ID, status: 'processing', totalItems: 4, processedItems: 1 } }));
    const { snapshot } = await checkBatch(client()).fetchSnapshot(ID, ctx());
    expect(snapshot).toMatchObject({ provider: 'check', kind: 'batch', status: 'running' });
    expect(sent(server.requests[0])).toBe(`GET /v1/batch/${ID}`);
    expect(fill(checkBatchKind.operation, ID)).toBe(sent(server.requests[0]));
  });

  it('should read results at GET /v1/batch/{id}/results by limit / offset, the paging its description names', async () => {
    server.respond(() => ({
      body: {
        items: [{ id: 'item_001', itemIndex: 0, status: 'completed' }],
        pagination: { total: 1, hasMore: false },
      },
    }));
    await jobResults(checkBatch(client()), ID).toArray({ max: 5 });
    expect(sent(server.requests[0])).toBe(`GET /v1/batch/${ID}/results`);
    const results = checkBatchKind.results;
    expect(fill(results?.operation ?? '', ID)).toBe(sent(server.requests[0]));
    // The mock provider pages the described results by `paging`: the spec's offset / limit query.
    expect(results?.paging).toBe('offset');
    const params = (checkParamRules[results?.operation ?? ''] ?? []).map((p) => `${p.in} ${p.name}`);
    expect(params).toEqual(expect.arrayContaining(['path id', 'query limit', 'query offset']));
    expect([...query(server.requests[0]).keys()].sort()).toEqual(['limit', 'offset']);
  });
});

describe('the totals of Check result pages', () => {
  let server: RecordingServer;
  beforeEach(async () => {
    server = await startRecordingServer();
  });
  afterEach(async () => {
    await server.close();
  });

  const client = () => createCheckClient({ apiKey: 'vfy_test_key', baseUrl: server.url });
  const item = (i: number) => ({ id: `item_00${i + 1}`, itemIndex: i, status: 'completed' });
  /** The totals of every page of the batch as `serve` answers each offset. */
  async function totals(serve: (offset: number) => object): Promise<Array<number | null>> {
    server.respond((r) => ({ body: serve(Number(new URL(r.url, 'http://x').searchParams.get('offset'))) }));
    const out: Array<number | null> = [];
    for await (const page of jobResults(checkBatch(client()), ID, { pageSize: 2 }).pages()) out.push(page.total);
    return out;
  }

  it("should take pagination.total when the page carries no batch, and the batch's totalItems when it has no pagination", async () => {
    expect(
      await totals((o) => ({ items: o === 0 ? [item(0), item(1)] : [item(2)], pagination: { total: 3 } })),
    ).toEqual([3, 3]);
    expect(
      await totals((o) => ({ items: o === 0 ? [item(0), item(1)] : [item(2)], batch: { id: ID, totalItems: 3 } })),
    ).toEqual([3, 3]);
  });

  it('should leave the total unknown (null) when neither says, and page on until an empty page', async () => {
    expect(await totals((o) => ({ items: o === 0 ? [item(0), item(1)] : [] }))).toEqual([null, null]);
    expect(server.requests.map((r) => new URL(r.url, 'http://x').searchParams.get('offset'))).toEqual(['0', '2']);
  });

  it('should read pages whose pagination and batch are null', async () => {
    expect(await totals((o) => ({ items: o === 0 ? [item(0)] : [], pagination: null, batch: null }))).toEqual([
      null,
      null,
    ]);
  });
});
