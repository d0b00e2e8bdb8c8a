/**
 * `npm run bench:parse`: how fast, and in how much memory, the export reader parses large exports, next
 * to the obvious baseline (`readFile` + `JSON.parse`) in the same run.
 *
 * Inputs are generated once into the git-ignored bench/out/ (see generate-export.ts): a ~600 MB ChatGPT
 * conversations.json, a ~200 MB Claude export zip, and a ~300 MB ChatGPT file small enough for the
 * baseline (V8 cannot make a string over ~512 MB, so the baseline cannot read the 600 MB file at all).
 * Each case runs in its own child process, so peak RSS (`process.resourceUsage().maxRSS`) is that case's
 * alone; the streaming reader also runs on the baseline's file, for a like-for-like ratio.
 *
 *   npm run bench:parse [-- --chatgpt-mb 600 --claude-mb 200 --baseline-mb 300]
 */
import { execFileSync } from "node:child_process";
import { stat } from "node:fs/promises";
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { fileByteSource, readExport } from "../lib/exports";
import { generateChatGptExport, generateClaudeExport } from "./generate-export";

const MB = 1024 * 1024;
const OUT = join(import.meta.dirname, "out");

interface Measurement {
  seconds: number;
  fileBytes: number;
  jsonBytes: number;
  exchanges: number | null;
  conversations: number;
  peakRssMb: number;
}

type Mode = "stream" | "baseline";

/** Runs in the child: one case, then one JSON line on stdout. */
async function measure(mode: Mode, file: string): Promise<Measurement> {
  const fileBytes = (await stat(file)).size;
  const started = process.hrtime.bigint();
  let exchanges: number | null = null;
  let conversations: number;
  let jsonBytes = fileBytes;
  if (mode === "baseline") {
    const parsed = JSON.parse(await readFile(file, "utf8")) as unknown[];
    conversations = parsed.length;
  } else {
    const reader = readExport(await fileByteSource(file));
    for await (const _record of reader) {
      // Records are consumed and dropped, as the ingest pipeline hands each one on.
    }
    exchanges = reader.summary.exchanges;
    conversations = reader.summary.conversations;
    jsonBytes = reader.summary.json_bytes;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { seconds, fileBytes, jsonBytes, exchanges, conversations, peakRssMb: process.resourceUsage().maxRSS / 1024 };
}

function runChild(mode: Mode, file: string): Measurement {
  const script = fileURLToPath(import.meta.url);
  const output = execFileSync(process.execPath, ["--import", "tsx", script, "--child", mode, file], { encoding: "utf8", maxBuffer: MB });
  return JSON.parse(output.trim().split("\n").at(-1)!) as Measurement;
}

async function ensureInput(name: string, targetBytes: number, generate: (path: string, bytes: number) => Promise<unknown>): Promise<string> {
  const path = join(OUT, name);
  const existing = await stat(path).catch(() => null);
  if (existing === null) {
    process.stderr.write(`generating ${name} (${Math.round(targetBytes / MB)} MB)…\n`);
    await generate(path, targetBytes);
  }
  return path;
}

function option(argv: string[], name: string, fallback: number): number {
  const index = argv.indexOf(name);
  return index === -1 ? fallback : Number(argv[index + 1]);
}

function row(label: string, m: Measurement): string {
  const mbPerSecond = m.jsonBytes / MB / m.seconds;
  const exchangesPerSecond = m.exchanges === null ? "—" : Math.round(m.exchanges / m.seconds).toLocaleString("en");
  return [
    label.padEnd(44),
    (m.jsonBytes / MB).toFixed(0).padStart(6),
    m.seconds.toFixed(2).padStart(8),
    mbPerSecond.toFixed(1).padStart(8),
    exchangesPerSecond.padStart(12),
    m.peakRssMb.toFixed(0).padStart(9),
  ].join("  ");
}

async function main(argv: string[]): Promise<void> {
  await mkdir(OUT, { recursive: true });
  const chatGptMb = option(argv, "--chatgpt-mb", 600);
  const claudeMb = option(argv, "--claude-mb", 200);
  const baselineMb = option(argv, "--baseline-mb", 300);
  const chatGpt = await ensureInput(`chatgpt-${chatGptMb}mb.json`, chatGptMb * MB, (path, bytes) => generateChatGptExport(path, bytes, 1));
  const baselineFile = await ensureInput(`chatgpt-${baselineMb}mb.json`, baselineMb * MB, (path, bytes) => generateChatGptExport(path, bytes, 3));
  const claude = await ensureInput(`claude-${claudeMb}mb.zip`, claudeMb * MB, (path, bytes) => generateClaudeExport(path, bytes, 2));

  const cases: Array<[string, Mode, string]> = [
    [`stream: ChatGPT conversations.json`, "stream", chatGpt],
    [`stream: Claude export zip (JSON MB inflated)`, "stream", claude],
    [`stream: ChatGPT, baseline's file`, "stream", baselineFile],
    [`baseline: readFile + JSON.parse, same file`, "baseline", baselineFile],
  ];
  process.stdout.write(`${["case".padEnd(44), "MB".padStart(6), "seconds".padStart(8), "MB/s".padStart(8), "exchanges/s".padStart(12), "peak RSS".padStart(9)].join("  ")}\n`);
  const results: Measurement[] = [];
  for (const [label, mode, file] of cases) {
    const measurement = runChild(mode, file);
    results.push(measurement);
    process.stdout.write(`${row(label, measurement)}\n`);
  }
  const [, , streamSame, baseline] = results as [Measurement, Measurement, Measurement, Measurement];
  const speed = streamSame.jsonBytes / streamSame.seconds / (baseline.jsonBytes / baseline.seconds);
  const memory = streamSame.peakRssMb / baseline.peakRssMb;
  const verdict = speed >= 1 && memory <= 0.25 ? "meets" : "misses";
  process.stdout.write(
    `\nstreaming vs baseline on the same ${Math.round(baseline.jsonBytes / MB)} MB file: ${speed.toFixed(2)}x the MB/s at ${(memory * 100).toFixed(0)}% of the peak RSS ` +
      `(${verdict} the target: >= 1x the MB/s at <= 25% of the memory)\n`,
  );
}

const [flag, mode, file] = process.argv.slice(2);
if (flag === "--child") {
  process.stdout.write(`${JSON.stringify(await measure(mode as Mode, file!))}\n`);
} else {
  await main(process.argv.slice(2));
}
