import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// Inside the checkout, 'localprop' is the source; an installed package resolves it from node_modules instead.
export default defineConfig({
  resolve: { alias: { localprop: fileURLToPath(new URL('../../src/index.ts', import.meta.url)) } },
});
