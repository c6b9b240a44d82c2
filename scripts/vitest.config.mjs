import { defineProject } from 'vitest/config';

// The repo scripts that gate a run: the services check before the tests and the summary after.
export default defineProject({
  test: { name: 'scripts', environment: 'node', include: ['test/**/*.test.mjs'] },
});
