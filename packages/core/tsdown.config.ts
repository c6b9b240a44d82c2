import { defineConfig } from 'tsdown';

export default defineConfig({
  entry: { index: 'src/index.ts', http: 'src/http/index.ts' },
  format: ['esm'],
  dts: true,
  sourcemap: true,
  platform: 'neutral',
});
