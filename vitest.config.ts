import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      'packages/*/vitest.config.ts',
      'examples/*/vitest.config.ts',
      'specs/vitest.config.ts',
      'bench/vitest.config.mjs',
      'scripts/vitest.config.mjs',
    ],
  },
});
