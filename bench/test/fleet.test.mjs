import { describe, expect, it } from 'vitest';
import { maxSlidingSecond } from '../lib/sliding.mjs';

describe('maxSlidingSecond', () => {
  it('should count the busiest window [t, t + 1000), not calendar seconds', () => {
    // 100 at the end of one calendar second and 100 at the start of the next: 200 in one sliding second.
    const times = [
      ...Array.from({ length: 100 }, (_, i) => 900 + i),
      ...Array.from({ length: 100 }, (_, i) => 1000 + i),
    ];
    expect(maxSlidingSecond(times)).toBe(200);
    expect(maxSlidingSecond([0, 999, 1000, 1999])).toBe(2);
    expect(maxSlidingSecond([])).toBe(0);
  });
});
