import { spawn } from "node:child_process";
import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import { projectRoot } from "./data-dir";

/** Where `npm run build:web` writes the web app, and what the local gateway serves. */
export const webDist = path.join(projectRoot, "web", "dist");

/** What the build reads: the app's own files, the API contract and client it imports, and the lock file. */
const SOURCES = ["web", "lib/api", "lib/tiers/tiers.ts", "package-lock.json"];

async function newestChange(entry: string): Promise<number> {
  const info = await stat(entry).catch(() => undefined);
  if (!info) return 0;
  if (!info.isDirectory()) return info.mtimeMs;
  if (entry === webDist || path.basename(entry) === "node_modules") return 0;
  const children = await readdir(entry);
  const times = await Promise.all(children.map((child) => newestChange(path.join(entry, child))));
  return Math.max(info.mtimeMs, ...times);
}

/** Whether web/dist is missing or older than anything it is built from. */
export async function webBuildIsStale(): Promise<boolean> {
  const built = await stat(path.join(webDist, "index.html")).catch(() => undefined);
  if (!built) return true;
  const sources = await Promise.all(SOURCES.map((source) => newestChange(path.join(projectRoot, source))));
  return Math.max(...sources) > built.mtimeMs;
}

/**
 * Runs `npm run build:web` when the build is missing or stale (what `npm start` and the browser tests
 * do first), so nobody is served yesterday's page. Resolves with whether it built.
 */
export async function ensureWebBuild(log: (line: string) => void = () => undefined): Promise<boolean> {
  if (!(await webBuildIsStale())) return false;
  log("Building the web app (npm run build:web)…");
  const vite = path.join(projectRoot, "node_modules", "vite", "bin", "vite.js");
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, [vite, "build", "--config", path.join(projectRoot, "web", "vite.config.ts"), "--logLevel", "warn"], {
      cwd: projectRoot,
      stdio: ["ignore", "inherit", "inherit"],
    });
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`the web app's build failed (exit ${code}); run npm run build:web to see why`))));
  });
  return true;
}
