import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type CheckBatch, checkBatchSnapshot } from '../src/index.js';

const example = (file: string): CheckBatch =>
  JSON.parse(readFileSync(new URL(`../../../specs/check/examples/${file}`, import.meta.url), 'utf8'));

// Every documented status goes mock -> client -> JobStatus in packages/msw/test/vocabulary.test.ts.
describe('checkBatchSnapshot statuses', () => {
  it.each(['archived', 'COMPLETED', 'canceled'])('should treat %j as unknown and not terminal', (raw) => {
    expect(checkBatchSnapshot({ id: 'batch_1', status: raw }, 0)).toMatchObject({
      status: 'unknown',
      isTerminal: false,
    });
  });
});

describe('checkBatchSnapshot', () => {
  it('should read the seed completed batch with 2 failures as partially succeeded', () => {
    const s = checkBatchSnapshot(example('get-batch-200-completed.json'), 0);
    expect(s).toMatchObject({
      status: 'partially_succeeded',
      rawStatus: 'completed',
      isTerminal: true,
      progress: { completed: 50, failed: 2, total: 50, fraction: 1 },
      failure: { code: 'item_failures', message: '2 of 50 items failed' },
      timestamps: { createdAt: '2024-01-15T10:00:00Z', finishedAt: '2024-01-15T10:02:30Z' },
    });
  });

  it('should read the seed processing batch', () => {
    expect(checkBatchSnapshot(example('get-batch-200-processing.json'), 0)).toMatchObject({
      status: 'running',
      progress: { completed: 45, failed: 1, total: 100, fraction: 0.45 },
    });
  });

  it('should read the seed validation failure with its message', () => {
    expect(checkBatchSnapshot(example('get-batch-200-failed-validation.json'), 0)).toMatchObject({
      status: 'failed',
      failure: { code: 'validation_error', message: '3 validation error(s)' },
    });
  });

  it('should call a completed batch where every item failed failed', () => {
    expect(
      checkBatchSnapshot(
        { id: 'batch_1', status: 'completed', totalItems: 3, processedItems: 3, successCount: 0, failureCount: 3 },
        0,
      ).status,
    ).toBe('failed');
  });
});
