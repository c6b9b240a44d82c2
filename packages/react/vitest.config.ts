import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'react',
    environment: 'happy-dom',
    // A page URL, so relative remoteSource('/api/batchwatch') resolves as in a browser.
    environmentOptions: { happyDOM: { url: 'http://localhost:3000/dashboard' } },
    include: ['test/**/*.test.{ts,tsx}'],
    typecheck: { enabled: true, include: ['test/**/*.test-d.{ts,tsx}'], tsconfig: './tsconfig.json' },
  },
});
