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

describe('computeNextDelay, eta strategy (the default)', () => {
  const zero = () => 0; // no jitter: delays are exact
  const S = 1000;
  // A job predicted to run 100 s in all, ending at 140 s; one item every second.
  const prediction = { endsAt: 140 * S, runMs: 100 * S, itemMs: S };

  it.each([
    ['a brand-new job: twice the floor', { now: 0, ageMs: 0 }, 2 * S, 'age'],
    ['a 100 s old job: a tenth of its age', { now: 100 * S, ageMs: 100 * S }, 10 * S, 'age'],
    ['a 15 s old job: still twice the floor', { now: 15 * S, ageMs: 15 * S }, 2 * S, 'age'],
    ['an hour-old job: maxIntervalMs', { now: 3600 * S, ageMs: 3600 * S }, 30 * S, 'age'],
    ['40 s before the end: half of what is left', { now: 100 * S, ageMs: 100 * S, prediction }, 20 * S, 'approach'],
    ['8 s before the end: half of it', { now: 132 * S, ageMs: 132 * S, prediction }, 4 * S, 'approach'],
    ['inside the 3 s window: the floor', { now: 138 * S, ageMs: 138 * S, prediction }, S, 'floor'],
    ['just past the end, inside the window', { now: 142 * S, ageMs: 142 * S, prediction }, S, 'floor'],
    ['20 s overdue: a tenth of it', { now: 160 * S, ageMs: 160 * S, prediction }, 2 * S, 'overdue'],
    ['200 s overdue: a tenth, up to maxIntervalMs', { now: 340 * S, ageMs: 340 * S, prediction }, 20 * S, 'overdue'],
    [
      'a young job far from its predicted end: at most 5 * 0.1 * age',
      { now: 10 * S, ageMs: 10 * S, prediction: { ...prediction, endsAt: 1000 * S } },
      5 * S,
      'age',
    ],
  ] as const)('should wait for %s', (_, input, delayMs, delaySource) => {
    expect(computeNextDelay({ unchanged: 0, ...input }, { random: zero })).toEqual({ delayMs, delaySource });
  });

  it('should poll a long run tightly (0.2% of it) in the window around its end', () => {
    const hour = { endsAt: 3600 * S, runMs: 3600 * S, itemMs: 30 * S };
    expect(
      computeNextDelay({ now: 3590 * S, unchanged: 0, ageMs: 3590 * S, prediction: hour }, { random: zero }),
    ).toEqual({ delayMs: 7200, delaySource: 'window' });
    // The window is 3% of the run (108 s) on each side: 200 s before the end is still the approach.
    expect(
      computeNextDelay({ now: 3400 * S, unchanged: 0, ageMs: 3400 * S, prediction: hour }, { random: zero }),
    ).toEqual({ delayMs: 30 * S, delaySource: 'approach' });
  });

  it('should widen the window to one item: the end is not known more precisely', () => {
    const slow = { endsAt: 140 * S, runMs: 100 * S, itemMs: 10 * S };
    expect(
      computeNextDelay({ now: 131 * S, unchanged: 0, ageMs: 131 * S, prediction: slow }, { random: zero }).delaySource,
    ).toBe('floor');
  });

  it('should shorten delays by up to 10% at random so jobs started together drift apart', () => {
    const input = { now: 100 * S, unchanged: 0, ageMs: 100 * S };
    expect(computeNextDelay(input, { random: () => 0.5 }).delayMs).toBe(9500);
    expect(computeNextDelay(input, { random: almostOne }).delayMs).toBe(9000);
  });

  it.each([
    ['eager', 5 * S],
    ['balanced', 10 * S],
    ['frugal', 25 * S],
    [0.2, 20 * S],
  ] as const)('should map staleness %s onto the share of the age', (staleness, delayMs) => {
    expect(computeNextDelay({ now: 100 * S, unchanged: 0, ageMs: 100 * S }, { staleness, random: zero }).delayMs).toBe(
      delayMs,
    );
  });

  it('should back off failed polls exponentially above the age rule, and let the age rule win when it is longer', () => {
    const young = { now: 0, unchanged: 0, ageMs: 0 };
    const delays = [1, 2, 3, 4, 5].map((errors) => computeNextDelay({ ...young, errors }, { random: almostOne }));
    // The age rule gives 1.8 s (2 s less 10% jitter); the backoff is 1, 2, 4, 8, 16 s.
    expect(delays.map((d) => d.delayMs)).toEqual([1800, 2000, 4000, 8000, 16_000]);
    expect(delays.map((d) => d.delaySource)).toEqual(['age', 'backoff', 'backoff', 'backoff', 'backoff']);
    expect(computeNextDelay({ now: 0, unchanged: 0, ageMs: 600 * S, errors: 2 }, { random: zero })).toEqual({
      delayMs: 30 * S,
      delaySource: 'age',
    });
  });

  it('should let a server hint win over the estimate, and the deadline cut both', () => {
    const input = { now: 100 * S, unchanged: 0, ageMs: 100 * S, prediction };
    expect(computeNextDelay({ ...input, retryAfterMs: 60 * S }, { random: zero })).toEqual({
      delayMs: 60 * S,
      delaySource: 'server',
    });
    expect(computeNextDelay({ ...input, deadline: 105 * S }, { random: zero })).toEqual({
      delayMs: 5 * S,
      delaySource: 'deadline',
    });
  });

  it('should fall back to the age rule for a prediction that is not a number', () => {
    for (const bad of [
      { endsAt: Number.NaN, runMs: 1, itemMs: 1 },
      { endsAt: Number.POSITIVE_INFINITY, runMs: 1, itemMs: 1 },
      { endsAt: 5, runMs: Number.NaN, itemMs: 1 },
      { endsAt: 5, runMs: 1, itemMs: -1 },
    ]) {
      expect(
        computeNextDelay({ now: 100 * S, unchanged: 0, ageMs: 100 * S, prediction: bad }, { random: zero }),
      ).toEqual({
        delayMs: 10 * S,
        delaySource: 'age',
      });
    }
  });

  it('should treat a random() outside [0, 1] as no jitter rather than a NaN or negative delay', () => {
    for (const random of [() => Number.NaN, () => -3, () => 7]) {
      expect(computeNextDelay({ now: 100 * S, unchanged: 0, ageMs: 100 * S }, { random })).toEqual({
        delayMs: 10 * S,
        delaySource: 'age',
      });
      expect(computeNextDelay({ now: 0, unchanged: 3 }, { strategy: 'backoff', random })).toEqual({
        delayMs: 1000,
        delaySource: 'floor',
      });
    }
  });
});

