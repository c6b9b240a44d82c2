import { readFileSync } from 'node:fs';
import { InvalidResponseError } from '@batchwatch/core';
import { describe, expect, it } from 'vitest';
import { type RunflowBatch, runflowBatchSnapshot, runflowRunSnapshot } from '../src/index.js';

// Every documented status_code goes mock -> client -> JobStatus in packages/msw/test/vocabulary.test.ts.
const ID = '0190f2a4-5b6c-7d8e-9f01-23456789abcd';
const example = (file: string) =>
  JSON.parse(readFileSync(new URL(`../../../specs/runflow/examples/${file}`, import.meta.url), 'utf8')) as RunflowBatch;

describe('runflowBatchSnapshot statuses', () => {
  it.each(['archived', 'SUCCEEDED', '', 'expired'])('should treat %j as unknown and not terminal', (raw) => {
    const snapshot = runflowBatchSnapshot({ id: ID, status_code: raw }, 0);
    expect(snapshot.status).toBe('unknown');
    expect(snapshot.isTerminal).toBe(false);
  });

  it('should refuse a missing status (InvalidResponseError: polling it would be polling unknown forever)', () => {
    expect(() => runflowBatchSnapshot({ id: ID, status_code: null }, 0)).toThrow(InvalidResponseError);
    expect(() => runflowBatchSnapshot({ id: ID }, 0)).toThrow(/runflow sent no status_code/);
  });
});

describe('runflowBatchSnapshot', () => {
  it('should normalize the seed example (placeholders replaced)', () => {
    const raw = example('get-batch-200-seed.json');
    const snapshot = runflowBatchSnapshot(raw, 42);
    expect(snapshot.provider).toBe('runflow');
    expect(snapshot.kind).toBe('batch');
    expect(snapshot.raw).toBe(raw);
    expect(snapshot.observedAt).toBe(42);
    expect(snapshot.timestamps.createdAt).toBe(raw.created_at);
    expect(typeof raw.cost).toBe('string');
  });

  it('should count failed and cancelled items as done and as failures', () => {
    const s = runflowBatchSnapshot(
      {
        id: ID,
        status_code: 'partial_succeeded',
        items_total: 10,
        items_succeeded: 7,
        items_failed: 2,
        items_cancelled: 1,
      },
      0,
    );
    expect(s.progress).toEqual({ completed: 10, failed: 3, total: 10, fraction: 1 });
    expect(s.status).toBe('partially_succeeded');
  });

  it('should carry the failure code and message', () => {
    const s = runflowBatchSnapshot(
      {
        id: ID,
        status_code: 'failed',
        failure_code: 'DISPATCH_FAILED',
        failure_message: 'provider down',
        items_total: 3,
      },
      0,
    );
    expect(s.failure).toEqual({ code: 'DISPATCH_FAILED', message: 'provider down' });
  });

  it('should leave the total null when the batch does not say', () => {
    expect(runflowBatchSnapshot({ id: ID, status_code: 'queued' }, 0).progress).toEqual({
      completed: 0,
      failed: 0,
      total: null,
      fraction: null,
    });
  });

  it('should keep cost as the decimal string it was sent as', () => {
    const s = runflowBatchSnapshot({ id: ID, status_code: 'succeeded', cost: '0.10000000000000000001' }, 0);
    expect(s.raw.cost).toBe('0.10000000000000000001');
  });
});

describe('runflowRunSnapshot', () => {
  it('should use node counts as progress', () => {
    const s = runflowRunSnapshot({ id: ID, status_code: 'running', nodes_total: 4, nodes_completed: 1 }, 0);
    expect(s).toMatchObject({ kind: 'run', status: 'running', progress: { completed: 1, total: 4, fraction: 0.25 } });
  });
});
