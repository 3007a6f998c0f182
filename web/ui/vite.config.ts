import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// The UI is served by the goflow binary from web/ui/dist (embedded at build time). In
// development, `npm run dev` proxies the API and the co-editing socket to a local server.
export default defineConfig({
  plugins: [react()],
  build: { outDir: "dist", emptyOutDir: true, chunkSizeWarningLimit: 8000 },
  server: {
    proxy: {
      "/api": { target: "http://127.0.0.1:8080", ws: true },
    },
  },
  test: { environment: "jsdom", include: ["src/**/*.test.ts", "src/**/*.test.tsx"] },
});
