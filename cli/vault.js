#!/usr/bin/env node
// The `vault` command. Its sources are TypeScript, compiled on the fly by tsx, so `npx vault` works
// straight after `npm install` with no build step. It runs on the Node 22 that `npm install` puts in
// node_modules/.bin (the `node` package; Lambda's runtime is nodejs22.x too): `npx` and npm scripts put
// that directory first on PATH, and an older `node` that starts this file directly hands over to it.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const NEEDED_MAJOR = 22;

if (Number(process.versions.node.split(".")[0]) < NEEDED_MAJOR) {
  const bundled = fileURLToPath(new URL("../node_modules/.bin/node", import.meta.url));
  if (!existsSync(bundled)) {
    process.stderr.write(`vault needs Node ${NEEDED_MAJOR}; run \`npm install\` in ${fileURLToPath(new URL("..", import.meta.url))} to get it.\n`);
    process.exit(1);
  }
  const child = spawnSync(bundled, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: "inherit" });
  process.exit(child.status ?? 1);
}

const { register } = await import("tsx/esm/api");
register();
const { main } = await import("./main.ts");
process.exitCode = await main(process.argv.slice(2));
