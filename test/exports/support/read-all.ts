import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  type ExchangeRecord,
  type ExportRecord,
  type ParseSummary,
  type ProfileRecord,
  type ReadExportOptions,
  bufferByteSource,
  readExport,
} from "../../../lib/exports";
import { type ZipEntrySpec, buildZip } from "./zip-writer";

export const FIXTURES = join(import.meta.dirname, "../../fixtures/exports");

export function fixtureText(path: string): string {
  return readFileSync(join(FIXTURES, path), "utf8");
}

export interface ReadResult {
  records: ExportRecord[];
  exchanges: ExchangeRecord[];
  profiles: ProfileRecord[];
  summary: ParseSummary;
}

/** Reads an export held in memory to the end; `chunkBytes` puts stream chunk boundaries anywhere. */
export async function readBytes(name: string, bytes: Uint8Array | string, options: ReadExportOptions & { chunkBytes?: number } = {}): Promise<ReadResult> {
  const { chunkBytes, ...readOptions } = options;
  const data = typeof bytes === "string" ? Buffer.from(bytes) : bytes;
  const reader = readExport(bufferByteSource(name, data, chunkBytes === undefined ? {} : { chunkBytes }), readOptions);
  const records: ExportRecord[] = [];
  for await (const record of reader) records.push(record);
  return {
    records,
    exchanges: records.filter((record): record is ExchangeRecord => record.kind === "exchange"),
    profiles: records.filter((record): record is ProfileRecord => record.kind === "profile"),
    summary: reader.summary,
  };
}

export function readFixture(path: string, options: ReadExportOptions & { chunkBytes?: number } = {}): Promise<ReadResult> {
  return readBytes(path, readFileSync(join(FIXTURES, path)), options);
}

/** Zips fixture files under the given entry names, e.g. `{ "conversations.json": "claude/conversations.json" }`. */
export function zipOfFixtures(entries: Record<string, string>, extra: ZipEntrySpec[] = []): Buffer {
  const specs = Object.entries(entries).map(([name, path]) => ({ name, data: readFileSync(join(FIXTURES, path)) }));
  return buildZip([...specs, ...extra]);
}

/** The error a read rejects with (fails the test if it resolves). */
export async function readError(name: string, bytes: Uint8Array | string, options: ReadExportOptions = {}): Promise<unknown> {
  try {
    await readBytes(name, bytes, options);
  } catch (error) {
    return error;
  }
  throw new Error("expected the read to fail");
}
