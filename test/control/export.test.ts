import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import yauzl from "yauzl";
import { beforeAll, describe, expect, it } from "vitest";
import { getStore } from "../../lib/store/client";
import { objectBytes } from "../../lib/store/streams";
import { decodeNpy } from "../../lib/vectors/npy";
import { versionKeys } from "../../lib/vaults/versions";
import { readVault } from "../support/ingest";
import { useTestStack } from "../support/stack";
import { fillerConversations, importConversations, newUser, type TestUser } from "../search/support";

const ctx = useTestStack();
let alice: TestUser;
let bob: TestUser;

/** Every entry of a zip, inflated and checked against its CRC by yauzl. */
async function unzip(bytes: Buffer): Promise<Map<string, Buffer>> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) => yauzl.fromBuffer(bytes, { lazyEntries: true }, (error, file) => (error ? reject(error) : resolve(file!))));
  const entries = new Map<string, Buffer>();
  await new Promise<void>((resolve, reject) => {
    zip.on("entry", (entry: yauzl.Entry) => {
      zip.openReadStream(entry, async (error, stream) => {
        if (error) return reject(error);
        const chunks: Buffer[] = [];
        for await (const chunk of stream!) chunks.push(chunk as Buffer);
        entries.set(entry.fileName, Buffer.concat(chunks));
        zip.readEntry();
      });
    });
    zip.on("end", resolve);
    zip.on("error", reject);
    zip.readEntry();
  });
  return entries;
}

const exportVault = (token: string) => ctx.api.call("POST", "/api/personal/vault/export", { token, body: {} });

beforeAll(async () => {
  alice = await newUser(ctx.api, ctx.db, "alice", "free");
  bob = await newUser(ctx.api, ctx.db, "bob", "free");
  await importConversations(ctx.api, alice, [
    { id: "alice-bread", title: "Sourdough *starter*", turns: [["My starter smells of acetone", "Feed it more often.\nTwice a day."], ["How warm?", "About 24 °C."]] },
    ...fillerConversations("alice", 8, "bicycle repair"),
  ]);
  await importConversations(ctx.api, bob, [{ id: "bob-only", title: "Bob's secret", turns: [["bob private words", "kept"]] }]);
}, 180_000);

describe("POST /vault/export", () => {
  it("answers a short-lived link to a zip whose nodes.json and nodes.npy agree and match the vault", async () => {
    const answer = await exportVault(alice.token);
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    expect(Date.parse(answer.body.expires_at) - Date.now()).toBeGreaterThan(10 * 60_000);
    expect(Date.parse(answer.body.expires_at) - Date.now()).toBeLessThanOrEqual(15 * 60_000);

    const download = await fetch(answer.body.url);
    expect(download.status).toBe(200);
    const zip = await unzip(Buffer.from(await download.arrayBuffer()));
    expect([...zip.keys()].sort()).toEqual(["README.md", "clusters.json", "memories.md", "nodes.json", "nodes.npy"]);

    const vault = await readVault(ctx.db, alice.userId);
    const keys = versionKeys(vault.vault.prefix, vault.vault.current_version);
    const nodes = JSON.parse(zip.get("nodes.json")!.toString("utf8"));
    expect(nodes).toEqual(vault.nodes);
    const vectors = decodeNpy(zip.get("nodes.npy")!);
    expect(vectors.rows).toBe(nodes.length);
    expect(Buffer.compare(zip.get("nodes.npy")!, await objectBytes(getStore(), keys.vectors))).toBe(0);
    const clusters = JSON.parse(zip.get("clusters.json")!.toString("utf8"));
    expect(clusters.assignments).toHaveLength(nodes.length);
  });

  it("writes memories.md a person can read: each conversation under its title, turn by turn", async () => {
    const answer = await exportVault(alice.token);
    const zip = await unzip(Buffer.from(await (await fetch(answer.body.url)).arrayBuffer()));
    const markdown = zip.get("memories.md")!.toString("utf8");

    expect(markdown).toMatch(/^# Your memories\n/);
    expect(markdown).toContain("## Sourdough \\*starter\\*");
    expect(markdown).toMatch(/\*\*You\*\*[^\n]*:\n\nMy starter smells of acetone\n\n\*\*ChatGPT\*\*:\n\nFeed it more often.\nTwice a day.\n/);
    expect(markdown.indexOf("My starter smells of acetone")).toBeLessThan(markdown.indexOf("How warm?"));
    expect(markdown.match(/^## /gm)).toHaveLength(9);
    expect(zip.get("README.md")!.toString("utf8")).toContain("## nodes.npy");
  });

  it("builds the zip once per version and signs a new link each time", async () => {
    const first = await exportVault(alice.token);
    const second = await exportVault(alice.token);

    expect(second.body.bytes).toBe(first.body.bytes);
    expect(second.body.version).toBe(first.body.version);
    expect((await fetch(second.body.url)).status).toBe(200);
  });

  it("exports only the caller's own vault", async () => {
    const answer = await exportVault(bob.token);
    const zip = await unzip(Buffer.from(await (await fetch(answer.body.url)).arrayBuffer()));
    const text = [...zip.values()].map((bytes) => bytes.toString("latin1")).join("\n");

    expect(text).toContain("bob private words");
    expect(text).not.toContain("acetone");
    expect(text).not.toContain(alice.userId);
  });

  it("tells a person with an empty vault there is nothing to export", async () => {
    const carol = await newUser(ctx.api, ctx.db, "carol", "free");
    const answer = await exportVault(carol.token);

    expect(answer.status).toBe(409);
    expect(answer.body.error).toBe("vault_empty");
  });

  it("refuses a personal access token: an export hands out the whole vault, so it takes a log-in", async () => {
    const created = await ctx.api.call("POST", "/api/personal/tokens", { token: alice.token, body: { name: "script" } });
    const answer = await exportVault(created.body.token);

    expect(answer.status).toBe(403);
    expect(answer.body.error).toBe("token_not_allowed");
  });
});

describe("vault export", () => {
  it("downloads the zip to --out, the same vault the API exports", { timeout: 90_000 }, async () => {
    const folder = await mkdtemp(path.join(os.tmpdir(), "cogzy-export-cli-"));
    try {
      const out = path.join(folder, "vault.zip");
      const cli = path.resolve(import.meta.dirname, "../../cli/vault.js");
      const { stderr } = await promisify(execFile)(process.execPath, [cli, "export", "--out", out, "--email", alice.email, "--password", "a long enough passphrase", "--api", ctx.stack.apiUrl]);

      expect(stderr).toContain(`to ${out}`);
      const zip = await unzip(await readFile(out));
      expect(zip.get("memories.md")!.toString("utf8")).toContain("My starter smells of acetone");
      expect(JSON.parse(zip.get("nodes.json")!.toString("utf8"))).toEqual((await readVault(ctx.db, alice.userId)).nodes);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});
