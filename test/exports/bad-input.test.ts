import { describe, expect, it } from "vitest";
import { ExportFormatError } from "../../lib/exports";
import { AppError } from "../../lib/errors";
import { buildZip } from "./support/zip-writer";
import { fixtureText, readError } from "./support/read-all";

async function codeOf(name: string, bytes: Uint8Array | string): Promise<string> {
  const error = await readError(name, bytes);
  if (!(error instanceof ExportFormatError)) throw error;
  return error.code;
}

describe("unusable uploads", () => {
  it("reject with an ExportFormatError that the HTTP layer shows as a 422 with a plain message", async () => {
    const error = await readError("conversations.json", "");

    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: "empty_file", status: 422, expose: true, message: "This file is empty." });
  });

  it.each([
    ["an empty file", "conversations.json", "", "empty_file"],
    ["whitespace only", "conversations.json", "\n\n  ", "empty_file"],
    ["plain text", "notes.txt", "Dear diary, today I chatted.", "not_json"],
    ["chat.html", "chat.html", "<!DOCTYPE html><html><body>chats</body></html>", "not_json"],
    ["a download cut off", "conversations.json", fixtureText("chatgpt/branches.json").slice(0, 900), "truncated_json"],
    ["damage in the middle", "conversations.json", fixtureText("chatgpt/branches.json").replace('"mapping": {', '"mapping": {{'), "invalid_json"],
    ["an unrelated JSON array", "data.json", JSON.stringify(Array.from({ length: 20 }, (_, i) => ({ sku: i, price: 3 }))), "unknown_format"],
    ["an unrelated JSON object", "package.json", JSON.stringify({ name: "x", version: "1.0.0", dependencies: {} }), "unknown_format"],
    ["a JSON number", "n.json", "12", "unknown_format"],
    ["an empty conversations array", "conversations.json", "[]", "no_conversations"],
    ["an empty wrapper", "conversations.json", `{"conversations": []}`, "no_conversations"],
    ["a gzip file", "conversations.json.gz", Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0]), "unsupported_archive"],
    ["pathologically deep nesting", "conversations.json", `[${"[".repeat(10_000)}${"]".repeat(10_000)}]`, "too_deeply_nested"],
  ])("%s is %s", async (_what, name, bytes, code) => {
    await expect(codeOf(name, bytes)).resolves.toBe(code);
  });

  it("names the zip entry a JSON problem was found in", async () => {
    const zip = buildZip([{ name: "conversations.json", data: "[{" }]);

    const error = await readError("export.zip", zip);

    expect(error).toMatchObject({ code: "truncated_json", details: { entry: "conversations.json" } });
    expect((error as Error).message).toMatch(/^conversations\.json: /);
  });
});

describe("zip safety", () => {
  const conversations = fixtureText("chatgpt/branches.json");

  it.each([
    ["a zip without any conversations file", buildZip([{ name: "user.json", data: "{}" }, { name: "dalle-generations/a.webp", data: "RIFF" }]), "no_conversations"],
    ["an empty zip", buildZip([]), "no_conversations"],
    ["a password-protected zip", buildZip([{ name: "conversations.json", data: conversations, encrypted: true, method: "store" }]), "encrypted_zip"],
    ["a zip cut in half", buildZip([{ name: "conversations.json", data: conversations }]).subarray(0, 300), "corrupt_zip"],
    ["a zip whose data fails its checksum", buildZip([{ name: "conversations.json", data: conversations, declaredCrc: 1234 }]), "corrupt_zip"],
    ["random bytes after a zip signature", Buffer.concat([Buffer.from("PK\u0003\u0004"), Buffer.alloc(200, 7)]), "corrupt_zip"],
    ["an entry that climbs out with ..", buildZip([{ name: "../../etc/conversations.json", data: conversations }]), "unsafe_zip"],
    ["an entry with an absolute path", buildZip([{ name: "/tmp/conversations.json", data: conversations }]), "unsafe_zip"],
    ["a Windows drive path", buildZip([{ name: "C:\\conversations.json", data: conversations }]), "unsafe_zip"],
    ["an entry that inflates to more than it declares", buildZip([{ name: "conversations.json", data: `[${" ".repeat(100_000)}]`, declaredSize: 100 }]), "corrupt_zip"],
  ])("%s is %s", async (_what, zip, code) => {
    await expect(codeOf("export.zip", zip)).resolves.toBe(code);
  });

  it("refuses a zip bomb by its compression ratio before inflating it", async () => {
    const bomb = buildZip([{ name: "conversations.json", data: `[${" ".repeat(64 * 1024 * 1024)}]` }]);

    const started = Date.now();
    const code = await codeOf("export.zip", bomb);

    expect(code).toBe("zip_too_large");
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it("refuses more decompressed data than the limit allows", async () => {
    const zip = buildZip([{ name: "conversations.json", data: conversations }]);

    const error = await readError("export.zip", zip, { limits: { maxDecompressedBytes: 1000 } });

    expect(error).toMatchObject({ code: "zip_too_large" });
  });

  it("refuses more entries than the limit allows", async () => {
    const zip = buildZip(Array.from({ length: 20 }, (_, i) => ({ name: `file-${i}.dat`, data: "x" })));

    const error = await readError("export.zip", zip, { limits: { maxZipEntries: 10 } });

    expect(error).toMatchObject({ code: "zip_too_large" });
  });
});
