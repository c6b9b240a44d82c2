import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hintsFromHeaders } from '../src/client-kit/index.js';
import { computeNextDelay, MAX_DELAY_MS, ValidationError } from '../src/index.js';

const almostOne = () => 0.999_999_9;
/** The exponential backoff strategy (the default before the ETA-aware schedule). */
const backoff = { strategy: 'backoff', random: almostOne } as const;

describe('computeNextDelay, backoff strategy', () => {
  it('should use the defaults when no options are given but the strategy', () => {
    expect(computeNextDelay({ now: 0, unchanged: 3 }, backoff)).toEqual({
      delayMs: 8000,
      delaySource: 'backoff',
    });
  });

  it('should let a Retry-After in seconds take precedence over backoff', () => {
    const hints = hintsFromHeaders(new Headers({ 'retry-after': '7' }), 0, 429);
    expect(computeNextDelay({ now: 0, unchanged: 0, retryAfterMs: hints.retryAfterMs }, { random: almostOne })).toEqual(
      {
        delayMs: 7000,
        delaySource: 'server',
      },
    );
  });

  it('should let a Retry-After HTTP date take precedence over backoff', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    const hints = hintsFromHeaders(new Headers({ 'retry-after': 'Thu, 01 Jan 2026 00:00:12 GMT' }), now, 503);
    expect(computeNextDelay({ now, unchanged: 9, retryAfterMs: hints.retryAfterMs })).toEqual({
      delayMs: 12_000,
      delaySource: 'server',
    });
  });

  it('should honour a server hint above maxIntervalMs', () => {
    expect(computeNextDelay({ now: 0, unchanged: 0, retryAfterMs: 3_600_000 })).toEqual({
      delayMs: 3_600_000,
      delaySource: 'server',
    });
  });

  it('should never return a delay above 2^31-1 ms, even for a server hint', () => {
    expect(computeNextDelay({ now: 0, unchanged: 0, retryAfterMs: 5_000_000_000 })).toEqual({
      delayMs: MAX_DELAY_MS,
      delaySource: 'server',
    });
    expect(MAX_DELAY_MS).toBe(2 ** 31 - 1);
  });

  it('should grow the backoff ceiling by the multiplier per unchanged poll', () => {
    const delays = [0, 1, 2, 3].map(
      (unchanged) => computeNextDelay({ now: 0, unchanged }, { ...backoff, multiplier: 3 }).delayMs,
    );
    expect(delays).toEqual([1000, 3000, 9000, 27_000]);
  });

  it('should reset the backoff to initialIntervalMs when unchanged is 0 (the snapshot changed)', () => {
    const opts = { ...backoff, initialIntervalMs: 2000 };
    expect(computeNextDelay({ now: 0, unchanged: 4 }, opts).delayMs).toBe(30_000);
    expect(computeNextDelay({ now: 0, unchanged: 0 }, opts).delayMs).toBe(2000);
  });

  it('should apply full jitter: random() times the ceiling', () => {
    const opts = { strategy: 'backoff', minIntervalMs: 1, random: () => 0.25 } as const;
    expect(computeNextDelay({ now: 0, unchanged: 3 }, opts)).toEqual({ delayMs: 2000, delaySource: 'backoff' });
  });

  it('should cap the backoff at maxIntervalMs', () => {
    expect(computeNextDelay({ now: 0, unchanged: 60 }, { ...backoff, maxIntervalMs: 45_000 })).toEqual({
      delayMs: 45_000,
      delaySource: 'backoff',
    });
  });

  it('should raise Retry-After: 0 to the floor', () => {
    const hints = hintsFromHeaders(new Headers({ 'retry-after': '0' }), 0);
    expect(
      computeNextDelay({ now: 0, unchanged: 0, retryAfterMs: hints.retryAfterMs }, { minIntervalMs: 250 }),
    ).toEqual({
      delayMs: 250,
      delaySource: 'floor',
    });
  });

  it('should raise a jitter of 0 to the floor', () => {
    expect(computeNextDelay({ now: 0, unchanged: 5 }, { strategy: 'backoff', random: () => 0 })).toEqual({
      delayMs: 1000,
      delaySource: 'floor',
    });
  });

  it('should shorten the delay so the next poll lands exactly on the deadline', () => {
    expect(computeNextDelay({ now: 9000, unchanged: 3, deadline: 10_000 }, { random: almostOne })).toEqual({
      delayMs: 1000,
      delaySource: 'deadline',
    });
  });

  it('should let the deadline shorten a server hint too', () => {
    expect(computeNextDelay({ now: 0, unchanged: 0, retryAfterMs: 3_600_000, deadline: 5000 })).toEqual({
      delayMs: 5000,
      delaySource: 'deadline',
    });
  });

  it('should go below the floor to land on the deadline', () => {
    expect(computeNextDelay({ now: 9900, unchanged: 0, deadline: 10_000 })).toEqual({
      delayMs: 100,
      delaySource: 'deadline',
    });
  });

  it('should ignore a negative or NaN server hint', () => {
    expect(computeNextDelay({ now: 0, unchanged: 0, retryAfterMs: -5 }, backoff).delaySource).toBe('backoff');
    expect(computeNextDelay({ now: 0, unchanged: 0, retryAfterMs: Number.NaN }, backoff).delaySource).toBe('backoff');
    expect(computeNextDelay({ now: 0, unchanged: 0, retryAfterMs: -5, ageMs: 100_000 }).delaySource).toBe('age');
  });

  it.each([
    ['minIntervalMs', { minIntervalMs: -1 }],
    ['minIntervalMs', { minIntervalMs: 0 }],
    ['minIntervalMs', { minIntervalMs: Number.NaN }],
    ['maxIntervalMs', { maxIntervalMs: Number.POSITIVE_INFINITY }],
    ['maxIntervalMs', { maxIntervalMs: 2 ** 31 }],
    ['initialIntervalMs', { initialIntervalMs: -10 }],
    ['multiplier', { multiplier: 0.5 }],
    ['multiplier', { multiplier: Number.POSITIVE_INFINITY }],
    ['timeoutMs', { timeoutMs: -1 }],
    ['timeoutMs', { timeoutMs: Number.NaN }],
    ['minIntervalMs', { minIntervalMs: 5000, maxIntervalMs: 4000 }],
    ['random', { random: 42 as unknown as () => number }],
    ['strategy', { strategy: 'linear' as 'eta' }],
    ['staleness', { staleness: 0 }],
    ['staleness', { staleness: -0.1 }],
    ['staleness', { staleness: Number.NaN }],
    ['staleness', { staleness: 11 }],
    ['staleness', { staleness: 'lazy' as 'eager' }],
  ])('should reject an invalid %s with a ValidationError naming it', (field, options) => {
    const run = () => computeNextDelay({ now: 0, unchanged: 0 }, options);
    expect(run).toThrow(ValidationError);
    expect(run).toThrow(expect.objectContaining({ field }));
  });

  it('should accept maxIntervalMs of exactly 2^31-1', () => {
    const { delayMs } = computeNextDelay(
      { now: 0, unchanged: 99 },
      { strategy: 'backoff', random: () => 1, maxIntervalMs: MAX_DELAY_MS },
    );
    expect(delayMs).toBe(MAX_DELAY_MS);
  });
});

