// Supermetrics' status vocabularies as rules: every documented status_code and the JobStatus or
// ItemStatus it becomes (provider-notes §1.4 and §1.6; the spec's enums), and how a STOPPED batch
// is told apart from its counters.
import { describe, expect, it } from 'vitest';
import {
  supermetricsBatchQueryItem,
  supermetricsBatchSnapshot,
  supermetricsBatchStatus,
  supermetricsQuerySnapshot,
} from '../src/index.js';

describe('a query status_code (GET /query/status meta.status_code)', () => {
  it.each([
    ['SCHEDULED', 'queued', false], // "Query is scheduled and inactive"
    ['QUEUED', 'queued', false], // "Query is queued for execution"
    ['RUNNING', 'running', false], // "Query is currently running"
    ['SUCCESS', 'succeeded', true], // "Query has stopped and was successful"
    ['FAILURE', 'failed', true], // "Query has stopped and failed"
    ['STOPPED', 'cancelled', true], // "Query was aborted"
    ['PROCESS_EXITED', 'failed', true], // only in the SDK's spec: a query process that ended
  ] as const)('should read %s as %s (terminal: %s)', (code, status, isTerminal) => {
    expect(supermetricsQuerySnapshot({ meta: { status_code: code } }, 0, 'q')).toMatchObject({
      status,
      rawStatus: code,
      isTerminal,
    });
  });
});

describe('a query batch status_code (GET /query/batch/{batch_id} data.status_code)', () => {
  const counters = { meta: { progress: { queued: 1, running: 1, success: 0, failure: 0 } } };
  it.each([
    ['QUEUED', 'queued'],
    ['RUNNING', 'running'],
  ] as const)('should read %s as %s', (code, status) => {
    expect(supermetricsBatchSnapshot({ batch: { status_code: code }, status: counters }, 0, 'b').status).toBe(status);
  });

  it('should read a status_code that is not a string as unknown rather than throw', () => {
    expect(supermetricsBatchStatus({ status_code: 42 as never }, undefined)).toBe('unknown');
    expect(supermetricsBatchStatus({ status_code: ['RUNNING'] as never }, undefined)).toBe('unknown');
    expect(supermetricsBatchStatus({ status_code: { code: 'STOPPED' } as never }, undefined)).toBe('unknown');
  });

  it('should count a failed-query counter that is not a finite number as 0', () => {
    expect(supermetricsBatchStatus({ status_code: 'STOPPED' }, { success: 3, failure: '2' as never })).toBe(
      'succeeded',
    );
    expect(supermetricsBatchStatus({ status_code: 'STOPPED' }, { success: 3, failure: Number.NaN })).toBe('succeeded');
    expect(supermetricsBatchStatus({ status_code: 'STOPPED' }, { success: 3, failure: Infinity })).toBe('succeeded');
  });

  it('should count a successful-query counter that is not a finite number as 0: every counted query failed', () => {
    expect(supermetricsBatchStatus({ status_code: 'STOPPED' }, { success: '3' as never, failure: 2 })).toBe('failed');
    expect(supermetricsBatchStatus({ status_code: 'STOPPED' }, { success: Infinity, failure: 2 })).toBe('failed');
    expect(supermetricsBatchStatus({ status_code: 'STOPPED' }, { failure: 2 })).toBe('failed');
  });
});

describe('a query of a batch (GET /query/batch/{batch_id}/status data[].status_code)', () => {
  it.each([
    ['QUEUED', 'pending', 'cancelled'],
    ['RUNNING', 'pending', 'cancelled'],
    ['SUCCESS', 'succeeded', 'succeeded'],
    ['FAILURE', 'failed', 'failed'],
  ] as const)('should read %s as %s, and as %s once the batch is STOPPED', (code, status, inStopped) => {
    expect(supermetricsBatchQueryItem({ status_code: code }, 0).status).toBe(status);
    expect(supermetricsBatchQueryItem({ status_code: code }, 0, true).status).toBe(inStopped);
  });
});
