/**
 * `vault import <file> [--email E --password P] [--api URL]`: uploads an export through the public API
 * exactly as the web page does (log in or sign up, request the upload, PUT to the presigned URL or its
 * parts, poll progress) and shows the pipeline's phases. Exit 0 once the upload is complete; non-zero
 * with the server's message when it fails.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { stat } from "node:fs/promises";
import { basename } from "node:path";
import { parseArgs } from "node:util";
import { ApiError, createApiClient, type UploadProgress } from "./api-client";
import { createProgressLine } from "./progress-bar";
import { sendFile } from "./send-file";

const USAGE = `usage: vault import <file> [--email E] [--password P] [--api URL]

  Uploads a ChatGPT, Claude, Grok or Gemini export into your vault and follows it until it is merged.
  --email, --password   your account (or VAULT_EMAIL, VAULT_PASSWORD); signs up if there is none yet
  --api                 the API to talk to (or VAULT_API; default http://localhost:3000)
`;

const PHASES: Record<string, string> = {
  awaiting_upload: "waiting for the file",
  queued: "queued",
  parsing: "reading the export",
  embedding: "embedding",
  merging: "adding to your vault",
  done: "done",
};

export async function run(args: string[]): Promise<number> {
  let options;
  try {
    options = parseArgs({ args, allowPositionals: true, options: { email: { type: "string" }, password: { type: "string" }, api: { type: "string" }, help: { type: "boolean" } } });
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = options;
  const email = values.email ?? process.env.VAULT_EMAIL;
  const password = values.password ?? process.env.VAULT_PASSWORD;
  if (values.help || positionals.length !== 1 || !email || !password) {
    process.stderr.write(USAGE);
    return values.help ? 0 : 2;
  }
  const file = positionals[0]!;
  const api = createApiClient(values.api ?? process.env.VAULT_API ?? "http://localhost:3000");
  const bar = createProgressLine();
  try {
    const size = (await stat(file)).size;
    const account = await api.logInOrSignUp(email, password);
    process.stderr.write(`${account === "signed-up" ? "Signed up" : "Logged in"} as ${email}\n`);
    const target = await api.requestUpload(basename(file), size);
    const parts = await sendFile(file, size, target, (sent) => bar.update((sent / size) * 100, `uploading ${formatBytes(sent)} of ${formatBytes(size)}`));
    if (target.method === "multipart") await api.completeUpload(target.upload_id, parts);
    bar.done();
    const final = await follow(api, target.upload_id, bar);
    bar.done();
    return report(final);
  } catch (error) {
    bar.done();
    if (error instanceof ApiError) {
      process.stderr.write(`vault import: ${error.message}\n`);
      return 1;
    }
    const code = (error as NodeJS.ErrnoException).code;
    process.stderr.write(`vault import: ${code === "ENOENT" ? `no such file: ${file}` : (error as Error).message}\n`);
    return 1;
  }
}

async function follow(api: ReturnType<typeof createApiClient>, uploadId: string, bar: ReturnType<typeof createProgressLine>): Promise<UploadProgress> {
  for (;;) {
    const progress = await api.progress(uploadId);
    const detail = progress.phase === "embedding" ? ` ${progress.chunks_done}/${progress.chunks_total} chunks` : progress.phase === "parsing" ? ` ${progress.exchanges_found} exchanges` : "";
    bar.update(progress.progress_pct, `${PHASES[progress.phase] ?? progress.phase}${detail}`);
    if (progress.status === "complete" || progress.status === "failed") return progress;
    await sleep(500);
  }
}

function report(upload: UploadProgress): number {
  if (upload.status === "failed") {
    process.stderr.write(`vault import: ${upload.error_message ?? "the upload failed"}\n`);
    return 1;
  }
  const seconds = typeof upload.timings.total_ms === "number" ? ` in ${(upload.timings.total_ms / 1000).toFixed(1)} s` : "";
  const duplicate = upload.duplicate_of ? " (this exact file was already in your vault)" : "";
  process.stdout.write(
    `${JSON.stringify({ upload_id: upload.upload_id, status: upload.status, exchanges_found: upload.exchanges_found, nodes_created: upload.nodes_created, nodes_deduplicated: upload.nodes_deduplicated })}\n`,
  );
  process.stderr.write(`Added ${upload.nodes_created} memories, skipped ${upload.nodes_deduplicated} already in your vault${duplicate}${seconds}.\n`);
  return 0;
}

function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : `${(bytes / 1024).toFixed(0)} KB`;
}
