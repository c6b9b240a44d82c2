import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The tests `pnpm mutation` runs against each mutant: core's own tests (they import core's src, so
// a mutant of a core file is what they see) and the clients' webhook tests (they import their
// package's src/webhooks.ts). Type tests are left out: they never run the mutated code.
const dir = (name) => fileURLToPath(new URL(`../../packages/${name}`, import.meta.url));
const project = (name, include) => ({
  test: { name, root: dir(name), dir: dir(name), environment: 'node', include },
});

export default defineConfig({
  test: {
    projects: [
      project('core', ['test/**/*.test.ts']),
      project('runflow-client', ['test/webhooks*.test.ts']),
      project('check-client', ['test/webhooks*.test.ts']),
    ],
  },
});
