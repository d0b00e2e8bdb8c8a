/** `npm run reset`: deletes all local data (accounts, vaults, queues). Refuses while the stack runs. */
import { existsSync, lstatSync, readFileSync, realpathSync } from "node:fs";
import { rm } from "node:fs/promises";
import path from "node:path";
import { localDataDir } from "./data-dir";
import { isProcessAlive } from "./processes";

const dataDir = localDataDir();
const lock = path.join(dataDir, "stack.pid");
const owner = existsSync(lock) ? Number(readFileSync(lock, "utf8")) : 0;
if (owner && isProcessAlive(owner)) {
  console.error(`Cogzy is running (process ${owner}); stop it before resetting.`);
  process.exit(1);
}
// As root the PostgreSQL cluster may live elsewhere behind a symlink (see local/postgres.ts).
const postgresDir = path.join(dataDir, "postgres");
if (existsSync(postgresDir) && lstatSync(postgresDir).isSymbolicLink()) {
  await rm(realpathSync(postgresDir), { recursive: true, force: true });
}
await rm(dataDir, { recursive: true, force: true });
console.log(`Removed ${dataDir}. The next npm start begins with an empty system.`);
