import { svelte } from "@sveltejs/vite-plugin-svelte";
import { defineConfig } from "vite";

/**
 * The web app: `npm run build:web` writes it to web/dist, which `npm start` serves beside the API and
 * SST deploys as a static site. Relative asset URLs, so the same build works under any path.
 */
export default defineConfig({
  root: import.meta.dirname,
  base: "./",
  plugins: [svelte()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    // The whole app is one small bundle (a budget of 150 KB gzipped, checked by the browser tests).
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
    // Svelte's compiler is most of a build's time by nature; the timing report only adds noise.
    rolldownOptions: { checks: { pluginTimings: false } },
  },
  server: { fs: { allow: [".."] } },
});
