import { describe, expect, it } from 'vitest';
import { supermetricsBatchSnapshot, supermetricsBatchStatus, supermetricsQuerySnapshot } from '../src/index.js';
import { example } from './fixtures.js';

// Every documented status_code goes mock -> client -> JobStatus in packages/msw/test/vocabulary.test.ts.
describe('supermetricsQuerySnapshot statuses', () => {
  it.each(['pending', 'running', 'CANCELLED', ''])('should treat %j as unknown and not terminal', (raw) => {
    expect(supermetricsQuerySnapshot({ meta: { status_code: raw } }, 0, 'id')).toMatchObject({
      status: 'unknown',
      isTerminal: false,
    });
  });

  it('should report failure details for FAILURE and PROCESS_EXITED', () => {
    expect(supermetricsQuerySnapshot({ meta: { status_code: 'PROCESS_EXITED' } }, 0).failure?.code).toBe(
      'PROCESS_EXITED',
    );
    expect(supermetricsQuerySnapshot({ meta: { status_code: 'FAILURE' } }, 0).failure?.code).toBe('FAILURE');
  });

  it('should use queries_ready over queries_total as progress', () => {
    const s = supermetricsQuerySnapshot(example('query-status-200-running.json'), 0);
    const p = example('query-status-200-running.json').meta.progress;
    expect(s.progress.completed).toBe(p.queries_ready);
    expect(s.progress.total).toBe(p.queries_total);
  });
});

describe('supermetricsBatchStatus', () => {
  const t = '2026-01-01T00:00:00Z';
  it.each([
    ['QUEUED', null, undefined, 'queued'],
    ['RUNNING', null, { success: 1, failure: 1 }, 'running'],
    ['STOPPED', t, { success: 2, failure: 0 }, 'cancelled'],
    ['STOPPED', t, { success: 0, failure: 3 }, 'cancelled'],
    ['STOPPED', null, { success: 5, failure: 0 }, 'succeeded'],
    ['STOPPED', null, { success: 4, failure: 1 }, 'partially_succeeded'],
    ['STOPPED', null, { success: 0, failure: 2 }, 'failed'],
    ['STOPPED', null, undefined, 'succeeded'],
    ['PAUSED', null, undefined, 'unknown'],
    [undefined, null, undefined, 'unknown'],
  ] as const)('should map %s with cancel_time %s and counters %j to %s', (code, cancel, counters, status) => {
    expect(supermetricsBatchStatus({ status_code: code, cancel_time: cancel }, counters)).toBe(status);
  });

  it('should read the fixtures the same way', () => {
    const counters = { meta: { progress: { queued: 0, running: 0, success: 2, failure: 0 } } };
    expect(
      supermetricsBatchSnapshot({ batch: example('query-batch-200-stopped-cancelled.json').data, status: counters }, 0)
        .status,
    ).toBe('cancelled');
    expect(
      supermetricsBatchSnapshot({ batch: example('query-batch-200-stopped-finished.json').data, status: counters }, 0)
        .status,
    ).toBe('succeeded');
    expect(
      supermetricsBatchSnapshot({ batch: example('query-batch-200-queued.json').data, status: counters }, 0).status,
    ).toBe('queued');
  });
});
