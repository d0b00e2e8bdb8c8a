import { spawnSync } from "node:child_process";
import path from "node:path";
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { defineCommand, parseCommandArgs, UsageError } from "../../cli/command-line";
import { COMMANDS } from "../../cli/commands";
import { formatBytes } from "../../lib/format-bytes";
import { createProgressLine } from "../../cli/progress-bar";

const VAULT = path.resolve(import.meta.dirname, "../../cli/vault.js");

function vault(...args: string[]) {
  return spawnSync(process.execPath, [VAULT, ...args], { encoding: "utf8" });
}

describe("vault --help", () => {
  it("lists every command of the table with every one of its options", () => {
    const { status, stdout } = vault("--help");

    expect(status).toBe(0);
    for (const [name, spec] of Object.entries(COMMANDS)) {
      expect(stdout).toContain(`vault ${name} `);
      for (const option of Object.keys(spec.options)) expect(stdout).toContain(`--${option}`);
    }
  });

  it("shows one command's usage, description and options with `vault <command> --help`", () => {
    const { status, stdout } = vault("import", "--help");

    expect(status).toBe(0);
    expect(stdout).toMatch(/^usage: vault import <file> \[options\]\n/);
    expect(stdout).toMatch(/--signup +create the account/);
    expect(stdout).toContain("--api <url>");
  });

  it("names an unknown command and the real ones, exit code 2", () => {
    const { status, stderr } = vault("imprt", "x.zip");

    expect(status).toBe(2);
    expect(stderr).toContain('there is no command "imprt". The commands are parse, import, search, export, tier set, chat, b2 setup;');
  });

  it("names an unknown option and points at the command's help, exit code 2", () => {
    const { status, stderr } = vault("import", "x.zip", "--emial", "me@example.com");

    expect(status).toBe(2);
    expect(stderr).toBe("vault import: Unknown option '--emial'.\nusage: vault import <file> [options]\n`vault import --help` lists the options.\n");
  });
});

describe("parseCommandArgs", () => {
  const spec = defineCommand({
    operands: "<file> [more...]",
    summary: "test",
    options: {
      name: { type: "string", description: "a name", env: "TEST_NAME", required: true },
      level: { type: "string", description: "a level", default: "low" },
      loud: { type: "boolean", description: "be loud" },
    },
    load: async () => ({ run: async () => 0 }),
  });

  it("takes options from the command line first, then the environment, then the default", () => {
    expect(parseCommandArgs(spec, ["a.zip", "--name", "given"], { TEST_NAME: "from env" })).toEqual({ values: { name: "given", level: "low", loud: false }, operands: ["a.zip"] });
    expect(parseCommandArgs(spec, ["a.zip", "b", "c", "--loud", "--level=high"], { TEST_NAME: "from env" })).toEqual({
      values: { name: "from env", level: "high", loud: true },
      operands: ["a.zip", "b", "c"],
    });
  });

  it("refuses a missing required option, naming its environment variable, and a missing operand", () => {
    expect(() => parseCommandArgs(spec, ["a.zip"], {})).toThrow(new UsageError("--name is required (or set TEST_NAME)."));
    expect(() => parseCommandArgs(spec, ["--name", "x"], {})).toThrow(new UsageError("Missing <file>."));
  });

  it("answers help before checking anything else", () => {
    expect(parseCommandArgs(spec, ["--help"], {})).toBe("help");
  });
});

describe("formatBytes", () => {
  it("shows small files in bytes and larger ones in binary units", () => {
    expect([formatBytes(0), formatBytes(1), formatBytes(312), formatBytes(4300), formatBytes(1_059_611), formatBytes(3 * 1024 ** 3)]).toEqual([
      "0 bytes",
      "1 byte",
      "312 bytes",
      "4.20 KB",
      "1.01 MB",
      "3.00 GB",
    ]);
  });
});

describe("progress line", () => {
  function captured() {
    const stream = Object.assign(new PassThrough(), { isTTY: false }) as unknown as NodeJS.WriteStream & PassThrough;
    let text = "";
    (stream as PassThrough).on("data", (chunk) => (text += chunk));
    return { stream, text: () => text };
  }

  it("never shows less than it has shown within a step, and starts again for the next step", () => {
    const out = captured();
    const line = createProgressLine(out.stream);

    line.update(100, "uploading 3 bytes of 3 bytes");
    line.update(0, "waiting");
    line.finish("Uploaded 3 bytes.");
    line.update(40, "embedding");
    line.update(10, "merging");

    expect(out.text().split("\n").filter(Boolean)).toEqual([
      "[##############################] 100% uploading 3 bytes of 3 bytes",
      "[##############################] 100% waiting",
      "Uploaded 3 bytes.",
      "[############------------------]  40% embedding",
      "[############------------------]  40% merging",
    ]);
  });
});
