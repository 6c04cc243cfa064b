// Vite config for the Keyward UI: the Tauri dev server (fixed port 1420, which
// tauri.conf.json points at) and the production build into ui/dist, plus the Vitest
// setup, so that dev, build and tests resolve `$lib` and Svelte the same way.
/// <reference types="node" />
/// <reference types="vitest/config" />
import { svelte } from "@sveltejs/vite-plugin-svelte";
import { svelteTesting } from "@testing-library/svelte/vite";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

export default defineConfig({
  plugins: [svelte(), svelteTesting()],
  resolve: {
    alias: { $lib: fileURLToPath(new URL("./src/lib", import.meta.url)) },
  },
  // Tauri prints its own output; clearing the terminal would hide Rust errors.
  clearScreen: false,
  server: {
    port: 1420,
    strictPort: true,
    watch: { ignored: ["**/src-tauri/**", "**/crates/**"] },
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // The webview is a recent WebKit/WebView2/Chromium; no legacy transforms needed.
    target: "es2022",
  },
  test: {
    environment: "jsdom",
    setupFiles: ["./src/test-setup.ts"],
    include: ["src/**/*.test.ts"],
  },
});
