import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateChatGptExport } from "../../bench/generate-export";
import { chatgptExport, conversations } from "../support/exports";
import { useTestStack } from "../support/stack";

const run = promisify(execFile);
const vault = path.resolve(import.meta.dirname, "../../cli/vault.js");
const context = useTestStack();
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "cogzy-cli-"));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function vaultImport(file: string, email: string, ...extra: string[]) {
  const args = [vault, "import", file, "--email", email, "--password", "a long enough passphrase", "--api", context.stack.apiUrl, ...extra];
  try {
    const { stdout, stderr } = await run(process.execPath, args);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

async function accountExists(email: string): Promise<boolean> {
  const { rowCount } = await context.db.query("SELECT 1 FROM personal.users WHERE email = $1", [email]);
  return rowCount === 1;
}

async function uploadsOf(email: string): Promise<number> {
  const { rows } = await context.db.query(
    "SELECT count(*)::int AS n FROM personal.vault_uploads u JOIN personal.vaults v ON v.id = u.vault_id JOIN personal.users p ON p.id = v.user_id WHERE p.email = $1",
    [email],
  );
  return rows[0].n;
}

// Each case starts the CLI in its own process (tsx compiles it on the way), twice in some cases.
describe("vault import", { timeout: 90_000 }, () => {
  it("with --signup creates the account, uploads, follows the phases and explains the counts", async () => {
    const file = path.join(dir, "conversations.json");
    await writeFile(file, chatgptExport(conversations("cli", 3)));

    const first = await vaultImport(file, "cli-user@example.com", "--signup");
    const again = await vaultImport(file, "cli-user@example.com");

    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toContain("Checked conversations.json: a ChatGPT export with 9 exchanges in 3 conversations.");
    expect(first.stderr).toContain("Created the account cli-user@example.com and logged in.");
    expect(first.stderr).toMatch(/Uploaded \d+(\.\d+)? (bytes|KB) in/);
    expect(first.stderr).toContain("Added 9 new memories to your vault");
    expect(first.stderr).toContain("9 exchanges (a message you sent and the answer to it)");
    expect(first.stderr).toContain("Your vault now holds 9 memories.");
    expect(JSON.parse(first.stdout)).toMatchObject({ status: "complete", exchanges_found: 9, nodes_created: 9 });
    expect(again.code).toBe(0);
    expect(again.stderr).toContain("Logged in as cli-user@example.com.");
    expect(JSON.parse(again.stdout)).toMatchObject({ nodes_created: 0, nodes_deduplicated: 9 });
  });

  it("never creates an account without --signup: a mistyped address is refused and nothing is uploaded", async () => {
    const file = path.join(dir, "typo.json");
    await writeFile(file, chatgptExport(conversations("typo", 1)));

    const result = await vaultImport(file, "cli-usr@example.com");

    expect(result.code).toBe(1);
    expect(result.stderr).toContain("The e-mail address or password is not right. If you have no account yet, add --signup to create one.");
    expect(await accountExists("cli-usr@example.com")).toBe(false);
  });

  it("refuses a file the local reader cannot use before contacting the API, and uploads nothing", async () => {
    const file = path.join(dir, "letter.json");
    await writeFile(file, "Dear diary, this is not an export.");

    const result = await vaultImport(file, "cli-letter@example.com", "--signup");

    expect(result.code).toBe(1);
    expect(result.stderr).toBe("vault import: This file is not a chat export: it is neither a .zip nor JSON data.\nNothing was uploaded: letter.json was checked on this machine first.\n");
    expect(await accountExists("cli-letter@example.com")).toBe(false);
  });

  it("uploads a large export in parts and completes the multipart upload", async () => {
    const file = path.join(dir, "big-conversations.json");
    const generated = await generateChatGptExport(file, 20 * 1024 * 1024, 7);

    const result = await vaultImport(file, "cli-big@example.com", "--signup");

    expect(result.code, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout);
    expect(summary.nodes_created).toBeGreaterThan(generated.conversations);
    const { rows } = await context.db.query("SELECT multipart_id, uploaded_bytes FROM personal.vault_uploads WHERE id = $1", [summary.upload_id]);
    expect(rows[0].multipart_id).not.toBeNull();
    expect(rows[0].uploaded_bytes).toBe(generated.bytes);
  }, 240_000); // 20 MB through the whole pipeline, checked locally first, on a shared 2-core machine

  it("exits non-zero on a wrong password and uploads nothing", async () => {
    const file = path.join(dir, "conversations.json");
    await vaultImport(file, "cli-pw@example.com", "--signup");
    const before = await uploadsOf("cli-pw@example.com");

    const result = await run(process.execPath, [vault, "import", file, "--email", "cli-pw@example.com", "--password", "not the right one", "--api", context.stack.apiUrl]).catch((error) => error);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain("The e-mail address or password is not right.");
    expect(await uploadsOf("cli-pw@example.com")).toBe(before);
  });
});
