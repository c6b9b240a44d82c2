import { defineProject } from 'vitest/config';

// The benchmarks' pure parts (statistics, the seeded job set, the report). No timing is asserted.
export default defineProject({
  test: {
    name: 'bench',
    environment: 'node',
    include: ['test/**/*.test.mjs'],
  },
});
