import { describe, expect, it } from 'vitest';
import { limiterFor, UNLIMITED } from '../src/limits.js';

// The most polls BullMQ's fixed-window limiter can start in any sliding second: windows of
// `duration` ms, each opened by its first job, hold `max` jobs each; windows start at least
// `duration` apart. With max 1 every poll opens a window.
function worstSlidingSecond({ max, duration }: { max: number; duration: number }): number {
  if (max === 1) return Math.ceil(1000 / duration);
  return max * (Math.ceil(1000 / duration) + 1);
}

// Adversarial simulation: every window is opened at the earliest moment and filled at once, or
// filled at its very end; count polls in every sliding second.
function simulate({ max, duration }: { max: number; duration: number }, spanMs = 10_000): number {
  let most = 0;
  for (const fillAtEnd of [false, true]) {
    const polls: number[] = [];
    for (let start = 0; start < spanMs; start += duration) {
      for (let i = 0; i < max; i++) polls.push(i === 0 || !fillAtEnd ? start : start + duration - 1);
    }
    for (const from of polls) {
      most = Math.max(most, polls.filter((t) => t >= from && t < from + 1000).length);
    }
  }
  return most;
}

describe('limiterFor', () => {
  it('should hold the budget in every sliding second, charging each poll its requests', () => {
    for (const rps of [0.5, 1, 2, 3, 5, 7, 10, 19, 20, 39, 40, 41, 99, 100, 200, 333, 1000]) {
      for (const perPoll of [1, 2]) {
        const limiter = limiterFor(rps, perPoll);
        const polls = Math.max(1, Math.floor(rps / perPoll));
        const worst = worstSlidingSecond(limiter);
        expect(worst * perPoll, `${rps} rps, ${perPoll} per poll`).toBeLessThanOrEqual(
          Math.max(perPoll, polls * perPoll),
        );
        // A margin for jitter between admission and arrival: below the budget from 2 polls a second on.
        if (polls >= 2) expect(worst, `${rps} rps, ${perPoll} per poll`).toBeLessThan(polls);
        expect(simulate(limiter)).toBeLessThanOrEqual(worstSlidingSecond(limiter));
        // And it is not needlessly strict: at least ~90% of the budget on average.
        if (rps / perPoll >= 1) {
          expect((limiter.max * 1000) / limiter.duration).toBeGreaterThanOrEqual(0.9 * Math.floor(rps / perPoll) - 1);
        }
      }
    }
  });

  it('should space polls for budgets under one poll a second', () => {
    expect(limiterFor(0.5, 1)).toEqual({ max: 1, duration: 2000 });
    expect(limiterFor(1, 2)).toEqual({ max: 1, duration: 2000 });
    expect(limiterFor(1.5, 1)).toEqual({ max: 1, duration: 1000 });
  });

  it('should set a limiter without a budget, so that a 429 can pause the queue', () => {
    expect(limiterFor(undefined, 1)).toBe(UNLIMITED);
    expect(UNLIMITED.max).toBeLessThan(Number.MAX_SAFE_INTEGER);
  });

  it('should not use a plain { max: N, duration: 1000 }, which lets 2N through a sliding second', () => {
    expect(worstSlidingSecond({ max: 100, duration: 1000 })).toBe(200);
    expect(limiterFor(100, 1)).not.toEqual({ max: 100, duration: 1000 });
  });
});
