import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import path from "node:path";
import { fileURLToPath } from "node:url";

const projectRoot = fileURLToPath(new URL("../..", import.meta.url));

export interface StackProcess {
  apiUrl: string;
  databaseUrl: string;
  /** The store (S3 API) as the banner names it. */
  emulatorUrl: string;
  process: ChildProcess;
  /** Everything the process printed so far. */
  output(): string;
  /** SIGKILL: no shutdown code runs, as when a machine or a function dies. Its PostgreSQL is left running. */
  kill(): Promise<void>;
  /** SIGTERM, then waits for a clean exit. */
  stop(): Promise<void>;
}

/**
 * `npm start` in a child process (the same `local/start.ts`), on free ports, over `dataDir`, with
 * `env` added: for tests that kill the whole stack at an exact moment and start it again on the same
 * data. Resolves once the stack prints that it is running.
 *
 * `viaNpm` runs the `npm start` script itself (what its environment is, not only its code), in a
 * process group of its own that `kill` and `stop` signal whole, npm and the stack under it alike.
 */
export async function startStackProcess(dataDir: string, env: Record<string, string> = {}, { viaNpm = false } = {}): Promise<StackProcess> {
  const [command, args] = viaNpm ? ["npm", ["start", "--silent"]] : [process.execPath, ["--disable-warning=ExperimentalWarning", "--import", "tsx", "local/start.ts"]];
  const child = spawn(command, args, {
    cwd: projectRoot,
    env: { ...process.env, LOG_LEVEL: "warn", ...env, DATA_DIR: path.resolve(dataDir), PORT: "0" },
    stdio: ["ignore", "pipe", "pipe"],
    detached: viaNpm,
  });
  const signal = (name: NodeJS.Signals) => (viaNpm ? process.kill(-child.pid!, name) : child.kill(name));
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  const exited = once(child, "exit");
  const ready = await Promise.race([
    new Promise<true>((resolve) => {
      const check = () => (/Press Ctrl-C to stop/.test(output) ? resolve(true) : setTimeout(check, 50));
      check();
    }),
    exited.then(() => false as const),
  ]);
  if (!ready) throw new Error(`the stack exited before it was running:\n${output}`);
  const field = (label: string) => new RegExp(`${label}\\s+(\\S+)`).exec(output)?.[1] ?? "";
  return {
    apiUrl: field("web and API"),
    databaseUrl: field("PostgreSQL"),
    emulatorUrl: field("S3 \\+ SQS"),
    process: child,
    output: () => output,
    async kill() {
      if (child.exitCode === null) signal("SIGKILL");
      await exited;
    },
    async stop() {
      if (child.exitCode === null) signal("SIGTERM");
      await exited;
    },
  };
}
