import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// `vite build` writes dist/, which server.mjs serves next to /api. No dev proxy: the page is only
// ever served by that server, so it has one origin in development, in the e2e test and in CI.
export default defineConfig({
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false },
});
