import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The tests `pnpm mutation` runs against each mutant: core's own tests (they import core's src, so
// a mutant of a core file is what they see) and the clients' tests (they import their package's
// src; core comes from its dist, so a core mutant is judged by core's tests only). Type tests are
// left out: they never run the mutated code.
const dir = (name) => fileURLToPath(new URL(`../../packages/${name}`, import.meta.url));
const project = (name, include) => ({
  test: { name, root: dir(name), dir: dir(name), environment: 'node', include },
});

export default defineConfig({
  test: {
    projects: [
      project('core', ['test/**/*.test.ts']),
      project('supermetrics-client', ['test/**/*.test.ts']),
      project('runflow-client', ['test/**/*.test.ts']),
      project('check-client', ['test/**/*.test.ts']),
    ],
  },
});
