// Vite config for mlhub's UI. `base: '/'` because the server serves the app at its root and
// falls back to index.html for client-side routes, so asset URLs must be absolute.
import { defineConfig } from 'vite';

// Node's global, declared here so the UI's tsconfig needs no @types/node.
declare const process: { env: Record<string, string | undefined> };

// `npm run dev` proxies the API to a running `mlhub server` (MLHUB_URL, default port 5000).
const target = process.env.MLHUB_URL ?? 'http://127.0.0.1:5000';

export default defineConfig({
  base: '/',
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: { target: 'es2020', chunkSizeWarningLimit: 300 },
  server: { proxy: { '/ajax-api': { target, changeOrigin: true } } },
});
