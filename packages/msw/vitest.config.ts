import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'msw',
    environment: 'node',
    include: ['test/**/*.test.ts'],
  },
});
