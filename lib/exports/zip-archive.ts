import { crc32 } from "node:zlib";
import yauzl from "yauzl";
import type { ByteSource } from "./byte-source";
import { ByteSourceReader, isByteSourceError } from "./byte-source-reader";
import { ExportFormatError } from "./export-format-error";
import type { ReadLimits } from "./records";

export interface ZipMember {
  name: string;
  entry: yauzl.Entry;
}

export interface ZipArchive {
  /** The entries `wanted` chose, in central-directory order. */
  members: ZipMember[];
  /** Every entry's name is checked, but only wanted entries are kept: a photo-heavy export has thousands. */
  entryCount: number;
  /** Decompressed bytes of one member, checked against its CRC-32 at the end. */
  open(member: ZipMember): AsyncGenerator<Buffer>;
  close(): void;
}

/**
 * Opens a zip through ranges of the byte source and applies the safety rules before any entry is
 * decompressed: entry count, unsafe names (absolute, `..`), encryption, compression ratio and total
 * decompressed size. yauzl validates names and that each entry inflates to exactly its declared size.
 */
export async function openZip(
  source: ByteSource,
  options: { limits: ReadLimits; wanted: (name: string) => boolean; onBytes: (bytes: number) => void },
): Promise<ZipArchive> {
  const { limits } = options;
  const reader = new ByteSourceReader(source, options.onBytes);
  const zipfile = await asZipError(
    yauzl.fromRandomAccessReaderPromise(reader, source.size, { lazyEntries: true, autoClose: false, validateEntrySizes: true, strictFileNames: false }),
  );
  try {
    if (zipfile.entryCount > limits.maxZipEntries) {
      throw new ExportFormatError("zip_too_large", `This zip holds ${zipfile.entryCount} files, more than the ${limits.maxZipEntries} we accept.`);
    }
    const members: ZipMember[] = [];
    await asZipError(
      (async () => {
        for await (const entry of zipfile.eachEntry()) {
          if (!entry.fileName.endsWith("/") && options.wanted(entry.fileName)) members.push({ name: entry.fileName, entry });
        }
      })(),
    );
    checkMembers(members, limits);
    return {
      members,
      entryCount: zipfile.entryCount,
      open: (member) => entryChunks(zipfile, member),
      close: () => zipfile.close(),
    };
  } catch (error) {
    zipfile.close();
    throw error;
  }
}

function checkMembers(members: ZipMember[], limits: ReadLimits): void {
  let total = 0;
  for (const { name, entry } of members) {
    if (entry.isEncrypted()) {
      throw new ExportFormatError("encrypted_zip", "This zip is password-protected. Upload the export exactly as you downloaded it, without a password.");
    }
    const ratio = entry.uncompressedSize / Math.max(1, entry.compressedSize);
    if (entry.uncompressedSize > limits.ratioCheckBytes && ratio > limits.maxCompressionRatio) {
      throw new ExportFormatError("zip_too_large", "This zip expands to far more data than a chat export does, so we will not open it.", {
        details: { entry: name, ratio: Math.round(ratio) },
      });
    }
    total += entry.uncompressedSize;
  }
  if (total > limits.maxDecompressedBytes) {
    throw new ExportFormatError("zip_too_large", "The conversations in this zip are larger than we can import.", { details: { bytes: total } });
  }
}

async function* entryChunks(zipfile: yauzl.ZipFile, member: ZipMember): AsyncGenerator<Buffer> {
  let checksum = 0;
  try {
    const stream = await zipfile.openReadStreamPromise(member.entry);
    for await (const chunk of stream) {
      checksum = crc32(chunk as Buffer, checksum);
      yield chunk as Buffer;
    }
  } catch (error) {
    throw zipError(error);
  }
  // yauzl does not check CRCs; damaged stored data would otherwise read as (wrong) text.
  if (checksum >>> 0 !== member.entry.crc32 >>> 0) {
    throw new ExportFormatError("corrupt_zip", "This zip is damaged (a file inside it fails its checksum). Please download the export again.", {
      details: { entry: member.name },
    });
  }
}

async function asZipError<T>(promise: Promise<T>): Promise<T> {
  try {
    return await promise;
  } catch (error) {
    throw zipError(error);
  }
}

/** yauzl and zlib report problems as plain Errors; turn them into messages for the person who uploaded. */
function zipError(error: unknown): unknown {
  if (error instanceof ExportFormatError || isByteSourceError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (/^(absolute path|invalid relative path|invalid characters in fileName)/.test(message)) {
    return new ExportFormatError("unsafe_zip", "This zip contains files with unsafe paths (such as ../ or absolute paths), so we will not open it.", { cause: error });
  }
  if (/encrypt/i.test(message)) {
    return new ExportFormatError("encrypted_zip", "This zip is password-protected. Upload the export exactly as you downloaded it, without a password.", { cause: error });
  }
  if (/unsupported compression method/.test(message)) {
    return new ExportFormatError("unsupported_zip", "This zip was compressed with a method we cannot read. Upload the export exactly as you downloaded it.", { cause: error });
  }
  return new ExportFormatError("corrupt_zip", "This zip is damaged and cannot be opened. Please download the export again.", { cause: error });
}
