/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// The gateway (services/web) serves dist/ and answers the RPCs and /ws; in `npm run dev`
// Vite proxies those to a running mesh (TASKMESH_URL, default http://127.0.0.1:8080).
const mesh = process.env.TASKMESH_URL ?? "http://127.0.0.1:8080";

export default defineConfig({
  plugins: [react()],
  build: {
    target: "es2022",
    sourcemap: false,
    chunkSizeWarningLimit: 600,
  },
  server: {
    proxy: {
      "^/taskmesh\\.": { target: mesh, changeOrigin: false },
      "/ws": { target: mesh, ws: true },
    },
  },
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.{ts,tsx}"],
    setupFiles: ["src/test/setup.ts"],
    pool: "threads",
    maxWorkers: 2,
  },
});
