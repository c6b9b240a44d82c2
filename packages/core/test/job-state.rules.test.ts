// The closed status model every provider maps onto: which statuses exist, in lifecycle order, and
// which of them end a job. `unknown` is deliberately not terminal (polled with backoff instead).
import { describe, expect, it } from 'vitest';
import { isTerminalStatus, JOB_STATUSES, type JobStatus, TERMINAL_STATUSES } from '../src/index.js';

describe('job statuses', () => {
  it('should list every status once, in lifecycle order', () => {
    expect(JOB_STATUSES).toEqual([
      'queued',
      'running',
      'succeeded',
      'partially_succeeded',
      'failed',
      'cancelled',
      'unknown',
    ]);
  });

  it.each<[JobStatus, boolean]>([
    ['queued', false],
    ['running', false],
    ['succeeded', true],
    ['partially_succeeded', true],
    ['failed', true],
    ['cancelled', true],
    ['unknown', false],
  ])('should say whether %s ends a job: %s', (status, terminal) => {
    expect(isTerminalStatus(status)).toBe(terminal);
    expect(TERMINAL_STATUSES.has(status)).toBe(terminal);
  });

  it('should hold exactly the four terminal statuses in TERMINAL_STATUSES', () => {
    expect([...TERMINAL_STATUSES].sort()).toEqual(['cancelled', 'failed', 'partially_succeeded', 'succeeded']);
  });
});
