import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { importConversations, newUser, type TestUser } from "../search/support";
import { uploadBytes, waitForUpload } from "../support/ingest";
import { useTestStack } from "../support/stack";

const run = promisify(execFile);
const vault = path.resolve(import.meta.dirname, "../../cli/vault.js");
const context = useTestStack();
let user: TestUser;

beforeAll(async () => {
  user = await newUser(context.api, context.db, "cli-search", "free");
  await importConversations(context.api, user, [
    { id: "cli-desk", title: "Walnut desk order", turns: [["My order ORD-88412 is late.", "Ask the shop about ORD-88412."]] },
    { id: "cli-bread", title: "Sourdough", turns: [["How often do I feed a starter?", "Once a day."]] },
  ]);
}, 120_000);

async function vaultCli(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run(process.execPath, [vault, ...args], { env: { ...process.env, ...env } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

// Each case starts the CLI in its own process (tsx compiles it on the way).
describe("vault search and vault tier set", { timeout: 90_000 }, () => {
  it("tells a free user search is premium, then finds the order once `tier set` made them premium", async () => {
    const login = ["--email", user.email, "--password", "a long enough passphrase", "--api", context.stack.apiUrl];

    const refused = await vaultCli(["search", "ORD-88412", ...login]);
    const promoted = await vaultCli(["tier", "set", user.email, "premium"], { DATABASE_URL: context.stack.databaseUrl });
    const found = await vaultCli(["search", "ORD-88412", "--k", "1", ...login]);
    const handedBack = await vaultCli(["tier", "set", user.email, "billing"], { DATABASE_URL: context.stack.databaseUrl });
    const refusedAgain = await vaultCli(["search", "ORD-88412", ...login]);

    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("Memory search is part of the Premium plan");
    expect(promoted).toMatchObject({ code: 0, stdout: `${user.email} is now on the premium plan until it is set again (Stripe events will not change it; \`billing\` hands it back).\n` });
    expect(found.code).toBe(0);
    expect(found.stdout).toMatch(/^ 1 {2}2023-11-14 {2}ChatGPT {2}Walnut desk order +My order ORD-88412 is late\./m);
    expect(found.stdout).toContain("https://chatgpt.com/c/cli-desk");
    expect(found.stdout).toContain("1 result from vault version 1");
    // No subscription behind them: handed back to billing, they are on the free plan again.
    expect(handedBack).toMatchObject({ code: 0, stdout: `${user.email} is now on the free plan, as their subscription decides.\n` });
    expect(refusedAgain.code).toBe(1);
  });

  it("searches with a personal access token and prints JSON on request", async () => {
    await context.db.query("UPDATE personal.user_tiers SET tier = 'premium' WHERE user_id = $1", [user.userId]);
    const token = (await context.api.call("POST", "/api/personal/tokens", { token: user.token, body: { name: "cli" } })).body.token;

    const answer = await vaultCli(["search", "feed", "a", "starter", "--json", "--api", context.stack.apiUrl], { VAULT_TOKEN: token });

    expect(answer.code).toBe(0);
    expect(JSON.parse(answer.stdout).results[0].conversation_id).toBe("cli-bread");
  });

  it("names a profile fact in words, not by the export field it came from", async () => {
    await context.db.query("UPDATE personal.user_tiers SET tier = 'premium' WHERE user_id = $1", [user.userId]);
    const uploadId = await uploadBytes(context.api, user.token, "conversations.json", await readFile(path.resolve(import.meta.dirname, "../fixtures/exports/chatgpt/hidden-and-tools.json")));
    expect((await waitForUpload(context.api, user.token, uploadId)).status).toBe("complete");

    const answer = await vaultCli(["search", "nurse", "in", "Porto", "--k", "1", "--email", user.email, "--password", "a long enough passphrase", "--api", context.stack.apiUrl]);

    expect(answer.code).toBe(0);
    expect(answer.stdout).toContain("Custom instructions: about you ");
    expect(answer.stdout).not.toContain("about_user");
  });

  it("refuses a tier that does not exist, and an address nobody has", async () => {
    const env = { DATABASE_URL: context.stack.databaseUrl };

    expect((await vaultCli(["tier", "set", user.email, "gold"], env)).code).toBe(2);
    const nobody = await vaultCli(["tier", "set", "nobody@example.com", "premium"], env);
    expect(nobody.code).toBe(1);
    expect(nobody.stderr).toBe("There is no user with the e-mail address nobody@example.com.\n");
  });
});
