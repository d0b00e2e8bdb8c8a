import { fileByteSource, readExport, type ExportFormat, type ParseSummary } from "../lib/exports";

/** What the local reader found in a file, before anything is sent. */
export interface CheckedExport {
  format: ExportFormat | null;
  summary: ParseSummary;
}

/**
 * Reads the whole file with the same reader the pipeline uses, keeping only the counts, so a file that
 * is not a usable export is refused on this machine instead of after an upload. Rejects with the
 * reader's `ExportFormatError` (a message written for the person) when the file is unusable.
 * `onProgress` gets the bytes read so far, now and then.
 */
export async function checkExport(file: string, onProgress: (bytesRead: number) => void): Promise<CheckedExport> {
  const reader = readExport(await fileByteSource(file));
  let records = 0;
  for await (const _record of reader) {
    if (++records % 2000 === 0) onProgress(reader.summary.bytes_read);
  }
  onProgress(reader.summary.bytes_read);
  return { format: reader.format, summary: reader.summary };
}
