import { InvalidResponseError, type ItemStatus, type JobStatus } from '@batchwatch/core';
import { describe, expect, it } from 'vitest';
import { type CheckBatch, checkBatchSnapshot, checkBatchStatus, checkResultItem } from '../src/index.js';

// Check's documented statuses (provider-notes 3.4 and 3.5, the README's tables): one rule per value.
const batch = (fields: Omit<CheckBatch, 'id'>): CheckBatch => ({ id: 'batch_1', ...fields });

describe('Check batch status -> JobStatus', () => {
  it.each<[string, JobStatus, boolean]>([
    ['pending', 'queued', false],
    ['validating', 'queued', false],
    ['processing', 'running', false],
    ['completed', 'succeeded', true],
    ['failed', 'failed', true],
    ['cancelled', 'cancelled', true],
  ])('should read %j as %j (terminal: %s)', (status, expected, terminal) => {
    expect(checkBatchSnapshot(batch({ status }), 0)).toMatchObject({
      status: expected,
      rawStatus: status,
      isTerminal: terminal,
    });
    expect(checkBatchStatus(batch({ status }))).toBe(expected);
  });
});

describe('a completed Check batch is judged by its counts', () => {
  it.each<[string, Partial<CheckBatch>, JobStatus]>([
    ['no failures', { successCount: 5, failureCount: 0 }, 'succeeded'],
    ['no failureCount at all', { successCount: 5 }, 'succeeded'],
    ['some failures', { successCount: 3, failureCount: 2 }, 'partially_succeeded'],
    ['every item failed', { successCount: 0, failureCount: 5 }, 'failed'],
    ['failures and no successCount', { failureCount: 5 }, 'failed'],
  ])('should read completed with %s as %j', (_, counts, expected) => {
    expect(checkBatchStatus(batch({ status: 'completed', ...counts }))).toBe(expected);
    expect(checkBatchSnapshot(batch({ status: 'completed', ...counts }), 0).status).toBe(expected);
  });

  it('should count a failureCount that is not a finite number (1e400 parses as Infinity) as 0, as progress does', () => {
    const raw = JSON.parse('{"id":"batch_1","status":"completed","successCount":5,"failureCount":1e400}') as CheckBatch;
    expect(raw.failureCount).toBe(Number.POSITIVE_INFINITY);
    expect(checkBatchStatus(raw)).toBe('succeeded');
    expect(checkBatchSnapshot(raw, 0).progress.failed).toBe(0);
  });

  it.each(['failed', 'cancelled', 'processing'])('should keep %j whatever the counts say', (status) => {
    expect(checkBatchStatus(batch({ status, successCount: 2, failureCount: 3 }))).toBe(
      status === 'processing' ? 'running' : status,
    );
  });
});

describe('checkBatchStatus', () => {
  it('should refuse a batch without a status string, naming the field', () => {
    const body = (raw: object) => raw as CheckBatch;
    expect(() => checkBatchStatus(body({}))).toThrow(InvalidResponseError);
    expect(() => checkBatchStatus(body({}))).toThrow('check sent no status, expected a status string');
    expect(() => checkBatchStatus(body({ status: null }))).toThrow(
      'check sent status as null, expected a status string',
    );
  });

  it('should read an undocumented status as unknown', () => {
    expect(checkBatchStatus({ status: 'archived', failureCount: 2 })).toBe('unknown');
  });
});

describe('Check item status -> ItemStatus', () => {
  it.each<[string, ItemStatus]>([
    ['pending', 'pending'],
    ['queued', 'pending'],
    ['processing', 'pending'],
    ['completed', 'succeeded'],
    ['failed', 'failed'],
    ['skipped', 'skipped'],
  ])('should read %j as %j', (status, expected) => {
    expect(checkResultItem({ id: 'item_001', status }, 0).status).toBe(expected);
  });
});
