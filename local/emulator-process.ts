import { fork, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import type { FauxqsServer, MessageSpyReader, SpyMessage } from "fauxqs";
import type { QueueName } from "../functions/manifest";
import { log } from "../lib/log";
import type { LocalQueue, QueueAdmin } from "./emulator";
import type { StoreCredentials } from "./presigned-requests";
import { isProcessRunning } from "./processes";

/** What the stack uses of the emulator in its own process: queue administration and the store's write events. */
export interface EmulatorControl extends QueueAdmin {
  readonly address: string;
  /** The store's write events (uploaded, copied, deleted, renamed), as fauxqs's spy records them. */
  readonly spy: Pick<MessageSpyReader, "waitForMessage" | "clear">;
  inspectQueue(name: string): Promise<QueueInspection | undefined>;
}

export type QueueInspection = NonNullable<ReturnType<FauxqsServer["inspectQueue"]>>;

export interface EmulatorProcess {
  endpoint: string;
  port: number;
  /** The store's address for browsers (signatures checked, CORS answered), when `publicStore` asked for it. */
  publicEndpoint?: string;
  /** The child process's id (the bench adds its memory to the stack's). */
  pid: number;
  server: EmulatorControl;
  queues: Record<QueueName, LocalQueue>;
  stop(): Promise<void>;
}

/** Parent → child. */
export type HostRequest = { type: "call"; id: number; method: "inspectQueue" | "createQueue"; args: unknown[] } | { type: "stop" };
/** Child → parent. */
export type HostMessage =
  | { type: "ready"; endpoint: string; port: number; publicEndpoint?: string; address: string; queues: Record<QueueName, LocalQueue> }
  | { type: "failed"; message: string }
  | { type: "result"; id: number; value?: unknown; error?: string }
  | { type: "store-event"; event: SpyMessage };

/**
 * The emulator collects its garbage on its own thread. Its garbage is the buffers and request objects of
 * the bytes it moves between sockets and files, and V8's default spreads each collection over helper
 * threads (Node starts four: https://nodejs.org/api/cli.html#--v8-pool-sizenum), which on a small
 * machine wait for cores the stack's functions are using, and use them. `--single-threaded-gc` is V8's
 * switch for doing without them (https://chromium.googlesource.com/v8/v8/+/refs/heads/main/src/flags/flag-definitions.h).
 * In six pairs of bench:ingest pipeline runs on 2 cores, the emulator used 8.2–10.5 s of CPU against
 * 11.4–15.1 s for a 100k-exchange upload, about 21% of what the stack's process used against 30%.
 */
const EMULATOR_GC = "--single-threaded-gc";

const hostFile = fileURLToPath(new URL("./emulator-host.ts", import.meta.url));
const PID_FILE = "emulator.pid";

/**
 * The S3 + SQS emulator (`startEmulator`, with its store patches) in a child process of its own, so its
 * HTTP parsing, disk writes and hashing run on another core than the handlers that call it. Requests
 * reach it over loopback HTTP as before; the few in-process calls the stack and tests make (inspect or
 * create a queue, the store's upload events for the B2 bridge) go over the IPC channel
 * (https://nodejs.org/api/child_process.html#child_processforkmodulepath-args-options).
 *
 * The child runs in a process group of its own, so a Ctrl-C of `npm start` reaches only the parent,
 * which stops the emulator after everything that uses it. The child exits when the channel closes (the
 * parent died, even by SIGKILL); one that could not (hung) is found by its pid file and killed on the
 * next start, as a PostgreSQL abandoned by a killed run is.
 */
export async function startEmulatorProcess(options: { dataDir: string; port: number; bucket: string; publicStore?: { port: number; credentials: StoreCredentials } }): Promise<EmulatorProcess> {
  await recoverAbandonedEmulator(options.dataDir);
  const publicStore = options.publicStore;
  const child = fork(hostFile, [path.resolve(options.dataDir), String(options.port), options.bucket, publicStore ? String(publicStore.port) : ""], {
    // EMULATOR_CPU_PROF_DIR: a V8 CPU profile of the emulator's process, written when it ends (https://nodejs.org/api/cli.html#--cpu-prof).
    execArgv: [EMULATOR_GC, "--disable-warning=ExperimentalWarning", ...(process.env.EMULATOR_CPU_PROF_DIR ? ["--cpu-prof", `--cpu-prof-dir=${process.env.EMULATOR_CPU_PROF_DIR}`] : []), "--import", import.meta.resolve("tsx")],
    // The keys go in the environment, not the arguments anyone can read in the process list.
    env: { ...process.env, ...(publicStore && { PUBLIC_STORE_ACCESS_KEY_ID: publicStore.credentials.accessKeyId, PUBLIC_STORE_SECRET_ACCESS_KEY: publicStore.credentials.secretAccessKey }) },
    detached: true,
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    serialization: "advanced",
  });
  const pid = child.pid!;
  const pidFile = path.join(options.dataDir, PID_FILE);
  await writeFile(pidFile, String(pid));
  // Whatever ends this process (an uncaught error, process.exit) ends the emulator with it.
  const killOnExit = () => child.kill("SIGKILL");
  process.on("exit", killOnExit);
  const exited = once(child, "exit") as Promise<[number | null, NodeJS.Signals | null]>;

  const ready = await new Promise<Extract<HostMessage, { type: "ready" }>>((resolve, reject) => {
    const onMessage = (message: HostMessage) => {
      if (message.type === "ready") resolve(message);
      if (message.type === "failed") reject(new Error(`The S3 + SQS emulator did not start: ${message.message}`));
    };
    child.on("message", onMessage);
    void exited.then(([code, signal]) => reject(new Error(`The S3 + SQS emulator exited before it was ready (${signal ?? `code ${code}`}).`)));
  }).catch(async (error) => {
    child.kill("SIGKILL");
    await exited;
    process.off("exit", killOnExit);
    await rm(pidFile, { force: true });
    throw error;
  });

  let stopping = false;
  const server = controlOver(child, await storeEventSpy());
  void exited.then(([code, signal]) => {
    process.off("exit", killOnExit);
    if (!stopping) log.error("the S3 + SQS emulator process exited; restart the stack", { code, signal });
  });

  return {
    endpoint: ready.endpoint,
    port: ready.port,
    publicEndpoint: ready.publicEndpoint,
    pid,
    server: { ...server, address: ready.address, port: ready.port },
    queues: ready.queues,
    async stop() {
      stopping = true;
      if (child.connected) child.send({ type: "stop" } satisfies HostRequest);
      else if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
      await rm(pidFile, { force: true });
    },
  };
}

/** Calls into the child, answered in order of the ids they carry; every call fails once the child is gone. */
function controlOver(child: ChildProcess, spy: StoreEventSpy) {
  const calls = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  let next = 0;
  child.on("message", (message: HostMessage) => {
    if (message.type === "store-event") return spy.addMessage(message.event);
    if (message.type !== "result") return;
    const call = calls.get(message.id);
    calls.delete(message.id);
    if (message.error !== undefined) call?.reject(new Error(message.error));
    else call?.resolve(message.value);
  });
  child.once("exit", () => {
    for (const call of calls.values()) call.reject(new Error("the S3 + SQS emulator process has exited"));
    calls.clear();
    spy.clear();
  });
  const call = <T>(method: Extract<HostRequest, { type: "call" }>["method"], ...args: unknown[]) =>
    new Promise<T>((resolve, reject) => {
      if (!child.connected) return reject(new Error("the S3 + SQS emulator process has exited"));
      const id = ++next;
      calls.set(id, { resolve: resolve as (value: unknown) => void, reject });
      child.send({ type: "call", id, method, args } satisfies HostRequest);
    });
  return {
    spy,
    inspectQueue: (name: string) => call<QueueInspection | undefined>("inspectQueue", name),
    createQueue: (name: string, options?: { attributes?: Record<string, string> }) => call<ReturnType<FauxqsServer["createQueue"]>>("createQueue", name, options),
  };
}

type StoreEventSpy = MessageSpyReader & { addMessage(message: SpyMessage): void };

/** fauxqs's own spy (buffer, waiters, `clear()` rejecting them), fed here with the events the child forwards. */
async function storeEventSpy(): Promise<StoreEventSpy> {
  const { MessageSpy } = (await import(new URL("./spy.js", import.meta.resolve("fauxqs")).href)) as { MessageSpy: new () => StoreEventSpy };
  return new MessageSpy();
}

/**
 * An emulator left by a run that was killed while its emulator could not notice (stopped or hung)
 * still holds the queues' database: kill it, but only if that pid is still this data folder's
 * emulator (a recycled pid must never be signalled).
 */
export async function recoverAbandonedEmulator(dataDir: string): Promise<void> {
  const pidFile = path.join(dataDir, PID_FILE);
  const pid = Number(await readFile(pidFile, "utf8").catch(() => ""));
  if (Number.isInteger(pid) && pid > 0 && (await hostsEmulator(pid, path.resolve(dataDir)))) {
    // SIGKILL, not SIGTERM: a stopped process would hold a SIGTERM until it is continued.
    process.kill(pid, "SIGKILL");
    for (let waited = 0; waited < 10_000 && (await isProcessRunning(pid)); waited += 50) await sleep(50);
  }
  await rm(pidFile, { force: true });
}


async function hostsEmulator(pid: number, dataDir: string): Promise<boolean> {
  if (!(await isProcessRunning(pid))) return false;
  const args = (await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "")).split("\0");
  return args.includes(hostFile) && args.includes(dataDir);
}
