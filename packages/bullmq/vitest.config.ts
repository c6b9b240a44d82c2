import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'bullmq',
    environment: 'node',
    include: ['test/**/*.test.ts'],
    // Each file starts its own redis-server and worker processes: real time, bounded by small
    // lock and stalled intervals.
    testTimeout: 60_000,
    hookTimeout: 30_000,
  },
});
