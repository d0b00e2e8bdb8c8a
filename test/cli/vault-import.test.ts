import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateChatGptExport } from "../../bench/generate-export";
import { chatgptExport, conversations } from "../support/exports";
import { startTestStack } from "../support/stack";

const run = promisify(execFile);
const vault = path.resolve(import.meta.dirname, "../../cli/vault.js");

let stack: Awaited<ReturnType<typeof startTestStack>>;
let db: pg.Pool;
let dir: string;

beforeAll(async () => {
  stack = await startTestStack();
  db = new pg.Pool({ connectionString: stack.databaseUrl, max: 2 });
  dir = await mkdtemp(path.join(os.tmpdir(), "cogzy-cli-"));
});

afterAll(async () => {
  await db?.end();
  await stack?.cleanup();
  await rm(dir, { recursive: true, force: true });
});

async function vaultImport(file: string, email: string, password = "a long enough passphrase") {
  try {
    const { stdout, stderr } = await run(process.execPath, [vault, "import", file, "--email", email, "--password", password, "--api", stack.apiUrl]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe("vault import", () => {
  it("signs up, uploads through the presigned URL, follows the phases and exits 0", async () => {
    const file = path.join(dir, "conversations.json");
    await writeFile(file, chatgptExport(conversations("cli", 3)));

    const first = await vaultImport(file, "cli-user@example.com");
    const again = await vaultImport(file, "cli-user@example.com");

    expect(first.code).toBe(0);
    expect(first.stderr).toContain("Signed up as cli-user@example.com");
    expect(first.stderr).toMatch(/embedding|adding to your vault|done/);
    expect(JSON.parse(first.stdout)).toMatchObject({ status: "complete", nodes_created: 9 });
    expect(again.code).toBe(0);
    expect(again.stderr).toContain("Logged in as cli-user@example.com");
    expect(JSON.parse(again.stdout)).toMatchObject({ nodes_created: 0, nodes_deduplicated: 9 });
  });

  it("uploads a large export in parts and completes the multipart upload", async () => {
    const file = path.join(dir, "big-conversations.json");
    const generated = await generateChatGptExport(file, 20 * 1024 * 1024, 7);

    const result = await vaultImport(file, "cli-big@example.com");

    expect(result.code, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout);
    expect(summary.nodes_created).toBeGreaterThan(generated.conversations);
    const { rows } = await db.query("SELECT multipart_id, uploaded_bytes FROM personal.vault_uploads WHERE id = $1", [summary.upload_id]);
    expect(rows[0].multipart_id).not.toBeNull();
    expect(rows[0].uploaded_bytes).toBe(generated.bytes);
    // 20 MB through the whole pipeline: over 30 s when the shared machine is busy.
  }, 90_000);

  it("exits non-zero with the server's message when the upload fails", async () => {
    const file = path.join(dir, "letter.json");
    await writeFile(file, "Dear diary, this is not an export.");

    const result = await vaultImport(file, "cli-user@example.com");

    expect(result.code).toBe(1);
    expect(result.stderr).toContain("vault import: This file is not a chat export");
  });

  it("exits non-zero on a wrong password", async () => {
    const file = path.join(dir, "conversations.json");
    const result = await vaultImport(file, "cli-user@example.com", "not the right passphrase");

    expect(result.code).toBe(1);
    expect(result.stderr).toContain("The e-mail address or password is not right.");
  });
});
