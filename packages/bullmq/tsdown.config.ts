import { defineConfig } from 'tsdown';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm'],
  dts: true,
  sourcemap: true,
  // Server-only: bullmq and ioredis need node builtins. `.js` like the other packages.
  platform: 'node',
  fixedExtension: false,
});
