// How a poll state is written as a job handle and read back: a handle holds only what differs from
// the defaults (it is stored per job, in Redis for the fleet), and the estimate's times relative to
// when watching started.
import { describe, expect, it } from 'vitest';
import { handleFromState, type JobHandle, stateFromHandle } from '../src/handle-format.js';
import type { PollState } from '../src/internal/step.js';

const owner = { provider: 'fake', kind: 'job' };
const base: JobHandle = {
  v: 1,
  provider: 'fake',
  kind: 'job',
  id: 'j1',
  nextPollAt: 5000,
  attempt: 3,
  startedAt: 1000,
  deadline: null,
};
const fresh: PollState = {
  startedAt: 1000,
  origin: 1000,
  deadline: null,
  nextPollAt: 1000,
  attempt: 0,
  unchanged: 0,
  errors: 0,
  sig: undefined,
  fraction: null,
};

describe('handleFromState', () => {
  it('should write a fresh state with no field it does not need', () => {
    expect(handleFromState(owner, 'j1', fresh)).toStrictEqual({
      v: 1,
      provider: 'fake',
      kind: 'job',
      id: 'j1',
      nextPollAt: 1000,
      attempt: 0,
      startedAt: 1000,
      deadline: null,
      unchanged: 0,
      errors: 0,
    });
  });

  it('should write the signature, fraction, an earlier origin and the estimate points (times after startedAt)', () => {
    const state: PollState = {
      ...fresh,
      deadline: 61_000,
      nextPollAt: 4000,
      attempt: 3,
      unchanged: 1,
      sig: 's',
      fraction: 0.4,
      origin: 200,
      eta: [3000.4, 1500, 2, 2999.6, 4, 2],
    };
    expect(handleFromState(owner, 'j1', state)).toStrictEqual({
      v: 1,
      provider: 'fake',
      kind: 'job',
      id: 'j1',
      nextPollAt: 4000,
      attempt: 3,
      startedAt: 1000,
      deadline: 61_000,
      unchanged: 1,
      errors: 0,
      sig: 's',
      fraction: 0.4,
      origin: 200,
      eta: [2000, 500, 2, 2000, 4, 2],
    });
  });

  it('should read back as the state it was written from (whole milliseconds)', () => {
    const state: PollState = { ...fresh, sig: 's', fraction: 0, origin: 400, eta: [3000, 1500, 2, 2500, 4, 2] };
    expect(stateFromHandle(handleFromState(owner, 'j1', state))).toStrictEqual(state);
    expect(stateFromHandle(handleFromState(owner, 'j1', fresh))).toStrictEqual({ ...fresh, eta: undefined });
  });
});

describe('stateFromHandle: where a resumed watch starts', () => {
  it('should fill what an older or minimal handle leaves out', () => {
    expect(stateFromHandle(base)).toEqual({
      startedAt: 1000,
      deadline: null,
      nextPollAt: 5000,
      attempt: 3,
      unchanged: 0,
      errors: 0,
      sig: undefined,
      fraction: null,
      origin: 1000,
      eta: undefined,
    });
  });

  it('should keep what the handle says, and turn the estimate times back into clock times', () => {
    const full: JobHandle = {
      ...base,
      deadline: 9000,
      unchanged: 2,
      errors: 1,
      sig: 's',
      fraction: 0,
      origin: 400,
      eta: [100, 10, 1, 50, 4, 2],
    };
    expect(stateFromHandle(full)).toEqual({
      startedAt: 1000,
      deadline: 9000,
      nextPollAt: 5000,
      attempt: 3,
      unchanged: 2,
      errors: 1,
      sig: 's',
      fraction: 0,
      origin: 400,
      // seenAt, t0 and t1 are stored after startedAt; the counts and the number of points are not times.
      eta: [1100, 1010, 1, 1050, 4, 2],
    });
  });
});
