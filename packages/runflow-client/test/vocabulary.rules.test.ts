import type { ItemStatus, JobStatus } from '@batchwatch/core';
import { describe, expect, it } from 'vitest';
import { runflowBatchItem, runflowBatchSnapshot, runflowRunSnapshot } from '../src/index.js';

// Runflow's documented status_code values (provider-notes 2.5, the README's table): one rule per value.
const ID = '0190f2a4-5b6c-7d8e-9f01-23456789abcd';

const statuses: Array<[raw: string, status: JobStatus, terminal: boolean]> = [
  ['queued', 'queued', false],
  ['dispatching', 'queued', false],
  ['running', 'running', false],
  ['succeeded', 'succeeded', true],
  ['partial_succeeded', 'partially_succeeded', true],
  ['failed', 'failed', true],
  ['canceled', 'cancelled', true],
  ['cancelled', 'cancelled', true],
];

describe('Runflow batch status_code -> JobStatus', () => {
  it.each(statuses)('should read %j as %j (terminal: %s)', (raw, status, terminal) => {
    const snapshot = runflowBatchSnapshot({ id: ID, status_code: raw }, 0);
    expect(snapshot).toMatchObject({ status, rawStatus: raw, isTerminal: terminal });
  });
});

describe('Runflow run status_code -> JobStatus (the batch vocabulary)', () => {
  it.each(statuses)('should read %j as %j (terminal: %s)', (raw, status, terminal) => {
    expect(runflowRunSnapshot({ id: ID, status_code: raw }, 0)).toMatchObject({ status, isTerminal: terminal });
  });
});

describe('Runflow item status_code -> ItemStatus (items mirror their run)', () => {
  it.each<[string, ItemStatus]>([
    ['queued', 'pending'],
    ['dispatching', 'pending'],
    ['running', 'pending'],
    ['succeeded', 'succeeded'],
    ['failed', 'failed'],
    ['canceled', 'cancelled'],
    ['cancelled', 'cancelled'],
  ])('should read %j as %j', (raw, status) => {
    expect(runflowBatchItem({ id: 'i', status_code: raw }, 0).status).toBe(status);
  });

  it('should read the batch-only partial_succeeded on an item as failed (it did not fully succeed)', () => {
    expect(runflowBatchItem({ id: 'i', status_code: 'partial_succeeded' }, 0).status).toBe('failed');
  });
});
