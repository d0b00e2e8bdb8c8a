/**
 * `vault import <file>`: checks the file with the local reader, then uploads it through the public API
 * exactly as the web page does (log in, or sign up when asked; request the upload; PUT to the presigned
 * URL or its parts; poll progress) and follows the pipeline to the end. Exit 0 once the upload is
 * complete; 1 with a message a person understands when it is not.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { stat } from "node:fs/promises";
import { basename } from "node:path";
import { isExportFormatError } from "../lib/exports";
import { SOURCE_NAMES } from "../lib/exports/source-names";
import { ApiError, createApiClient, type UploadProgress } from "./api-client";
import { checkExport, type CheckedExport } from "./check-export";
import type { Invocation } from "./command-line";
import { formatBytes } from "../lib/format-bytes";
import { createProgressLine } from "./progress-bar";
import { sendFile } from "./send-file";

type ApiClient = ReturnType<typeof createApiClient>;
type ProgressLine = ReturnType<typeof createProgressLine>;


const PHASES: Record<string, string> = {
  awaiting_upload: "waiting for the pipeline to pick up the file",
  queued: "queued",
  parsing: "reading the export",
  embedding: "embedding",
  merging: "adding to your vault",
  done: "done",
};

export async function run({ values, operands }: Invocation<{ email: string; password: string; api: string; signup: boolean }>): Promise<number> {
  const file = operands[0]!;
  const name = basename(file);
  const line = createProgressLine();
  try {
    const size = (await stat(file)).size;
    const checked = await checkExport(file, (read) => line.update(size > 0 ? (read / size) * 100 : 100, `checking ${name}: ${formatBytes(read)} of ${formatBytes(size)}`));
    line.finish(describeCheck(name, checked));
    if (checked.summary.exchanges + checked.summary.profiles === 0) {
      return fail(`${name} holds nothing to import${skippedNote(checked)}. Nothing was uploaded.`);
    }
    const api = createApiClient(values.api);
    process.stderr.write(`${await openSession(api, values.email, values.password, values.signup)}\n`);
    const target = await api.requestUpload(name, size);
    const started = Date.now();
    const parts = await sendFile(file, size, target, (sent) => line.update(size > 0 ? (sent / size) * 100 : 100, `uploading ${formatBytes(sent)} of ${formatBytes(size)}`));
    if (target.method === "multipart") await api.completeUpload(target.upload_id, parts);
    line.finish(`Uploaded ${formatBytes(size)} in ${seconds(Date.now() - started)}.`);
    const final = await follow(api, target.upload_id, line);
    line.finish();
    return report(name, final, final.status === "complete" ? await api.vaultStatus() : undefined);
  } catch (error) {
    line.finish();
    if (isExportFormatError(error)) return fail(`${error.message}\nNothing was uploaded: ${name} was checked on this machine first.`);
    if (error instanceof ApiError) return fail(error.message);
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return fail(`There is no file ${file}.`);
    if (code === "EISDIR") return fail(`${file} is a folder; give the export's .zip or its conversations .json file.`);
    throw error;
  }
}

/** Logs in; creates the account first only when `--signup` asked for it, so a mistyped address never does. */
async function openSession(api: ApiClient, email: string, password: string, signup: boolean): Promise<string> {
  if (signup) {
    try {
      await api.signUp(email, password);
      return `Created the account ${email} and logged in.`;
    } catch (error) {
      if (!(error instanceof ApiError) || error.code !== "email_taken") throw error;
    }
  }
  try {
    await api.logIn(email, password);
  } catch (error) {
    if (!signup && error instanceof ApiError && error.code === "invalid_credentials") {
      throw new ApiError(error.status, error.code, `${error.message} If you have no account yet, add --signup to create one.`);
    }
    throw error;
  }
  return `Logged in as ${email}.`;
}

async function follow(api: ApiClient, uploadId: string, line: ProgressLine): Promise<UploadProgress> {
  for (;;) {
    const progress = await api.progress(uploadId);
    line.update(progress.progress_pct, progressLabel(progress));
    if (progress.status === "complete" || progress.status === "failed") return progress;
    await sleep(500);
  }
}

/** The words beside the progress bar: "reading the export, 3,026 exchanges so far, 1 chunk embedded". */
export function progressLabel(progress: Pick<UploadProgress, "phase" | "exchanges_found" | "chunks_done" | "chunks_total">): string {
  const detail =
    progress.phase === "embedding" ? ` ${progress.chunks_done} of ${progress.chunks_total} chunks`
    : progress.phase === "parsing" ? `, ${count(progress.exchanges_found, "exchange")} so far${progress.chunks_done > 0 ? `, ${count(progress.chunks_done, "chunk")} embedded` : ""}`
    : "";
  return `${PHASES[progress.phase] ?? progress.phase}${detail}`;
}

function describeCheck(name: string, checked: CheckedExport): string {
  const { summary, format } = checked;
  const source = format ? `a ${SOURCE_NAMES[format.source]} export` : "an export";
  const profiles = summary.profiles > 0 ? ` and ${count(summary.profiles, "profile fact")}` : "";
  return `Checked ${name}: ${source} with ${count(summary.exchanges, "exchange")} in ${count(summary.conversations, "conversation")}${profiles}${skippedNote(checked)}.`;
}

function skippedNote({ summary }: CheckedExport): string {
  const skipped = Object.entries(summary.skipped).map(([reason, n]) => `${n} ${reason.replaceAll("_", " ")}`);
  return skipped.length > 0 ? ` (left out: ${skipped.join(", ")})` : "";
}

function report(name: string, upload: UploadProgress, status: { vault: { node_count: number } } | undefined): number {
  if (upload.status === "failed") return fail(upload.error_message ?? "The upload failed.");
  process.stdout.write(
    `${JSON.stringify({ upload_id: upload.upload_id, status: upload.status, exchanges_found: upload.exchanges_found, profiles_found: upload.profiles_found, nodes_created: upload.nodes_created, nodes_deduplicated: upload.nodes_deduplicated })}\n`,
  );
  const took = typeof upload.timings.total_ms === "number" ? ` in ${seconds(upload.timings.total_ms)}` : "";
  const lines = [
    upload.duplicate_of
      ? `Nothing new: this exact file is already in your vault.`
      : `Added ${count(upload.nodes_created, "new memory", "new memories")} to your vault${took}; ${count(upload.nodes_deduplicated, "was", "were")} already there.`,
    `  ${name} held ${count(upload.exchanges_found, "exchange")} (a message you sent and the answer to it) and ${count(upload.profiles_found ?? 0, "profile fact")}`,
    `  (custom instructions, saved memories). Each one is a memory your AI can recall.`,
  ];
  if (status) lines.push(`Your vault now holds ${count(status.vault.node_count, "memory", "memories")}.`);
  process.stderr.write(`${lines.join("\n")}\n`);
  return 0;
}

function fail(message: string): number {
  process.stderr.write(`vault import: ${message}\n`);
  return 1;
}

function count(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString("en")} ${n === 1 ? one : many}`;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
