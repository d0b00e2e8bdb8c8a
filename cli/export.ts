/**
 * `vault export --out vault.zip`: asks the API for a zip of the vault (`POST /api/personal/vault/export`)
 * and downloads it from the short-lived link it answers, streamed to the file (never held in memory).
 */
import { createWriteStream } from "node:fs";
import { rename, rm } from "node:fs/promises";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { ApiError, createApiClient } from "./api-client";
import type { Invocation } from "./command-line";
import { formatBytes } from "../lib/format-bytes";
import { createProgressLine } from "./progress-bar";

export async function run({ values }: Invocation<{ out: string; email: string; password: string; api: string }>): Promise<number> {
  const api = createApiClient(values.api);
  const line = createProgressLine();
  const partial = `${values.out}.part`;
  try {
    await api.logIn(values.email, values.password);
    line.update(0, "building the zip of your vault");
    const built = await api.exportVault();
    const response = await fetch(built.url);
    if (!response.ok || !response.body) throw new ApiError(response.status, "download_failed", `The download link answered ${response.status}; run vault export again.`);
    let received = 0;
    const counted = Readable.fromWeb(response.body as import("node:stream/web").ReadableStream).on("data", (chunk: Buffer) => {
      received += chunk.length;
      line.update((received / built.bytes) * 100, `downloading ${formatBytes(received)} of ${formatBytes(built.bytes)}`);
    });
    await pipeline(counted, createWriteStream(partial));
    await rename(partial, values.out);
    line.finish(`Saved version ${built.version} of your vault to ${values.out} (${formatBytes(received)}). Open memories.md inside to read it; README.md describes every file.`);
    return 0;
  } catch (error) {
    line.finish();
    await rm(partial, { force: true });
    if (error instanceof ApiError) {
      process.stderr.write(`${error.message}\n`);
      return 1;
    }
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "EACCES") {
      process.stderr.write(`Cannot write ${values.out}: ${(error as Error).message}\n`);
      return 1;
    }
    throw error;
  }
}
