import { jobResults } from '@batchwatch/core/results';
import { type RecordedRequest, type RecordingServer, startRecordingServer } from '@batchwatch/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createRunflowClient,
  type RunflowBatch,
  runflowBatch,
  runflowBatchItem,
  runflowBatchKind,
  runflowBatchSnapshot,
  runflowRun,
  runflowRunKind,
  runflowRunSnapshot,
} from '../src/index.js';

// How Runflow's batches, runs and items become batchwatch's model (provider-notes 2.4-2.6, the README).
const ID = '0190f2a4-5b6c-7d8e-9f01-23456789abcd';
const ctx = () => ({ signal: new AbortController().signal, now: () => 0 });
const batch = (fields: Partial<RunflowBatch>) => runflowBatchSnapshot({ id: ID, ...fields }, 0);

describe('the failure of a Runflow batch or run (failure_code / failure_message)', () => {
  it('should carry failure_message alone without a code', () => {
    expect(batch({ status_code: 'failed', failure_message: 'provider down' }).failure).toStrictEqual({
      message: 'provider down',
    });
  });

  it('should use failure_code as the message when there is no failure_message (or an empty one)', () => {
    const expected = { code: 'DISPATCH_FAILED', message: 'DISPATCH_FAILED' };
    expect(batch({ status_code: 'failed', failure_code: 'DISPATCH_FAILED' }).failure).toStrictEqual(expected);
    expect(
      batch({ status_code: 'failed', failure_code: 'DISPATCH_FAILED', failure_message: '' }).failure,
    ).toStrictEqual(expected);
  });

  it('should name a failure even on a status that is not failed, when Runflow sends one', () => {
    expect(batch({ status_code: 'partial_succeeded', failure_code: 'SOME_ITEMS' }).failure).toStrictEqual({
      code: 'SOME_ITEMS',
      message: 'SOME_ITEMS',
    });
  });

  it('should give a failed batch that says nothing a default message', () => {
    expect(batch({ status_code: 'failed', failure_code: null, failure_message: null }).failure).toStrictEqual({
      message: 'the batch failed without a failure_message',
    });
  });

  it('should give a failed run that says nothing a default message naming the run', () => {
    expect(runflowRunSnapshot({ id: ID, status_code: 'failed' }, 0).failure).toStrictEqual({
      message: 'the run failed without a failure_message',
    });
  });

  it.each(['queued', 'running', 'succeeded', 'partial_succeeded', 'canceled', 'cancelled', 'archived'])(
    'should report no failure for %j without failure fields',
    (status_code) => {
      expect(batch({ status_code, failure_code: '', failure_message: '' }).failure).toBeUndefined();
      expect(runflowRunSnapshot({ id: ID, status_code }, 0).failure).toBeUndefined();
    },
  );
});

describe('the timestamps of a Runflow batch or run', () => {
  const times = {
    created_at: '2026-04-03T13:00:00Z',
    started_at: '2026-04-03T13:00:01Z',
    completed_at: '2026-04-03T13:00:05Z',
  };
  const expected = {
    createdAt: '2026-04-03T13:00:00Z',
    startedAt: '2026-04-03T13:00:01Z',
    finishedAt: '2026-04-03T13:00:05Z',
  };

  it('should read created_at, started_at and completed_at (as finishedAt)', () => {
    expect(batch({ status_code: 'succeeded', ...times }).timestamps).toEqual(expected);
    expect(runflowRunSnapshot({ id: ID, status_code: 'succeeded', ...times }, 0).timestamps).toEqual(expected);
  });

  it('should leave out a timestamp Runflow has not set yet (null)', () => {
    const running = { status_code: 'running', created_at: times.created_at, started_at: null, completed_at: null };
    expect(batch(running).timestamps).toEqual({ createdAt: times.created_at });
    expect(runflowRunSnapshot({ id: ID, ...running }, 0).timestamps).toEqual({ createdAt: times.created_at });
  });
});

