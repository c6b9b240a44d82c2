import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'specs', environment: 'node', include: ['test/**/*.test.ts'] },
});
