// The job record behind the engine: peek computes without changing anything, observe commits what a
// read saw, finalize ends a job once.
import { describe, expect, it } from 'vitest';
import { JobRecord, positionAt } from '../src/lifecycle.js';
import { type JobScript, script } from '../src/script.js';

const record = (s: JobScript) =>
  new JobRecord({
    id: 'j1',
    provider: 'check',
    kind: 'batch',
    script: s,
    createdAt: 1000,
    finalTotal: 10,
    seed: 1,
    meta: {},
    unknownStatus: 'paused',
  });

describe('JobRecord', () => {
  it('should peek without side effects: the same answer every time, nothing committed', () => {
    const job = record(script.lifecycle({ queuedPolls: 1, progress: [0.5], end: 'succeeded' }));
    const first = job.peek(2, 5000, 4000);
    expect(first.ended).toBe(true);
    expect(job.peek(2, 5000, 4000)).toEqual(first);
    expect(job.final).toBeUndefined();
    // Nothing was committed: the first step still reads queued, with no start time.
    expect(job.peek(0, 6000, 5000).view).toMatchObject({ state: 'queued', startedAt: undefined });
  });

  it('should commit on observe: the start time and the script position stay', () => {
    const job = record({
      phases: [
        { state: 'running', ms: 1000, progress: [0, 1] },
        { state: 'running', polls: 2 },
      ],
    });
    expect(job.observe(0, 1500, 500)).toMatchObject({
      ended: false,
      view: { state: 'running', startedAt: 1500, done: 5 },
    });
    // The timed phase ended at read 3: the counted phase starts there, two reads long.
    expect(job.observe(3, 3000, 2000).view).toMatchObject({ state: 'running', startedAt: 1500 });
    expect(job.observe(4, 3100, 2100).view.state).toBe('running');
    const end = job.observe(5, 3200, 2200);
    expect(end).toMatchObject({ ended: true, view: { state: 'succeeded', finishedAt: 3200, startedAt: 1500 } });
    expect(job.observe(9, 9999, 9999)).toEqual({ view: end.view, ended: false });
  });

  it('should finalize once', () => {
    const job = record(script.lifecycle());
    const { view } = job.peek(0, 1000, 0);
    expect(job.finalize({ ...view, state: 'cancelled' })).toBe(true);
    expect(job.finalize({ ...view, state: 'failed' })).toBe(false);
    expect(job.final?.state).toBe('cancelled');
  });
});

describe('positionAt', () => {
  it('should return a new cursor and leave the one it was given alone', () => {
    const from = { index: 0, startStep: 0, startMs: 0 };
    const at = positionAt(
      [
        { state: 'queued', polls: 1 },
        { state: 'running', polls: 1 },
      ],
      from,
      1,
      0,
    );
    expect(at.phase?.state).toBe('running');
    expect(at.cursor).toEqual({ index: 1, startStep: 1, startMs: 0 });
    expect(from).toEqual({ index: 0, startStep: 0, startMs: 0 });
  });
});
