import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The page: `vite build` writes dist/, which the example's server (src/server.ts) serves next to /api.
export default defineConfig({
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false },
});
