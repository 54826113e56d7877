import { defineConfig } from 'vite';

/**
 * The playground (web/): `npm run playground` serves it, `npm run build:web`
 * writes it to dist-web/ with relative URLs, so any static file server (or a
 * sub-folder of one) can host it.
 */
export default defineConfig({
  root: 'web',
  base: './',
  build: { outDir: '../dist-web', emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 4096 },
  worker: { format: 'es' },
  server: { port: 5173 },
});
