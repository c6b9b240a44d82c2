import { defineConfig } from 'vite';

// The Node side (the server, the waitForJob demo and the CLI sources), built for `pnpm start`,
// `pnpm watch-batch` and `batchwatch watch --sources dist-node/sources.js`:
// Node 20 runs JavaScript only. The tests import src/ directly.
export default defineConfig({
  publicDir: false,
  build: {
    ssr: true,
    outDir: 'dist-node',
    emptyOutDir: true,
    sourcemap: false,
    rolldownOptions: { input: { server: 'src/server.ts', watch: 'src/watch.ts', sources: 'src/sources.ts' } },
  },
});
