import { defineConfig } from 'vite';

// The Node side (the server and the waitForJob demo), built for `pnpm start` and `pnpm watch-batch`:
// Node 20 runs JavaScript only. The tests import src/ directly.
export default defineConfig({
  publicDir: false,
  build: {
    ssr: true,
    outDir: 'dist-node',
    emptyOutDir: true,
    sourcemap: false,
    rolldownOptions: { input: { server: 'src/server.ts', watch: 'src/watch.ts' } },
  },
});
