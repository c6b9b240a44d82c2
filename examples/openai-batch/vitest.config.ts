import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'example-openai-batch',
    environment: 'node',
    include: ['test/**/*.test.ts'],
    // One headless Chromium run and a few CLI runs; generous for a loaded 2-core CI machine.
    testTimeout: 60_000,
    hookTimeout: 30_000,
  },
});
