import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

/**
 * The dashboard, built to static files that the daemon serves (src/http/dashboard.ts):
 * `dist/web/index.html` and hashed files under `dist/web/assets/`.
 */
export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "/",
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL("../dist/web", import.meta.url)),
    emptyOutDir: true,
    assetsDir: "assets",
    // Inline nothing: the daemon's Content-Security-Policy allows the dashboard's own files only.
    assetsInlineLimit: 0,
    sourcemap: false,
    target: "es2022",
  },
  server: {
    // `npm run dev:web`: the API of a daemon on its default port.
    proxy: { "/api": "http://127.0.0.1:7878" },
  },
});
