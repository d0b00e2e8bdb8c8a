/**
 * `vault parse <file>`: reads a chat export (the .zip or a JSON file) and prints one JSON record per line
 * on stdout, then the summary on stderr. Unusable input gets its plain-language message and exit code 1.
 */
import { once } from "node:events";
import { isExportFormatError, fileByteSource, readExport } from "../lib/exports";
import type { Invocation } from "./command-line";

/** Lines are batched into writes of about this size; stdout backpressure is honoured between batches. */
const WRITE_BATCH_CHARS = 64 * 1024;

export async function run({ values, operands }: Invocation<{ "include-do-not-remember": boolean; "summary-only": boolean }>): Promise<number> {
  // A closed pipe (`vault parse x | head`) is the reader of stdout saying it has seen enough.
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(0);
  });
  try {
    const reader = readExport(await fileByteSource(operands[0]!), { includeDoNotRemember: values["include-do-not-remember"] });
    const printing = !values["summary-only"];
    let batch = "";
    for await (const record of reader) {
      if (!printing) continue;
      batch += `${JSON.stringify(record)}\n`;
      if (batch.length >= WRITE_BATCH_CHARS) {
        await write(batch);
        batch = "";
      }
    }
    if (batch !== "") await write(batch);
    process.stderr.write(`${JSON.stringify({ summary: reader.summary })}\n`);
    return 0;
  } catch (error) {
    return report(error);
  }
}

async function write(text: string): Promise<void> {
  if (!process.stdout.write(text)) await once(process.stdout, "drain");
}

function report(error: unknown): number {
  if (isExportFormatError(error)) {
    process.stderr.write(`vault parse: ${error.message} (${error.code})\n`);
    return 1;
  }
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (code === "ENOENT" || code === "EISDIR" || code === "EACCES") {
    process.stderr.write(`vault parse: cannot read ${(error as NodeJS.ErrnoException).path ?? "the file"} (${code})\n`);
    return 1;
  }
  throw error;
}
