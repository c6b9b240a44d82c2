import { defineConfig } from 'tsdown';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm'],
  dts: true,
  sourcemap: true,
  // node: it reads specs and writes files (node:fs); `.js` like the other packages.
  platform: 'node',
  fixedExtension: false,
});