describe('computeNextDelay, eta properties', () => {
  const finiteOrNot = fc.oneof(
    fc.double({ min: -1e13, max: 1e13, noNaN: true }),
    fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY),
  );
  const options = fc.record({
    minIntervalMs: fc.integer({ min: 1, max: 10_000 }),
    span: fc.integer({ min: 0, max: 600_000 }),
    staleness: fc.double({ min: 0.001, max: 10, noNaN: true }),
    r: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
  });
  const moment = fc.record({
    now: fc.integer({ min: 0, max: 10 ** 12 }),
    ageMs: fc.oneof(fc.integer({ min: 0, max: 10 ** 10 }), finiteOrNot),
    prediction: fc.option(fc.record({ endsAt: finiteOrNot, runMs: finiteOrNot, itemMs: finiteOrNot }), {
      nil: undefined,
    }),
  });

  it('should keep every delay in [minIntervalMs, maxIntervalMs] and within the latency guarantee, whatever the estimate', () => {
    fc.assert(
      fc.property(options, moment, ({ minIntervalMs, span, staleness, r }, input) => {
        const maxIntervalMs = minIntervalMs + span;
        const { delayMs } = computeNextDelay(
          { ...input, unchanged: 0 },
          { minIntervalMs, maxIntervalMs, staleness, random: () => r },
        );
        expect(Number.isInteger(delayMs)).toBe(true);
        expect(delayMs).toBeGreaterThanOrEqual(minIntervalMs);
        expect(delayMs).toBeLessThanOrEqual(maxIntervalMs);
        // The guarantee: within max(2 * floor, min(5 * r * age, max)) of any moment the job may end.
        const age = Number.isFinite(input.ageMs) && input.ageMs > 0 ? input.ageMs : 0;
        const bound = Math.max(2 * minIntervalMs, Math.min(5 * staleness * age, maxIntervalMs));
        expect(delayMs).toBeLessThanOrEqual(Math.ceil(bound));
      }),
    );
  });
});
