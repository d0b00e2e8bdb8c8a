import { AppError } from "../errors";

/** Stable codes for an upload we cannot read; the ingest pipeline and the web page key off them. */
export type ExportFormatErrorCode =
  | "empty_file"
  | "not_json"
  | "invalid_json"
  | "truncated_json"
  | "too_deeply_nested"
  | "unknown_format"
  | "unsupported_archive"
  | "no_conversations"
  | "encrypted_zip"
  | "corrupt_zip"
  | "unsupported_zip"
  | "unsafe_zip"
  | "zip_too_large";

/**
 * The upload is not a chat export we can read. Status 422: the request was well formed, the file is not
 * usable, and the message is written for the person who uploaded it (so `expose` is true).
 */
export class ExportFormatError extends AppError {
  declare readonly code: ExportFormatErrorCode;

  constructor(code: ExportFormatErrorCode, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(code, message, { status: 422, ...options });
  }
}

/** True for the errors that mean "this upload is not a usable export" (as opposed to a bug or an outage). */
export function isExportFormatError(error: unknown): error is ExportFormatError {
  return error instanceof ExportFormatError;
}
