import { defineConfig } from 'tsdown';

export default defineConfig({
  entry: { index: 'src/index.ts', webhooks: 'src/webhooks.ts' },
  format: ['esm'],
  dts: true,
  sourcemap: true,
  platform: 'neutral',
});
