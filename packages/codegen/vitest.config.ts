import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'codegen',
    environment: 'node',
    include: ['test/**/*.test.ts'],
    // Some tests run tsc on generated folders: generous for a loaded 2-core machine.
    testTimeout: 120_000,
  },
});
