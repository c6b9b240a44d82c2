import { defineConfig } from 'tsdown';

export default defineConfig({
  entry: ['src/index.ts', 'src/server.ts'],
  format: ['esm'],
  dts: true,
  sourcemap: true,
  // node: so `node:http` in ./server resolves as a builtin; `.js` like the other packages.
  platform: 'node',
  fixedExtension: false,
});
