/**
 * What the store benches (bench:merge, bench:export, bench:forget) share: the emulator in a temp folder,
 * a client for it, and each measured step run in a child process of its own, so that its peak memory (its
 * maximum resident set) is that step's alone.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createS3Client, type Store } from "../lib/store/client";
import { startEmulator } from "../local/emulator";

/** A line on stderr saying which step runs now (stdout carries only the results). */
export function progress(text: string): void {
  process.stderr.write(`… ${text}\n`);
}

/**
 * Starts the S3 emulator on a free port over a fresh temp folder, runs `body` with its endpoint, then
 * stops it and removes the folder, whatever `body` did.
 */
export async function withBenchEmulator<T>(tempPrefix: string, bucket: string, body: (endpoint: string) => Promise<T>): Promise<T> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), tempPrefix));
  const emulator = await startEmulator({ dataDir, port: 0, bucket, messageSpies: false });
  try {
    return await body(emulator.endpoint);
  } finally {
    await emulator.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** A store client for the bench's emulator at `endpoint`. */
export function benchStore(endpoint: string, bucket: string): Store {
  const client = createS3Client({ provider: "s3", endpoint, region: "us-east-1", accessKeyId: "local", secretAccessKey: "local", bucket, forcePathStyle: true, publicEndpoint: undefined });
  return { client, presignClient: client, bucket };
}

/**
 * Runs `script` again as a child with `--name value` per entry of `args`; its last stdout line is its JSON
 * result. `nodeOptions`: the NODE_OPTIONS of the function the step stands for (functions/manifest.ts,
 * `nodeOptions`), so its memory is measured with the heap that function runs with.
 */
export function runStep<T>(script: string, args: Record<string, string | number>, nodeOptions?: string): Promise<T> {
  const argv = [...process.execArgv, script, ...Object.entries(args).flatMap(([key, value]) => [`--${key}`, String(value)])];
  const env = nodeOptions ? { ...process.env, NODE_OPTIONS: [process.env.NODE_OPTIONS, nodeOptions].filter(Boolean).join(" ") } : process.env;
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, argv, { stdio: ["ignore", "pipe", "inherit"], env });
    let out = "";
    proc.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    proc.on("error", reject);
    proc.on("exit", (code) => (code === 0 ? resolve(JSON.parse(out.trim().split("\n").at(-1)!) as T) : reject(new Error(`step ${JSON.stringify(args)} exited with ${code}`))));
  });
}
