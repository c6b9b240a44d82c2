// The schedule's rules at their edges: which rule names a delay when two give the same one, where the
// window around a predicted end begins and ends, how failed polls and the strategies combine, and
// what an invalid option is told (schedule.test.ts has the everyday cases).
import { describe, expect, it } from 'vitest';
import { computeNextDelay, type ScheduleOptions, ValidationError } from '../src/index.js';

const S = 1000;
const zero = () => 0; // no jitter: delays are exact

describe('computeNextDelay: the window around a predicted end includes its edges', () => {
  // A 100 s run predicted to end at 140 s: the window is 3 s on each side, polls in it 200 ms apart.
  const prediction = { endsAt: 140 * S, runMs: 100 * S, itemMs: 100 };
  const at = (now: number) =>
    computeNextDelay({ now, unchanged: 0, ageMs: now, prediction }, { minIntervalMs: 100, random: zero });

  it('should poll tightly from exactly one window before the end to exactly one window after it', () => {
    expect(at(137 * S)).toEqual({ delayMs: 200, delaySource: 'window' });
    expect(at(143 * S)).toEqual({ delayMs: 200, delaySource: 'window' });
  });

  it('should approach before the window and back off after it', () => {
    expect(at(137 * S - 2)).toEqual({ delayMs: 1501, delaySource: 'approach' });
    expect(at(143 * S + 10)).toEqual({ delayMs: 301, delaySource: 'overdue' });
  });
});

describe('computeNextDelay: a prediction of an instant run', () => {
  it('should still be a prediction when its run or item time is zero', () => {
    const input = { now: 100 * S, unchanged: 0, ageMs: 100 * S };
    for (const prediction of [
      { endsAt: 160 * S, runMs: 0, itemMs: 10 },
      { endsAt: 160 * S, runMs: 60 * S, itemMs: 0 },
    ]) {
      expect(computeNextDelay({ ...input, prediction }, { random: zero })).toEqual({
        delayMs: 30 * S,
        delaySource: 'approach',
      });
    }
  });
});

describe('computeNextDelay: which rule names a delay two rules agree on', () => {
  it('should name the schedule, not the age cap, when the schedule picks exactly the cap', () => {
    // 20 s before the end: half is 10 s; the cap is 5 * 0.1 * 20 s = 10 s too.
    const prediction = { endsAt: 40 * S, runMs: 100 * S, itemMs: 1 };
    expect(
      computeNextDelay({ now: 20 * S, unchanged: 0, ageMs: 20 * S, prediction }, { minIntervalMs: 1, random: zero }),
    ).toEqual({ delayMs: 10 * S, delaySource: 'approach' });
  });

  it('should name the backoff after failed polls only when it is longer than the schedule', () => {
    // The age rule: 0.1 * 5 s = 500 ms. One failed poll: half of 1 s (no jitter) = 500 ms.
    const options = { minIntervalMs: 100, random: zero };
    expect(computeNextDelay({ now: 0, unchanged: 0, ageMs: 5 * S, errors: 1 }, options)).toEqual({
      delayMs: 500,
      delaySource: 'age',
    });
    expect(computeNextDelay({ now: 0, unchanged: 0, ageMs: 4 * S, errors: 1 }, options)).toEqual({
      delayMs: 500,
      delaySource: 'backoff',
    });
  });

  it('should keep the rule of a poll that lands exactly on the deadline', () => {
    expect(computeNextDelay({ now: 0, unchanged: 0, ageMs: 0, deadline: 2 * S }, { random: zero })).toEqual({
      delayMs: 2 * S,
      delaySource: 'age',
    });
    expect(computeNextDelay({ now: 0, unchanged: 0, ageMs: 0, deadline: 2 * S - 1 }, { random: zero })).toEqual({
      delayMs: 2 * S - 1,
      delaySource: 'deadline',
    });
  });
});

describe('computeNextDelay: failed polls', () => {
  it('should wait between half and all of the backoff for the failures, by the jitter', () => {
    const input = { now: 0, unchanged: 0, ageMs: 0, errors: 4 }; // 1 s * 2^3 = 8 s
    expect(computeNextDelay(input, { random: zero })).toEqual({ delayMs: 4 * S, delaySource: 'backoff' });
    expect(computeNextDelay(input, { random: () => 0.5 })).toEqual({ delayMs: 6 * S, delaySource: 'backoff' });
  });

  it('should leave the backoff strategy to its own exponent, which failed polls already raise', () => {
    // The loop counts a failed poll as unchanged too; errors add nothing on top of it.
    expect(computeNextDelay({ now: 0, unchanged: 2, errors: 3 }, { strategy: 'backoff', random: () => 0.5 })).toEqual({
      delayMs: 2 * S,
      delaySource: 'backoff',
    });
  });
});

describe('schedule options: what an invalid one is told', () => {
  it.each([
    [{ minIntervalMs: 0 }, 'invalid minIntervalMs: expected a finite number between 1 and 2147483647 (got 0)'],
    [{ multiplier: 0.5 }, 'invalid multiplier: expected a finite number >= 1 (got 0.5)'],
    [{ timeoutMs: -1 }, 'invalid timeoutMs: expected a finite number >= 0 (got -1)'],
    [
      { minIntervalMs: 5000, maxIntervalMs: 4000 },
      'invalid minIntervalMs: expected at most maxIntervalMs (4000) (got 5000)',
    ],
    [{ random: 42 }, 'invalid random: expected a function (got number)'],
    [{ strategy: 'linear' }, "invalid strategy: expected 'eta' or 'backoff' (got linear)"],
    [
      { staleness: 'lazy' },
      "invalid staleness: expected a number in (0, 10] or 'eager', 'balanced', 'frugal' (got lazy)",
    ],
  ])('should name the field, the expected form and what it got: %j', (options, message) => {
    let error: unknown;
    try {
      computeNextDelay({ now: 0, unchanged: 0 }, options as unknown as ScheduleOptions);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toBe(message);
  });

  it('should refuse numbers given as strings (from JSON or an environment variable)', () => {
    for (const options of [{ minIntervalMs: '500' }, { maxIntervalMs: '60000' }, { staleness: '5' }]) {
      expect(() => computeNextDelay({ now: 0, unchanged: 0 }, options as unknown as ScheduleOptions)).toThrow(
        ValidationError,
      );
    }
  });

  it('should accept the largest staleness, 10', () => {
    expect(computeNextDelay({ now: 10 * S, unchanged: 0, ageMs: 10 * S }, { staleness: 10, random: zero })).toEqual({
      delayMs: 30 * S,
      delaySource: 'age',
    });
  });
});
