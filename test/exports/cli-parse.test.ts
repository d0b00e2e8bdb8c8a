import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FIXTURES } from "./support/read-all";

const VAULT = join(import.meta.dirname, "../../cli/vault.js");

function vault(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [VAULT, ...args], { encoding: "utf8" });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("vault parse", () => {
  it("prints one JSON record per line on stdout and the summary on stderr", () => {
    const { status, stdout, stderr } = vault("parse", join(FIXTURES, "chatgpt/branches.json"));

    expect(status).toBe(0);
    expect(stdout.trim().split("\n").map((line) => JSON.parse(line).kind)).toEqual(["exchange", "exchange"]);
    expect(JSON.parse(stderr.trim()).summary).toMatchObject({ source: "openai", exchanges: 2 });
  });

  it("explains unusable input in one plain line and exits non-zero, without a stack trace", () => {
    const { status, stdout, stderr } = vault("parse", join(FIXTURES, "../exports/gemini"));

    expect(status).toBe(1);
    expect(stdout).toBe("");
    expect(stderr.trim().split("\n")).toHaveLength(1);
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it("rejects a file that is not an export with the reader's message", () => {
    const { status, stderr } = vault("parse", join(FIXTURES, "chatgpt/split/export_manifest.json"));

    expect(status).toBe(1);
    expect(stderr).toBe("vault parse: This file is not a chat export we recognise: expected ChatGPT, Claude, Grok or Gemini data. (unknown_format)\n");
  });

  it("prints usage and exits 2 without a file", () => {
    const { status, stderr } = vault("parse");

    expect(status).toBe(2);
    expect(stderr).toMatch(/^vault parse: Missing <file>.\nusage: vault parse <file>/);
  });
});
