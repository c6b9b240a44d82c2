import { defineConfig } from 'tsdown';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    scheduler: 'src/scheduler.ts',
    handles: 'src/handles.ts',
    results: 'src/results/index.ts',
    webhooks: 'src/webhooks/index.ts',
    'client-kit': 'src/client-kit/index.ts',
    http: 'src/http/index.ts',
  },
  format: ['esm'],
  dts: true,
  sourcemap: true,
  platform: 'neutral',
});