describe('what a Runflow source requests: the operation its kind names', () => {
  let server: RecordingServer;
  beforeEach(async () => {
    server = await startRecordingServer();
  });
  afterEach(async () => {
    await server.close();
  });

  const client = () => createRunflowClient({ apiKey: 'rf_test_key', baseUrl: server.url });
  const sent = (r: RecordedRequest | undefined) => `${r?.method} ${new URL(r?.url ?? '', 'http://x').pathname}`;
  /** `"GET /v1/runs/{id}"` with its path parameters filled in. */
  const fill = (operation: string, path: Record<string, string>) =>
    operation.replace(/\{(\w+)\}/g, (_, name: string) => path[name] ?? `{${name}}`);

  it('should poll a run at GET /v1/runs/{id}', async () => {
    server.respond(() => ({ body: { id: ID, status_code: 'running', nodes_total: 2, nodes_completed: 1 } }));
    const { snapshot } = await runflowRun(client()).fetchSnapshot(ID, ctx());
    expect(snapshot).toMatchObject({ provider: 'runflow', kind: 'run', status: 'running' });
    expect(sent(server.requests[0])).toBe(`GET /v1/runs/${ID}`);
    expect(fill(runflowRunKind.operation, { id: ID })).toBe(sent(server.requests[0]));
  });

  it('should poll a batch at GET /v1/batches/{id}', async () => {
    server.respond(() => ({ body: { id: ID, status_code: 'queued' } }));
    const { snapshot } = await runflowBatch(client()).fetchSnapshot(ID, ctx());
    expect(snapshot).toMatchObject({ provider: 'runflow', kind: 'batch', status: 'queued' });
    expect(sent(server.requests[0])).toBe(`GET /v1/batches/${ID}`);
    expect(fill(runflowBatchKind.operation, { id: ID })).toBe(sent(server.requests[0]));
  });

  it('should read the items at GET /v1/batches/{batch_id}/items, the results operation it names', async () => {
    server.respond((r) =>
      r.url.includes('/items')
        ? { body: { items: [{ id: 'a', status_code: 'succeeded', sequence_index: 0 }], next_pq: null } }
        : { body: { id: ID, status_code: 'succeeded', items_total: 1 } },
    );
    const items = await jobResults(runflowBatch(client()), ID).toArray({ max: 5 });
    expect(items.map((i) => i.id)).toEqual(['a']);
    const pages = server.requests.filter((r) => r.url.includes('/items'));
    expect(pages.map(sent)).toEqual([`GET /v1/batches/${ID}/items`]);
    expect(fill(runflowBatchKind.results?.operation ?? '', { batch_id: ID })).toBe(sent(pages[0]));
  });
});

describe('a Runflow batch item', () => {
  it('should take its index from sequence_index, and its position only when there is none', () => {
    expect(runflowBatchItem({ id: 'a', status_code: 'succeeded', sequence_index: 7 }, 2).index).toBe(7);
    expect(runflowBatchItem({ id: 'a', status_code: 'succeeded' }, 2).index).toBe(2);
  });

  it('should take code and message from the item error before the nested run', () => {
    const item = runflowBatchItem(
      {
        id: 'a',
        status_code: 'failed',
        error: { code: 'PROVIDER_REJECTED_INPUT', message: 'image_url could not be fetched (HTTP 403).' },
        run: { id: 'r', failure_code: 'RUN_CODE', failure_message: 'run message' },
      },
      0,
    );
    expect(item.failure).toStrictEqual({
      code: 'PROVIDER_REJECTED_INPUT',
      message: 'image_url could not be fetched (HTTP 403).',
    });
  });

  it('should skip an empty or non-string error code / message (the error object is free-form) for the run', () => {
    const run = { id: 'r', failure_code: 'RUN_CODE', failure_message: 'run message' };
    expect(
      runflowBatchItem({ id: 'a', status_code: 'failed', error: { code: '', message: '' }, run }, 0).failure,
    ).toStrictEqual({ code: 'RUN_CODE', message: 'run message' });
    expect(
      runflowBatchItem({ id: 'a', status_code: 'failed', error: { code: 403, message: { text: 'x' } }, run }, 0)
        .failure,
    ).toStrictEqual({ code: 'RUN_CODE', message: 'run message' });
    expect(
      runflowBatchItem({ id: 'a', status_code: 'failed', error: { code: 403, message: ['x'] } }, 0).failure,
    ).toStrictEqual({ message: 'the item failed without an error' });
  });

  it('should use the code as the message when only a code is given', () => {
    expect(runflowBatchItem({ id: 'a', status_code: 'failed', error: { code: 'TIMEOUT' } }, 0).failure).toStrictEqual({
      code: 'TIMEOUT',
      message: 'TIMEOUT',
    });
    expect(
      runflowBatchItem({ id: 'a', status_code: 'failed', run: { id: 'r', failure_code: 'E1' } }, 0).failure,
    ).toStrictEqual({ code: 'E1', message: 'E1' });
  });

  it('should carry a message alone without a code', () => {
    expect(
      runflowBatchItem({ id: 'a', status_code: 'failed', error: { message: 'out of memory' } }, 0).failure,
    ).toStrictEqual({ message: 'out of memory' });
    expect(
      runflowBatchItem({ id: 'a', status_code: 'failed', run: { id: 'r', failure_message: 'boom' } }, 0).failure,
    ).toStrictEqual({ message: 'boom' });
  });

  it('should give a failed item that says nothing a default message, and no other item a failure', () => {
    expect(runflowBatchItem({ id: 'a', status_code: 'failed', error: null }, 0).failure).toStrictEqual({
      message: 'the item failed without an error',
    });
    for (const status_code of ['succeeded', 'running', 'cancelled', 'paused']) {
      expect(runflowBatchItem({ id: 'a', status_code, error: {} }, 0)).not.toHaveProperty('failure');
    }
  });
});
