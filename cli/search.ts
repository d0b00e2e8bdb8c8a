/**
 * `vault search "<query>"`: searches the vault through the public API (`GET /api/personal/vault/search`)
 * and prints a table: rank, date, source, title and the snippet with the matched words in bold on a
 * terminal, then each memory's id and link. `--json` prints the API's answer instead.
 */
import { ApiError, createApiClient } from "./api-client";
import type { Invocation } from "./command-line";
import type { ExportSource, MemoryResult } from "../lib/api/contract";
import { profileTitle } from "../lib/exports/profile-title";
import { sourceName } from "../lib/exports/source-names";


type SearchValues = {
  k: string;
  source: string | undefined;
  from: string | undefined;
  to: string | undefined;
  token: string | undefined;
  email: string | undefined;
  password: string | undefined;
  api: string;
  json: boolean;
};

export async function run({ values, operands }: Invocation<SearchValues>): Promise<number> {
  const query = operands.join(" ").trim();
  const api = createApiClient(values.api);
  try {
    if (values.token) api.useToken(values.token);
    else if (values.email && values.password) await api.logIn(values.email, values.password);
    else {
      process.stderr.write("vault search: give --token (or VAULT_TOKEN), or --email and --password (or VAULT_EMAIL and VAULT_PASSWORD).\n");
      return 2;
    }
    // The server checks each option and answers a bad one with a sentence naming it.
    const found = await api.search({ q: query, k: Number(values.k), source: values.source as ExportSource | undefined, from: values.from, to: values.to });
    if (values.json) process.stdout.write(`${JSON.stringify(found, null, 2)}\n`);
    else process.stdout.write(formatTable(found.results, { version: found.version, tookMs: found.took_ms, color: process.stdout.isTTY === true }));
    return 0;
  } catch (error) {
    if (error instanceof ApiError) {
      process.stderr.write(`${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

/** The results as a fixed-width table; `**bold**` becomes terminal bold, or plain text off a terminal. */
export function formatTable(results: MemoryResult[], info: { version: number; tookMs: number; color: boolean }): string {
  if (results.length === 0) return info.version === 0 ? "Your vault is empty: import an export first (vault import <file>).\n" : "No memories match.\n";
  const bold = (text: string) => text.replace(/\*\*(.+?)\*\*/g, info.color ? "\u001b[1m$1\u001b[22m" : "$1");
  const lines = [`${"#".padStart(2)}  ${"date".padEnd(10)}  ${"source".padEnd(7)}  ${"title".padEnd(32)}  snippet`];
  results.forEach((memory, index) => {
    const title = memory.kind === "profile" ? profileTitle(memory) : memory.conversation_title ?? "(untitled)";
    lines.push(
      `${String(index + 1).padStart(2)}  ${(memory.created_at ?? "").slice(0, 10).padEnd(10)}  ${(sourceName(memory.source) ?? memory.source).padEnd(7)}  ${clip(title, 32).padEnd(32)}  ${bold(memory.snippet)}`,
    );
    lines.push(`${" ".repeat(60)}id ${memory.id}${memory.source_url ? `  ${memory.source_url}` : ""}`);
  });
  lines.push(`${results.length} result${results.length === 1 ? "" : "s"} from vault version ${info.version} in ${info.tookMs} ms`);
  return `${lines.join("\n")}\n`;
}

function clip(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}
