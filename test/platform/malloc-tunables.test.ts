import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isProcessRunning } from "../../local/processes";
import { startStackProcess, type StackProcess } from "../support/stack-process";

/**
 * `npm start` (and `npm run bench:ingest`) run the stack under the glibc malloc tunables package.json
 * names (`config.glibc_tunables`, https://www.gnu.org/software/libc/manual/html_node/Memory-Allocation-Tunables.html):
 * every thread allocates from one arena, grown in transparent huge pages, so a buffer mostly reuses
 * memory another freed, and what is fresh faults in 2 MiB at a time, where glibc's default arena per
 * thread, trimmed as its buffers are freed, faulted fresh 4 KiB pages in for the next one. (The arena
 * is still trimmed: memory does go back to the kernel.) See the README's local stack notes for what
 * that saves.
 */
const projectRoot = path.resolve(import.meta.dirname, "../..");
const tunables = (JSON.parse(await readFile(path.join(projectRoot, "package.json"), "utf8")) as { config: { glibc_tunables: string } }).config.glibc_tunables;

/**
 * The GLIBC_TUNABLES a running process was started with, from its environment block
 * (`/proc/<pid>/environ`). glibc parses the variable in that block itself and, in the versions here,
 * ends each tunable with a NUL where its ':' was (elf/dl-tunables.c, `parse_tunables`), so the block
 * shows them as strings of their own, which are joined again here.
 */
async function tunablesOf(pid: number): Promise<string | undefined> {
  const entries = (await readFile(`/proc/${pid}/environ`, "utf8")).split("\0");
  const at = entries.findIndex((entry) => entry.startsWith("GLIBC_TUNABLES="));
  if (at < 0) return undefined;
  const rest = entries.slice(at + 1);
  const more = rest.findIndex((entry) => !entry.startsWith("glibc."));
  return [entries[at]!.slice("GLIBC_TUNABLES=".length), ...rest.slice(0, more < 0 ? rest.length : more)].join(":");
}

/** The parent of a running process (`/proc/<pid>/stat`, the field after the state). */
async function parentOf(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
}

describe("npm start's malloc tunables", () => {
  let dataDir: string;
  let running: StackProcess | undefined;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), "cogzy-malloc-"));
  });

  afterAll(async () => {
    await running?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("are in the environment of the stack's process and of the emulator it starts", async () => {
    running = await startStackProcess(dataDir, {}, { viaNpm: true });
    const emulator = Number(await readFile(path.join(dataDir, "emulator.pid"), "utf8"));
    const stack = await parentOf(emulator);
    expect((await readFile(`/proc/${stack}/cmdline`, "utf8")).split("\0")).toContain("local/start.ts");
    expect(await tunablesOf(stack)).toBe(tunables);
    expect(await tunablesOf(emulator)).toBe(tunables);

    await running.stop();
    running = undefined;
    await expect.poll(() => isProcessRunning(stack), { timeout: 20_000, interval: 50 }).toBe(false);
  }, 90_000);
});

/**
 * A worker thread (as the stack's functions are) that takes and drops 8 MiB buffers, as an embed
 * worker does with chunk files: its minor page faults (`/proc/thread-self/stat`), i.e. the fresh
 * pages the kernel had to hand it.
 */
const CHURN = `
const { Worker } = require("node:worker_threads");
const worker = new Worker(\`
  const { readFileSync } = require("node:fs");
  const faults = () => Number(readFileSync("/proc/thread-self/stat", "utf8").split(") ")[1].split(" ")[7]);
  const before = faults();
  let sum = 0;
  for (let round = 0; round < 60; round++) {
    const buffer = Buffer.allocUnsafe((8 << 20) + (round % 5) * 4096);
    buffer.fill(round);
    sum += buffer[buffer.length - 1];
  }
  require("node:worker_threads").parentPort.postMessage({ faults: faults() - before, sum });
\`, { eval: true });
worker.on("message", (result) => { console.log(JSON.stringify(result)); worker.terminate(); });
`;

async function churnFaults(glibcTunables: string | undefined): Promise<number> {
  const env = { ...process.env };
  if (glibcTunables === undefined) delete env.GLIBC_TUNABLES;
  else env.GLIBC_TUNABLES = glibcTunables;
  const child = spawn(process.execPath, ["-e", CHURN], { env, stdio: ["ignore", "pipe", "inherit"] });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  const [code] = (await once(child, "exit")) as [number];
  expect(code).toBe(0);
  return (JSON.parse(output) as { faults: number }).faults;
}

describe("the malloc tunables", () => {
  it("let a worker thread reuse the memory of the buffers it dropped instead of faulting in fresh pages", async () => {
    const without = await churnFaults(undefined);
    const withTunables = await churnFaults(tunables);
    // 60 buffers of 8 MiB touch ~123,000 pages: without the tunables a third of them were fresh
    // (33,000-41,000 faults in three runs), with them ~2,700.
    expect(without).toBeGreaterThan(15_000);
    expect(withTunables).toBeLessThan(without / 5);
  }, 60_000);
});