describe('computeNextDelay properties', () => {
  const options = fc
    .record({
      minIntervalMs: fc.integer({ min: 1, max: 60_000 }),
      span: fc.integer({ min: 0, max: MAX_DELAY_MS }),
      initialIntervalMs: fc.integer({ min: 0, max: 100_000 }),
      multiplier: fc.double({ min: 1, max: 10, noNaN: true }),
      r: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
    })
    .map(({ minIntervalMs, span, r, ...rest }) => ({
      ...rest,
      minIntervalMs,
      maxIntervalMs: Math.min(MAX_DELAY_MS, minIntervalMs + span),
      random: () => r,
    }));
  const moment = fc.record({
    now: fc.integer({ min: 0, max: 10 ** 12 }),
    unchanged: fc.nat(200),
    retryAfterMs: fc.option(fc.integer({ min: 0, max: 10 ** 10 }), { nil: undefined }),
    ahead: fc.option(fc.nat(10 ** 9), { nil: undefined }),
  });

  it('should keep every delay within [min, max] except server hints, and never past the deadline', () => {
    fc.assert(
      fc.property(options, moment, (opts, { now, unchanged, retryAfterMs, ahead }) => {
        const deadline = ahead === undefined ? null : now + ahead;
        const { delayMs, delaySource } = computeNextDelay({ now, unchanged, retryAfterMs, deadline }, opts);
        expect(delayMs).toBeGreaterThanOrEqual(0);
        expect(delayMs).toBeLessThanOrEqual(MAX_DELAY_MS);
        if (deadline !== null) expect(now + delayMs).toBeLessThanOrEqual(deadline);
        if (delaySource === 'deadline') {
          expect(now + delayMs).toBe(deadline);
        } else {
          expect(delayMs).toBeGreaterThanOrEqual(opts.minIntervalMs);
          if (delaySource !== 'server') expect(delayMs).toBeLessThanOrEqual(opts.maxIntervalMs);
        }
        if (retryAfterMs !== undefined && delaySource === 'backoff') throw new Error('a server hint was ignored');
      }),
    );
  });
});
