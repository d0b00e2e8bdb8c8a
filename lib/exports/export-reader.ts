import type { ByteSource } from "./byte-source";
import { readHead } from "./byte-source-reader";
import { ExportAssembler, WANTED_MEMBERS } from "./export-assembler";
import { ExportFormatError } from "./export-format-error";
import { readJsonElements } from "./json-elements";
import { DEFAULT_LIMITS, type ExportRecord, type ExportSource, type ParseSummary, type ReadExportOptions, type ReadLimits } from "./records";
import { openZip } from "./zip-archive";
import { planZipFiles, zipEntryRole } from "./zip-plan";

export interface ExportFormat {
  source: ExportSource;
  container: "json" | "zip";
}

/** Records of one export, read once, lazily: nothing is read until iteration starts. */
export interface ExportReader extends AsyncIterable<ExportRecord> {
  /** Counts so far; final once iteration has finished. */
  readonly summary: ParseSummary;
  /** Known once the first recognisable element has been read; null before. */
  readonly format: ExportFormat | null;
}

const ZIP_MAGIC = [Buffer.from("PK\u0003\u0004"), Buffer.from("PK\u0005\u0006")];
const OTHER_ARCHIVES: Array<{ magic: Buffer; name: string }> = [
  { magic: Buffer.from([0x1f, 0x8b]), name: "gzip" },
  { magic: Buffer.from("7z\xbc\xaf\x27\x1c", "latin1"), name: "7-Zip" },
  { magic: Buffer.from("Rar!"), name: "RAR" },
];

/**
 * Reads a ChatGPT, Claude, Grok or Gemini export (a bare JSON file or the export's zip) as a stream of
 * records. The format is detected from the content; the name is only a hint. Memory stays bounded by
 * the largest single conversation, whatever the size of the export.
 *
 * Iteration rejects with {@link ExportFormatError} when the upload is unusable (not JSON, truncated,
 * empty, unknown, no conversations, an encrypted, corrupt or unsafe zip); odd records inside a usable
 * export are skipped and counted in `summary.skipped` instead.
 *
 * @example
 * const reader = readExport(await fileByteSource("conversations.json"));
 * for await (const record of reader) store(record);
 * console.log(reader.summary);
 */
export function readExport(source: ByteSource, options: ReadExportOptions = {}): ExportReader {
  const limits: ReadLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const assembler = new ExportAssembler({
    includeDoNotRemember: options.includeDoNotRemember ?? false,
    geminiSessionGapMs: (options.geminiSessionGapMinutes ?? 30) * 60_000,
  });
  let container: ExportFormat["container"] | null = null;
  let started = false;
  const records = async function* (): AsyncGenerator<ExportRecord> {
    const head = await readHead(source, 8);
    checkContainer(source, head);
    container = isZip(head) ? "zip" : "json";
    yield* container === "zip" ? readZipExport(source, assembler, limits) : readJsonExport(source, assembler, limits);
    assembler.finish();
  };
  return {
    summary: assembler.summary,
    get format() {
      const detected = assembler.summary.source;
      return detected === null || container === null ? null : { source: detected, container };
    },
    [Symbol.asyncIterator]() {
      if (started) throw new Error("readExport: an ExportReader can be iterated only once");
      started = true;
      return records();
    },
  };
}

function checkContainer(source: ByteSource, head: Buffer): void {
  if (source.size === 0) throw new ExportFormatError("empty_file", "This file is empty.");
  const archive = OTHER_ARCHIVES.find(({ magic }) => head.subarray(0, magic.length).equals(magic));
  if (archive !== undefined) {
    throw new ExportFormatError(
      "unsupported_archive",
      `This is a ${archive.name} archive. Upload the export .zip exactly as you downloaded it, or the conversations.json inside it.`,
    );
  }
}

function isZip(head: Buffer): boolean {
  return ZIP_MAGIC.some((magic) => head.subarray(0, magic.length).equals(magic));
}

async function* readJsonExport(source: ByteSource, assembler: ExportAssembler, limits: ReadLimits): AsyncGenerator<ExportRecord> {
  const { summary } = assembler;
  assembler.startDocument(source.name, true);
  const onBytes = (bytes: number): void => {
    summary.bytes_read += bytes;
    summary.json_bytes += bytes;
  };
  for await (const element of readJsonElements(source.createReadStream(), { limits, wantKey: (key) => WANTED_MEMBERS.has(key), onKey: assembler.noteMember, onBytes })) {
    yield* assembler.accept(element);
  }
  yield* assembler.endDocument();
}

async function* readZipExport(source: ByteSource, assembler: ExportAssembler, limits: ReadLimits): AsyncGenerator<ExportRecord> {
  const { summary } = assembler;
  const archive = await openZip(source, {
    limits,
    wanted: (name) => zipEntryRole(name) !== null,
    onBytes: (bytes) => (summary.bytes_read += bytes),
  });
  try {
    const byName = new Map(archive.members.map((member) => [member.name, member]));
    for (const file of planZipFiles([...byName.keys()])) {
      assembler.startDocument(file.name, file.strict);
      const chunks = archive.open(byName.get(file.name)!);
      const onBytes = (bytes: number): void => void (summary.json_bytes += bytes);
      try {
        for await (const element of readJsonElements(chunks, { limits, wantKey: (key) => WANTED_MEMBERS.has(key), onKey: assembler.noteMember, onBytes })) {
          yield* assembler.accept(element);
        }
      } catch (error) {
        throw inZipEntry(error, file.name);
      }
      yield* assembler.endDocument();
    }
  } finally {
    archive.close();
  }
}

/** A JSON problem inside a zip names the file, so "this file is empty" is not read as "the zip is empty". */
function inZipEntry(error: unknown, name: string): unknown {
  if (!(error instanceof ExportFormatError) || error.code.endsWith("_zip")) return error;
  const message = `${name}: ${error.message}`;
  return new ExportFormatError(error.code, message, { cause: error.cause, details: { ...error.details, entry: name } });
}
