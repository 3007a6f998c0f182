import { writeFileSync } from "node:fs";
import { defineConfig, type Plugin } from "vite";
import react from "@vitejs/plugin-react";

// dist/.keep is committed so that a checkout without a UI build still compiles the Go embed of
// web/ui/dist; every build empties dist, so it writes the file back.
function keepDist(): Plugin {
  return {
    name: "goflow-keep-dist",
    closeBundle() {
      writeFileSync(new URL("./dist/.keep", import.meta.url), "");
    },
  };
}

// The UI is served by the goflow binary from web/ui/dist (embedded at build time). In
// development, `npm run dev` proxies the API and the co-editing socket to a local server.
export default defineConfig({
  plugins: [react(), keepDist()],
  build: { outDir: "dist", emptyOutDir: true, chunkSizeWarningLimit: 8000 },
  server: {
    proxy: {
      "/api": { target: "http://127.0.0.1:8080", ws: true },
    },
  },
  test: { environment: "jsdom", include: ["src/**/*.test.ts", "src/**/*.test.tsx"] },
});
