/**
 * Chat-export import: reads ChatGPT, Claude, Grok and Gemini exports (bare JSON or the export zip) from
 * a byte source as a stream of exchange and profile records. See `readExport`.
 */
export { type ByteSource, bufferByteSource, fileByteSource } from "./byte-source";
export { type DigestingSource, digestingByteSource } from "./content-digest";
export { type ExportFormatErrorCode, ExportFormatError, isExportFormatError } from "./export-format-error";
export { type ExportFormat, type ExportReader, readExport } from "./export-reader";
export {
  DEFAULT_LIMITS,
  MAX_ATTACHMENT_TEXT_CHARS,
  type ExchangeAttachment,
  type ExchangeRecord,
  type ExportRecord,
  type ExportSource,
  type ParseSummary,
  type ProfileKind,
  type ProfileRecord,
  type ReadExportOptions,
  type ReadLimits,
} from "./records";
