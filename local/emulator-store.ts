import { createHash } from "node:crypto";
import fs, { closeSync, constants, copyFileSync, fstatSync, ftruncateSync, linkSync, mkdirSync, openSync, readFileSync, readlinkSync, readSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync, writeSync } from "node:fs";
import type http from "node:http";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";

/**
 * The local store (fauxqs 2.4.1, files under `.data/objects`) made to behave like S3 and B2 where the
 * vault's merges and searches rely on it:
 *
 * - **Ranged GETs read the range.** fauxqs read the whole object for every GET (`readFileSync`) and then
 *   sliced it, so a 16 MiB range of a 400 MB file cost 400 MB of reading; a search's cold load of a
 *   large vault or a chat's ranged read of a few memories paid for whole files. Objects are now served as
 *   streams of exactly the bytes asked for.
 * - **UploadPartCopy copies on the server, in O(1) memory.** fauxqs implements it
 *   (https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPartCopy.html) by reading the whole
 *   source into memory; the part now refers to a hard link of the source file (a later overwrite of the
 *   source key writes a new file, see below, so the part keeps the bytes it was copied from, as S3's
 *   does), and nothing is read until the upload completes.
 * - **Completing a multipart upload streams its parts into the object** instead of concatenating every
 *   part in memory (a 400 MB vector file held twice in the emulator's heap).
 * - **An upload with a copied part is composed, not written**: the object is the list of its parts'
 *   file ranges, kept alive by hard links, so a new version of a vault file that copies the previous
 *   one (a 400 MB nodes.npy plus a few MB of new rows) costs the store its new bytes only, as on S3 and
 *   B2, where the copy never reaches the client either. Before, the emulator copied the previous file
 *   at every merge (a kernel copy: ext4 has no reflinks), about 0.15 s of a 1,000-row merge into a
 *   100,000-node vault, in which its event loop served nothing else.
 * - **Uploaded parts wait on disk, not in memory**; the part files fauxqs already wrote are what is read
 *   at completion.
 * - **Objects are written to a new file and renamed into place**, so a reader or a copy part holding the
 *   old file keeps consistent bytes, and a crash mid-write never leaves a half-written object.
 * - **Queue writes do not wait on the disk.** fauxqs keeps queues and messages in SQLite in WAL mode with
 *   SQLite's default `synchronous = FULL`, which syncs the WAL at every commit: each SendMessage,
 *   ReceiveMessage and DeleteMessage held the emulator's one thread (S3 requests included) for a disk
 *   sync, 0.6 to 1.2 ms on this project's machines against 0.06 to 0.1 ms without. `NORMAL` syncs at
 *   checkpoints: a crashed or killed emulator loses no committed message, only a power loss or an
 *   operating-system crash can undo the last ones (https://www.sqlite.org/pragma.html#pragma_synchronous,
 *   https://www.sqlite.org/wal.html), which a local stack can afford.
 *
 * These patch fauxqs's own classes (it exposes no hooks for storage), so they are tied to its version:
 * {@link patchEmulatorStore} refuses any other than the one checked here. `test/store/store-emulator.test.ts`
 * holds the behaviour to account.
 */
export const PATCHED_FAUXQS_VERSION = "2.4.1";

const MIN_PART_BYTES = 5 * 1024 * 1024;
const COPY_BUFFER_BYTES = 8 * 1024 * 1024;
/** S3's largest part, and its largest object in one PUT (https://docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html). */
const MAX_PART_BYTES = 5 * 1024 ** 3;

/** Bytes [start, end) of a file. */
export interface FileRange {
  readonly file: string;
  readonly start: number;
  readonly end: number;
}

/**
 * Byte ranges of files, one after the other, standing in for an object's body: a stream of exactly those
 * bytes when read. A plain object is one range of its file; a composed object (see {@link composeObject})
 * is the ranges its parts were made of.
 */
export class StoredBytes extends Readable {
  /** Bytes read from object files by all stored bodies (tests check that a range read reads the range). */
  static bytesRead = 0;
  readonly ranges: readonly FileRange[];
  readonly length: number;
  private fd: number | undefined;
  private index = 0;
  private at: number;

  constructor(file: string, start: number, end: number);
  constructor(ranges: readonly FileRange[]);
  constructor(fileOrRanges: string | readonly FileRange[], start = 0, end = 0) {
    super({ highWaterMark: 1 << 20 });
    this.ranges = (typeof fileOrRanges === "string" ? [{ file: fileOrRanges, start, end }] : fileOrRanges).filter((range) => range.end > range.start);
    this.length = this.ranges.reduce((sum, range) => sum + range.end - range.start, 0);
    this.at = this.ranges[0]?.start ?? 0;
  }

  /** The one range these bytes are, if they are one. */
  get single(): FileRange | undefined {
    return this.ranges.length === 1 ? this.ranges[0] : undefined;
  }

  /** The bytes [from, to) of these (what fauxqs's handlers do with a Buffer body for a Range header). */
  subarray(from = 0, to = this.length): StoredBytes {
    const begin = Math.max(0, Math.min(from, this.length));
    const finish = Math.max(begin, Math.min(to, this.length));
    const out: FileRange[] = [];
    let offset = 0;
    for (const range of this.ranges) {
      const length = range.end - range.start;
      const lo = Math.max(begin, offset);
      const hi = Math.min(finish, offset + length);
      if (lo < hi) out.push({ file: range.file, start: range.start + lo - offset, end: range.start + hi - offset });
      offset += length;
    }
    return new StoredBytes(out);
  }

  /**
   * fauxqs's async route handlers send the body without returning the reply; Fastify then sends an empty
   * answer unless the response's head has gone out by the time the handler's promise settles
   * (fastify/lib/wrap-thenable.js). A file stream has no data yet at that moment, so the head (already
   * set on the response by Fastify before it pipes) is sent at once.
   */
  override pipe<T extends NodeJS.WritableStream>(destination: T, options?: { end?: boolean }): T {
    const response = destination as unknown as { headersSent?: boolean; flushHeaders?: () => void };
    if (response.headersSent === false && typeof response.flushHeaders === "function") response.flushHeaders();
    return super.pipe(destination, options);
  }

  override _read(): void {
    const range = this.ranges[this.index];
    if (!range) return void this.push(null);
    if (this.at >= range.end) {
      // On to the next range, with the file of this one closed.
      const fd = this.fd;
      this.fd = undefined;
      this.index += 1;
      this.at = this.ranges[this.index]?.start ?? 0;
      if (fd === undefined) return this._read();
      return fs.close(fd, (error) => (error ? this.destroy(error) : this._read()));
    }
    const readNext = (fd: number) => {
      const want = Math.min(1 << 20, range.end - this.at);
      const buffer = Buffer.allocUnsafe(want);
      fs.read(fd, buffer, 0, want, this.at, (error, count) => {
        if (error) return this.destroy(error);
        if (count === 0) return this.destroy(new Error(`${range.file} ended before byte ${range.end}`));
        this.at += count;
        StoredBytes.bytesRead += count;
        this.push(count < want ? buffer.subarray(0, count) : buffer);
      });
    };
    if (this.fd !== undefined) return readNext(this.fd);
    fs.open(range.file, "r", (error, fd) => {
      if (error) return this.destroy(error);
      this.fd = fd;
      readNext(fd);
    });
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const fd = this.fd;
    this.fd = undefined;
    if (fd === undefined) return callback(error);
    fs.close(fd, () => callback(error));
  }

  /** The bytes in memory (only where fauxqs needs a Buffer: CopyObject, stores without files). */
  readAllSync(): Buffer {
    const out = Buffer.allocUnsafe(this.length);
    let done = 0;
    this.eachChunkSync(out, (count) => {
      done += count;
      return out.subarray(done);
    });
    return out;
  }

  /** Writes the bytes into `fd` at `position`. */
  copyIntoSync(fd: number, position: number, buffer: Buffer): void {
    let at = position;
    this.eachChunkSync(buffer, (count) => {
      for (let written = 0; written < count; ) written += writeSync(fd, buffer, written, count - written, at + written);
      at += count;
      return buffer;
    });
  }

  /** Writes the bytes to a new file `file` (one that exists is emptied first). */
  writeFileSync(file: string): void {
    const fd = openSync(file, "w");
    try {
      this.copyIntoSync(fd, 0, Buffer.allocUnsafe(COPY_BUFFER_BYTES));
    } finally {
      closeSync(fd);
    }
  }

  /** Reads the ranges in order into `into`; `took(count)` is told of each read and names the next buffer. */
  private eachChunkSync(into: Buffer, took: (count: number) => Buffer): void {
    let buffer = into;
    for (const range of this.ranges) {
      const source = openSync(range.file, "r");
      try {
        for (let at = range.start; at < range.end; ) {
          const count = readSync(source, buffer, 0, Math.min(buffer.length, range.end - at), at);
          if (count === 0) throw new Error(`${range.file} ended before byte ${range.end}`);
          StoredBytes.bytesRead += count;
          at += count;
          buffer = took(count);
        }
      } finally {
        closeSync(source);
      }
    }
  }
}

// fauxqs's internals, typed as far as these patches touch them.
type Body = Buffer | StoredBytes;
interface StoredObject {
  key: string;
  body: Body;
  contentType: string;
  contentLength: number;
  etag: string;
  lastModified: Date;
  metadata: Record<string, string>;
  contentLanguage?: string;
  contentDisposition?: string;
  cacheControl?: string;
  contentEncoding?: string;
  parts?: { partNumber: number; offset: number; length: number }[];
  checksumAlgorithm?: string;
  checksumValue?: string;
  checksumType?: string;
  partChecksums?: string[];
}
interface Part {
  partNumber: number;
  body: Body;
  etag: string;
  lastModified: Date;
  checksumValue?: string;
}
interface MultipartUpload {
  uploadId: string;
  initiated: Date;
  bucket: string;
  key: string;
  contentType: string;
  metadata: Record<string, string>;
  parts: Map<number, Part>;
  contentLanguage?: string;
  contentDisposition?: string;
  cacheControl?: string;
  contentEncoding?: string;
  checksumAlgorithm?: string;
}
interface FilePersistence {
  bucketsDir: string;
  multipartDir: string;
  insertMultipartUpload(upload: MultipartUpload): void;
  deleteAllMultipartUploads(): void;
  loadMultipartUploads(store: S3StoreInternals): void;
  loadS3(store: S3StoreInternals): void;
  upsertObject(bucket: string, obj: StoredObject): void;
  deleteObject(bucket: string, key: string): void;
  deleteMultipartUpload(uploadId: string): void;
  readBody(bucket: string, key: string): Body;
}
interface S3StoreInternals {
  restoreMultipartUpload(upload: MultipartUpload): void;
  buckets: Map<string, Map<string, StoredObject>>;
  multipartUploads: Map<string, MultipartUpload>;
  multipartUploadsByBucket: Map<string, Set<string>>;
  persistence?: FilePersistence | object;
  spy?: { addMessage(message: Record<string, unknown>): void };
  putObject(bucket: string, key: string, body: Body, ...rest: unknown[]): StoredObject;
  uploadPart(uploadId: string, partNumber: number, body: Body, checksumValue?: string): { etag: string; checksumValue?: string };
  completeMultipartUpload(uploadId: string, parts: { partNumber: number; etag: string }[]): StoredObject;
}
type Constructor<T> = { prototype: T };

let patched: Promise<void> | undefined;

interface ParsedRequest {
  raw: http.IncomingMessage;
  body?: unknown;
}
interface ContentTypeParserInternals {
  run(contentType: string, handler: (request: ParsedRequest, reply: unknown) => void, request: ParsedRequest, reply: { send(error: Error): void; header(name: string, value: string): void }): void;
}

/**
 * S3 stores a PUT's bytes whatever its Content-Type
 * (https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html). fauxqs picks Fastify body
 * parsers by content type for the whole server, and two of them decode text for its SQS and SNS APIs
 * (`application/x-amz-json-1.0`, `application/x-www-form-urlencoded`): an object sent with one of those
 * types (curl's `--data-binary` default is the second) was decoded and refused with a 500. Only SQS and
 * SNS requests go to `/`; every other request (S3's `/bucket/key`) now gets the bytes parser, so its
 * body reaches the store as the Buffer that arrived. The object keeps the content type it was sent with.
 */
function keepObjectBodiesAsBytes(fauxqsRoot: string): void {
  const fastify = createRequire(fauxqsRoot);
  const ContentTypeParser = fastify(fastify.resolve("fastify/lib/content-type-parser.js")) as Constructor<ContentTypeParserInternals>;
  const run = ContentTypeParser.prototype.run;
  ContentTypeParser.prototype.run = function (this: ContentTypeParserInternals, contentType, handler, request, reply) {
    if (isStreamablePart(request.raw)) return receivePart(request, reply, handler);
    if (isStreamablePut(request.raw)) return receiveObject(request, reply, handler);
    const toQueues = (request.raw.url ?? "/").split("?")[0] === "/";
    return run.call(this, toQueues ? contentType : "application/octet-stream", handler, request, reply);
  };
}

/** What {@link receivePart} and {@link receiveObject} hand fauxqs's actions as the body: an empty Buffer naming the file the bytes went to. */
const RECEIVED = Symbol("received body");
interface ReceivedBody {
  file: string;
  etag: string;
  length: number;
  /** Where the part starts in `file`, when it went to its place in the upload's assembly file. */
  offset?: number;
}
type Received = Buffer & { [RECEIVED]?: ReceivedBody };

/** A PUT whose body fauxqs would decode from one Buffer: a copy (`x-amz-copy-source`), or `aws-chunked` framing. */
function bodyIsNotBytes(raw: http.IncomingMessage): boolean {
  return raw.method !== "PUT" || Boolean(raw.headers["x-amz-copy-source"]) || String(raw.headers["content-encoding"] ?? "").includes("aws-chunked");
}

/** An UploadPart whose bytes can go straight to a file: a PUT with `partNumber` and `uploadId`, not a copy and not `aws-chunked`. */
function isStreamablePart(raw: http.IncomingMessage): boolean {
  if (bodyIsNotBytes(raw)) return false;
  const url = new URL(raw.url ?? "/", "http://emulator");
  return url.pathname.split("/").filter(Boolean).length >= 2 && url.searchParams.has("uploadId") && url.searchParams.has("partNumber") && !url.searchParams.has("renameObject");
}

/**
 * A PutObject whose bytes can go straight to a file: a PUT of `/bucket/key` without a sub-resource
 * (`?tagging`, `?acl`, …), only the SDKs' `x-id` and a presigned URL's `X-Amz-*` parameters, and not a
 * copy or `aws-chunked`.
 */
function isStreamablePut(raw: http.IncomingMessage): boolean {
  if (bodyIsNotBytes(raw)) return false;
  const url = new URL(raw.url ?? "/", "http://emulator");
  return url.pathname.split("/").filter(Boolean).length >= 2 && [...url.searchParams.keys()].every((name) => name === "x-id" || name.toLowerCase().startsWith("x-amz-"));
}

const INCOMING_PREFIX = "cogzy-emulator-parts-";
let incomingDir: string | undefined;
/**
 * This process's folder for bodies being received, in the OS's temporary folder and named after the
 * process: removed when the process exits, or by the next emulator if it never got to (a SIGKILL).
 */
function incomingFolder(): string {
  if (!incomingDir) {
    removeDeadIncomingFolders(os.tmpdir());
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${INCOMING_PREFIX}${process.pid}-`));
    process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
    incomingDir = dir;
  }
  return incomingDir;
}

/** Folders without a process id in their name are older than that naming: left a day, in case their emulator still runs. */
const UNNAMED_FOLDER_MS = 24 * 60 * 60 * 1000;

/**
 * Removes the incoming folders in `tmp` of emulator processes that have ended (their bodies were never
 * stored, and nothing reads them), and returns their names. A process id reused by a living process
 * keeps its folder, which costs only its space.
 */
export function removeDeadIncomingFolders(tmp: string): string[] {
  const removed: string[] = [];
  for (const entry of fs.readdirSync(tmp, { withFileTypes: true })) {
    if (!entry.isDirectory() || !entry.name.startsWith(INCOMING_PREFIX)) continue;
    const folder = path.join(tmp, entry.name);
    const pid = /^(\d+)-/.exec(entry.name.slice(INCOMING_PREFIX.length))?.[1];
    const modified = statSync(folder, { throwIfNoEntry: false })?.mtimeMs;
    if (modified === undefined) continue;
    const dead = pid === undefined ? Date.now() - modified > UNNAMED_FOLDER_MS : !processRuns(Number(pid));
    if (!dead) continue;
    rmSync(folder, { recursive: true, force: true });
    removed.push(entry.name);
  }
  return removed;
}

/** Whether a process `pid` runs: signal 0 checks without sending (https://nodejs.org/api/process.html#processkillpid-signal). */
function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user's process.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Files of bodies this process is receiving or has not stored yet (none once every PUT has been answered). */
export function bodiesBeingReceived(): string[] {
  return incomingDir ? fs.readdirSync(incomingDir) : [];
}

type Reply = Parameters<ContentTypeParserInternals["run"]>[3];
type Handler = Parameters<ContentTypeParserInternals["run"]>[1];

/**
 * Receives an UploadPart's bytes into a file while hashing them for its ETag (S3's part ETag is the
 * MD5 of its bytes: https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPart.html), instead of
 * Fastify collecting the chunks and joining them into one Buffer that fauxqs then hashes and writes:
 * that join, its garbage and the synchronous write were most of the emulator's CPU while a browser
 * uploaded an export. S3's part limit (5 GiB) applies, not fauxqs's 11 MiB body limit, since nothing
 * is held in memory.
 *
 * A part of the upload's stride (see {@link placeInAssembly}) is written straight to its place in the
 * upload's assembly file, so that completing the upload does not copy it again; any other part goes to
 * a file of its own, moved into its upload by the `uploadPart` patch.
 */
function receivePart(request: ParsedRequest, reply: Reply, handler: Handler): void {
  const declared = Number(request.raw.headers["content-length"] ?? NaN);
  const url = new URL(request.raw.url ?? "/", "http://emulator");
  const uploadId = url.searchParams.get("uploadId") ?? "";
  const partNumber = Number(url.searchParams.get("partNumber"));
  const place = placeInAssembly(uploadId, partNumber, declared);
  const file = place?.file ?? path.join(incomingFolder(), `${++temporaries}.part`);
  if (place) {
    mkdirSync(path.dirname(file), { recursive: true });
    closeSync(openSync(file, "a"));
  }
  receiveBody(request, reply, handler, {
    file,
    offset: place?.offset,
    // A placed part must be whole: the parts after it are at their own offsets.
    complete: (length) => !place || length === declared,
    discard: () => (place ? assemblies.get(uploadId)?.placed.delete(partNumber) : rmSync(file, { force: true })),
  });
}

/**
 * Receives a PutObject's bytes into a file as they arrive, hashing them for its ETag (the MD5 of the
 * object's bytes: https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html), for the reasons
 * {@link receivePart} gives: the embed workers and the split PUT about 850 MB of vectors, samples,
 * search parts and chunks for a 100k-exchange export, each in one PutObject, and the join, its garbage
 * and the synchronous write cost the emulator 1.5 to 2 times the CPU per MiB that streaming does
 * (`npm run bench:put-cost`). The `putObject` patch moves the file into place. S3's limit for one PUT
 * (5 GiB) applies, not fauxqs's 11 MiB.
 */
function receiveObject(request: ParsedRequest, reply: Reply, handler: Handler): void {
  const file = path.join(incomingFolder(), `${++temporaries}.object`);
  receiveBody(request, reply, handler, { file, complete: () => true, discard: () => rmSync(file, { force: true }) });
}

/**
 * Streams the request's body into `target.file` (at `target.offset`, without truncating the file, which
 * holds an upload's other parts, when given), then hands the handler a {@link Received} body naming it.
 * A body over 5 GiB, a broken connection or an incomplete body is answered with an error, and `discard`
 * undoes what was written.
 */
function receiveBody(request: ParsedRequest, reply: Reply, handler: Handler, target: { file: string; offset?: number; complete: (length: number) => boolean; discard: () => void }): void {
  const declared = Number(request.raw.headers["content-length"] ?? NaN);
  const hash = createHash("md5");
  let length = 0;
  const fail = (error: Error) => {
    target.discard();
    reply.header("connection", "close");
    reply.send(error);
  };
  if (declared > MAX_PART_BYTES) return fail(Object.assign(new Error("Your proposed upload exceeds the maximum allowed size"), { statusCode: 400 }));
  pipeline(
    request.raw,
    async function* (chunks: AsyncIterable<Buffer>) {
      for await (const chunk of chunks) {
        hash.update(chunk);
        length += chunk.length;
        yield chunk;
      }
    },
    target.offset !== undefined ? fs.createWriteStream(target.file, { flags: "r+", start: target.offset }) : fs.createWriteStream(target.file),
  ).then(
    () => {
      if (!target.complete(length)) return fail(Object.assign(new Error("You did not provide the number of bytes specified by the Content-Length HTTP header."), { statusCode: 400 }));
      request.body = Object.assign(Buffer.alloc(0), { [RECEIVED]: { file: target.file, etag: `"${hash.digest("hex")}"`, length, offset: target.offset } });
      handler(request, reply);
    },
    (error: Error) => fail(error),
  );
}

/** Parts folders of the multipart uploads the file store knows (`{multipartDir}/{uploadId}/parts`). */
const partsFolders = new Map<string, string>();
/** Per upload: its assembly file, the length of the parts placed in it, and which part numbers are there (or on their way). */
const assemblies = new Map<string, { file: string; stride: number; placed: Set<number> }>();
const ASSEMBLY_FILE = "assembly.data";

/**
 * Where an arriving part goes in its upload's assembly file, if it can go there: clients send every
 * part but the last at one size (the CLI, the page and the AWS SDKs all do), so part n of that size
 * starts at (n - 1) × size in the finished object. The first part of at least 5 MiB to arrive sets the
 * stride; a part of another size, a part number already placed (a retry), or a part of an upload this
 * store does not know goes to a file of its own. Parts of one size never overlap, so a failed or
 * repeated part cannot touch another's bytes.
 */
function placeInAssembly(uploadId: string, partNumber: number, length: number): { file: string; offset: number } | undefined {
  const folder = partsFolders.get(uploadId);
  if (!folder || !Number.isInteger(partNumber) || partNumber < 1 || !Number.isSafeInteger(length) || length < MIN_PART_BYTES) return undefined;
  let assembly = assemblies.get(uploadId);
  if (!assembly) assemblies.set(uploadId, (assembly = { file: path.join(folder, ASSEMBLY_FILE), stride: length, placed: new Set() }));
  if (assembly.stride !== length || assembly.placed.has(partNumber)) return undefined;
  assembly.placed.add(partNumber);
  return { file: assembly.file, offset: (partNumber - 1) * length };
}

/** fauxqs's SQLite persistence of queues and messages (persistence.js), as far as the patch (and its test) touch it. */
export interface QueuePersistence {
  new (dataDir: string): { db: { prepare(sql: string): { get(): unknown }; close(): void } };
  prototype: { prepareStatements(this: unknown): unknown };
}

/** fauxqs's class that keeps queues and messages in SQLite: the one {@link patchEmulatorStore} patches. */
export async function queuePersistence(): Promise<QueuePersistence> {
  const { PersistenceManager } = (await import(new URL("./persistence.js", import.meta.resolve("fauxqs")).href)) as { PersistenceManager: QueuePersistence };
  return PersistenceManager;
}

/** Applies the patches once per process, before the emulator starts. */
export function patchEmulatorStore(): Promise<void> {
  patched ??= apply();
  return patched;
}

async function apply(): Promise<void> {
  const root = import.meta.resolve("fauxqs");
  const { version } = JSON.parse(readFileSync(new URL("../package.json", root), "utf8")) as { version: string };
  if (version !== PATCHED_FAUXQS_VERSION) {
    throw new Error(`local/emulator-store.ts patches fauxqs ${PATCHED_FAUXQS_VERSION}'s storage, but ${version} is installed: check the patches against it, then update PATCHED_FAUXQS_VERSION`);
  }
  const { S3Store } = (await import(new URL("./s3/s3Store.js", root).href)) as { S3Store: Constructor<S3StoreInternals> };
  const { FileS3Persistence } = (await import(new URL("./s3/fileS3Persistence.js", root).href)) as { FileS3Persistence: Constructor<FilePersistence> & (new (...args: never[]) => FilePersistence) };
  const { S3Error } = (await import(new URL("./common/errors.js", root).href)) as { S3Error: new (code: string, message: string, status: number) => Error };
  const { computeCompositeChecksum } = (await import(new URL("./s3/checksum.js", root).href)) as { computeCompositeChecksum: (algorithm: string, partChecksums: string[]) => string };
  const PersistenceManager = await queuePersistence();
  const isFiles = (persistence: unknown): persistence is FilePersistence => persistence instanceof FileS3Persistence;
  keepObjectBodiesAsBytes(root);

  // Set on its connection before its statements are prepared (its constructor has just opened the database).
  const prepareStatements = PersistenceManager.prototype.prepareStatements;
  PersistenceManager.prototype.prepareStatements = function (this: { db: { exec(sql: string): void } }) {
    this.db.exec("PRAGMA synchronous = NORMAL");
    return prepareStatements.call(this);
  };

  const insertMultipartUpload = FileS3Persistence.prototype.insertMultipartUpload;
  FileS3Persistence.prototype.insertMultipartUpload = function (this: FilePersistence, upload: MultipartUpload) {
    insertMultipartUpload.call(this, upload);
    partsFolders.set(upload.uploadId, path.join(this.multipartDir, upload.uploadId, "parts"));
  };
  const deleteMultipartUpload = FileS3Persistence.prototype.deleteMultipartUpload;
  FileS3Persistence.prototype.deleteMultipartUpload = function (this: FilePersistence, uploadId: string) {
    partsFolders.delete(uploadId);
    assemblies.delete(uploadId);
    deleteMultipartUpload.call(this, uploadId);
  };
  const deleteAllMultipartUploads = FileS3Persistence.prototype.deleteAllMultipartUploads;
  FileS3Persistence.prototype.deleteAllMultipartUploads = function (this: FilePersistence) {
    for (const [uploadId, folder] of partsFolders) if (folder.startsWith(this.multipartDir + path.sep)) deleteMultipartUpload.call(this, uploadId);
    deleteAllMultipartUploads.call(this);
  };
  FileS3Persistence.prototype.loadMultipartUploads = function (this: FilePersistence, store: S3StoreInternals) {
    loadMultipartUploads(this.multipartDir, store);
  };
  const loadS3 = FileS3Persistence.prototype.loadS3;
  FileS3Persistence.prototype.loadS3 = function (this: FilePersistence, store: S3StoreInternals) {
    loadS3.call(this, store);
    if (!fs.existsSync(this.bucketsDir)) return;
    for (const bucket of fs.readdirSync(this.bucketsDir)) dropUnusedComposedFolders(objectsFolder(this, bucket));
  };

  FileS3Persistence.prototype.readBody = function (this: FilePersistence, bucket: string, key: string) {
    const file = objectFile(this, bucket, key);
    return composedBody(objectsFolder(this, bucket), file) ?? new StoredBytes(file, 0, statSync(file).size);
  };

  const deleteObject = FileS3Persistence.prototype.deleteObject;
  FileS3Persistence.prototype.deleteObject = function (this: FilePersistence, bucket: string, key: string) {
    const composed = composedFolder(objectsFolder(this, bucket), objectFile(this, bucket, key));
    deleteObject.call(this, bucket, key);
    if (composed) retireComposedFolder(composed);
  };

  FileS3Persistence.prototype.upsertObject = function (this: FilePersistence, bucket: string, obj: StoredObject) {
    const file = objectFile(this, bucket, obj.key);
    mkdirSync(path.dirname(file), { recursive: true });
    const temporary = temporaryName(file);
    if (obj.body instanceof StoredBytes) {
      obj.body.writeFileSync(temporary);
    } else {
      writeFileSync(temporary, obj.body);
    }
    replaceObjectFile(objectsFolder(this, bucket), temporary, file);
    writeMeta(file, obj);
  };

  const putObject = S3Store.prototype.putObject;
  S3Store.prototype.putObject = function (this: S3StoreInternals, bucket: string, key: string, body: Body, ...rest: unknown[]) {
    const received = (body as Received)[RECEIVED];
    const objects = this.buckets.get(bucket);
    const persistence = this.persistence;
    if (received && objects && isFiles(persistence)) {
      const obj = storedObject(key, received, rest as PutObjectRest);
      const file = objectFile(persistence, bucket, key);
      const temporary = temporaryName(file);
      moveFile(received.file, temporary, path.dirname(file));
      replaceObjectFile(objectsFolder(persistence, bucket), temporary, file);
      writeMeta(file, obj);
      // As fauxqs keeps a persisted object: its metadata in memory, its body read from the file on demand.
      objects.set(key, obj);
      this.spy?.addMessage({ service: "s3", bucket, key, status: "uploaded", timestamp: Date.now() });
      return obj;
    }
    if (received) {
      // A bucket that does not exist (fauxqs answers NoSuchBucket), or a store without files (objects stay in memory).
      const bytes = objects ? readFileSync(received.file) : body;
      rmSync(received.file, { force: true });
      return putObject.call(this, bucket, key, bytes, ...rest);
    }
    // CopyObject hands over the source's body; fauxqs hashes it, so it must be bytes here.
    return putObject.call(this, bucket, key, body instanceof StoredBytes ? body.readAllSync() : body, ...rest);
  };

  const uploadPart = S3Store.prototype.uploadPart;
  S3Store.prototype.uploadPart = function (this: S3StoreInternals, uploadId: string, partNumber: number, body: Body, checksumValue?: string) {
    const upload = this.multipartUploads.get(uploadId);
    const persistence = this.persistence;
    const received = (body as Received)[RECEIVED];
    if (received && (!upload || !isFiles(persistence))) {
      // An unknown upload (fauxqs answers NoSuchUpload), or a store without files (parts stay in memory).
      const bytes = upload ? readFileSync(received.file) : body;
      if (received.offset === undefined) rmSync(received.file, { force: true });
      return uploadPart.call(this, uploadId, partNumber, bytes, checksumValue);
    }
    if (!upload || !isFiles(persistence)) return uploadPart.call(this, uploadId, partNumber, body instanceof StoredBytes ? body.readAllSync() : body, checksumValue);
    const partsDir = path.join(persistence.multipartDir, uploadId, "parts");
    if (received) {
      const own = path.join(partsDir, `${partNumber}.data`);
      // In its place in the assembly file (a file of its own from an earlier try is stale), or moved into the upload.
      if (received.offset !== undefined) rmSync(own, { force: true });
      else moveFile(received.file, own, partsDir);
      const body = received.offset !== undefined ? new StoredBytes(received.file, received.offset, received.offset + received.length) : new StoredBytes(own, 0, received.length);
      const part: Part = { partNumber, body, etag: received.etag, lastModified: new Date(), ...(checksumValue && { checksumValue }) };
      upload.parts.set(partNumber, part);
      writePartMeta(partsDir, part);
      return { etag: received.etag, checksumValue };
    }
    if (body instanceof StoredBytes) {
      // UploadPartCopy: keep the source's files by hard links, read them at completion (if ever).
      mkdirSync(partsDir, { recursive: true });
      const prefix = `${partNumber}.copy-source.`;
      for (const name of fs.readdirSync(partsDir)) if (name.startsWith(prefix)) rmSync(path.join(partsDir, name), { force: true });
      let links = 0;
      const part = linkRanges(body, () => path.join(partsDir, `${prefix}${links++}`));
      // The ETag of a copied part only has to name it for CompleteMultipartUpload; no need to hash it all.
      const etag = createHash("md5");
      for (const range of part.ranges) {
        const source = statSync(range.file);
        etag.update(`${source.ino}:${source.mtimeMs}:${range.start}-${range.end};`);
      }
      const digest = `"${etag.digest("hex")}"`;
      upload.parts.set(partNumber, { partNumber, body: part, etag: digest, lastModified: new Date() });
      return { etag: digest };
    }
    const result = uploadPart.call(this, uploadId, partNumber, body, checksumValue);
    // fauxqs wrote the part to `{n}.data`; from now on that file is the part, not a copy in memory.
    const part = upload.parts.get(partNumber);
    if (part) part.body = new StoredBytes(path.join(partsDir, `${partNumber}.data`), 0, body.length);
    return result;
  };

  const complete = S3Store.prototype.completeMultipartUpload;
  S3Store.prototype.completeMultipartUpload = function (this: S3StoreInternals, uploadId: string, specs: { partNumber: number; etag: string }[]) {
    const upload = this.multipartUploads.get(uploadId);
    const persistence = this.persistence;
    if (!upload || !isFiles(persistence)) return complete.call(this, uploadId, specs);
    const objects = this.buckets.get(upload.bucket);
    if (!objects) throw new S3Error("NoSuchBucket", `The specified bucket does not exist: ${upload.bucket}`, 404);
    const invalidPart = () =>
      new S3Error("InvalidPart", "One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.", 400);
    const parts: Part[] = [];
    specs.forEach((spec, index) => {
      if (index > 0 && spec.partNumber <= specs[index - 1]!.partNumber) {
        throw new S3Error("InvalidPartOrder", "The list of parts was not in ascending order. The parts list must be specified in order by part number.", 400);
      }
      const part = upload.parts.get(spec.partNumber);
      if (!part || spec.etag.replaceAll('"', "") !== part.etag.replaceAll('"', "")) throw invalidPart();
      // S3 checks the 5 MiB minimum of every part but the last when the upload completes.
      if (index < specs.length - 1 && part.body.length < MIN_PART_BYTES) throw new S3Error("EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size", 400);
      parts.push(part);
    });

    const file = objectFile(persistence, upload.bucket, upload.key);
    mkdirSync(path.dirname(file), { recursive: true });
    const temporary = temporaryName(file);
    const objectsDir = objectsFolder(persistence, upload.bucket);
    const boundaries = composes(parts) ? composeObject(temporary, parts, objectsDir) : assemble(temporary, parts, path.join(persistence.multipartDir, uploadId, "parts", ASSEMBLY_FILE));
    replaceObjectFile(objectsDir, temporary, file);

    const digests = Buffer.concat(parts.map((part) => Buffer.from(part.etag.replaceAll('"', ""), "hex")));
    const checksums = upload.checksumAlgorithm ? parts.flatMap((part) => part.checksumValue ?? []) : [];
    const obj: StoredObject = {
      key: upload.key,
      body: Buffer.alloc(0),
      contentType: upload.contentType,
      contentLength: boundaries.reduce((sum, part) => sum + part.length, 0),
      etag: `"${createHash("md5").update(digests).digest("hex")}-${parts.length}"`,
      lastModified: new Date(),
      metadata: upload.metadata,
      parts: boundaries,
      ...(upload.contentLanguage && { contentLanguage: upload.contentLanguage }),
      ...(upload.contentDisposition && { contentDisposition: upload.contentDisposition }),
      ...(upload.cacheControl && { cacheControl: upload.cacheControl }),
      ...(upload.contentEncoding && { contentEncoding: upload.contentEncoding }),
      ...(checksums.length > 0 && {
        checksumAlgorithm: upload.checksumAlgorithm,
        checksumValue: computeCompositeChecksum(upload.checksumAlgorithm!, checksums),
        checksumType: "COMPOSITE",
        partChecksums: checksums,
      }),
    };
    writeMeta(file, obj);
    objects.set(upload.key, obj);
    this.multipartUploads.delete(uploadId);
    this.multipartUploadsByBucket.get(upload.bucket)?.delete(uploadId);
    persistence.deleteMultipartUpload(uploadId);
    this.spy?.addMessage({ service: "s3", bucket: upload.bucket, key: upload.key, status: "uploaded", timestamp: Date.now() });
    return obj;
  };
}

/**
 * Where a bucket's composed objects keep their ranges: `{objects}/%composed/{id}/`, one folder per
 * object, holding a hard link to each file its bytes are in and `ranges.json`. No key maps to this
 * folder (fauxqs writes a key's `%` as `%25`), so listing and loading objects never meet it.
 */
const COMPOSED_FOLDER = "%composed";
const RANGES_FILE = "ranges.json";
/** More ranges than this and a completing upload writes its object out whole instead (see {@link composes}). */
const MAX_COMPOSED_RANGES = 256;

function objectsFolder(persistence: FilePersistence, bucket: string): string {
  return path.join(persistence.bucketsDir, bucket, "objects");
}

/**
 * Whether a completing upload's object is composed from its parts' ranges instead of written out: when
 * a part copies bytes already in the store (UploadPartCopy). S3 and B2 make such an object on the server
 * without the client sending the bytes again
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/CopyingObjectsMPUapi.html); here it costs
 * hard links and a list, not a copy of the bytes, so appending to a 400 MB file moves only what is new.
 * A chain of versions grows the list by a range or two each time; past {@link MAX_COMPOSED_RANGES} the
 * object is written out whole once, and the next versions start from that one file again.
 */
function composes(parts: Part[]): boolean {
  const copied = parts.some((part) => part.body instanceof StoredBytes && part.body.ranges.some((range) => path.basename(range.file).includes(".copy-source.")));
  const ranges = parts.reduce((sum, part) => sum + (part.body instanceof StoredBytes ? part.body.ranges.length : 1), 0);
  return copied && ranges <= MAX_COMPOSED_RANGES;
}

/**
 * Makes `file` (a name to be renamed into place) a composed object of the parts: a folder under
 * {@link COMPOSED_FOLDER} with a hard link to each file the parts' bytes are in and the list of ranges,
 * and `file` a symbolic link naming that folder (relative to the objects folder; it is read by
 * {@link composedBody}, never followed by the OS). No object bytes are read or written, except a part
 * held in memory. The files linked are never written again: objects are replaced by renaming a new file
 * into place, and parts are not written once they are placed.
 */
function composeObject(file: string, parts: Part[], objectsDir: string): { partNumber: number; offset: number; length: number }[] {
  const id = `${Date.now().toString(36)}-${process.pid}-${++temporaries}`;
  const dir = path.join(objectsDir, COMPOSED_FOLDER, id);
  mkdirSync(dir, { recursive: true });
  const boundaries: { partNumber: number; offset: number; length: number }[] = [];
  const ranges: FileRange[] = [];
  const linked = new Map<string, string>();
  let links = 0;
  let offset = 0;
  for (const part of parts) {
    boundaries.push({ partNumber: part.partNumber, offset, length: part.body.length });
    offset += part.body.length;
    let body: StoredBytes;
    if (part.body instanceof StoredBytes) body = linkRanges(part.body, () => path.join(dir, `${links++}.data`), linked);
    else {
      // A part held in memory is written into the folder, where it is a file of the object's own.
      const own = path.join(dir, `part-${part.partNumber}.data`);
      writeFileSync(own, part.body);
      body = new StoredBytes(own, 0, part.body.length);
    }
    for (const range of body.ranges) {
      const last = ranges.at(-1);
      // A range that goes on where the one before it ended, in the same file, is one range.
      if (last?.file === range.file && last.end === range.start) ranges[ranges.length - 1] = { ...last, end: range.end };
      else ranges.push(range);
    }
  }
  writeFileSync(path.join(dir, RANGES_FILE), JSON.stringify(ranges.map((range) => ({ ...range, file: path.basename(range.file) }))));
  symlinkSync(path.join(COMPOSED_FOLDER, id), file);
  return boundaries;
}

/**
 * The same bytes as `body`, in hard links to its files, each named by the next `linkName()` (one link
 * per file, remembered in `linked` across calls). A file that cannot be linked (EMLINK, EXDEV) has the
 * range copied into a file of its own instead, which stands for that range only.
 */
export function linkRanges(body: StoredBytes, linkName: () => string, linked = new Map<string, string>()): StoredBytes {
  const ranges = body.ranges.map((range) => {
    const known = linked.get(range.file);
    if (known) return { ...range, file: known };
    const link = linkName();
    try {
      linkSync(range.file, link);
    } catch {
      new StoredBytes([range]).writeFileSync(link);
      return { file: link, start: 0, end: range.end - range.start };
    }
    linked.set(range.file, link);
    return { ...range, file: link };
  });
  return new StoredBytes(ranges);
}

/**
 * The folder of the composed object at `file` in the bucket's `objectsDir`, if it is one (a symbolic
 * link, see {@link composeObject}).
 */
function composedFolder(objectsDir: string, file: string): string | undefined {
  let target: string;
  try {
    target = readlinkSync(file);
  } catch {
    return undefined;
  }
  return path.join(objectsDir, target);
}

/** The body of the composed object at `file`, or undefined when `file` is a plain object file. */
function composedBody(objectsDir: string, file: string): StoredBytes | undefined {
  const dir = composedFolder(objectsDir, file);
  if (!dir) return undefined;
  const ranges = JSON.parse(readFileSync(path.join(dir, RANGES_FILE), "utf8")) as FileRange[];
  return new StoredBytes(ranges.map((range) => ({ ...range, file: path.join(dir, range.file) })));
}

/** How long the folder of a composed object deleted or replaced stays for the GETs already reading it. */
const RETIRED_FOLDER_MS = 60_000;

/**
 * Removes the folder of a composed object that was deleted or replaced, a minute later: a GET opens
 * each range's file as its read reaches it, so one that started before the delete still finds them
 * (as a GET of a plain object keeps the file it opened). A store stopped meanwhile removes the folder
 * when it starts again (see {@link dropUnusedComposedFolders}).
 */
function retireComposedFolder(folder: string): void {
  setTimeout(() => rmSync(folder, { recursive: true, force: true }), RETIRED_FOLDER_MS).unref();
}

/**
 * Removes the composed folders no object names: those of objects whose completion stopped between
 * making the folder and renaming the object into place, and those retired but not yet removed, when the
 * store's process ended. Run at start, before any request.
 */
function dropUnusedComposedFolders(objectsDir: string): void {
  const composedDir = path.join(objectsDir, COMPOSED_FOLDER);
  if (!fs.existsSync(composedDir)) return;
  const named = new Set<string>();
  for (const entry of fs.readdirSync(objectsDir, { recursive: true, withFileTypes: true })) {
    if (!entry.isSymbolicLink()) continue;
    const file = path.join(entry.parentPath, entry.name);
    // A composed object's link not yet renamed into place (`{object}.data.{pid}-{n}.tmp`) names nothing.
    if (!entry.name.endsWith(".data")) rmSync(file, { force: true });
    else named.add(path.basename(composedFolder(objectsDir, file)!));
  }
  for (const id of fs.readdirSync(composedDir)) if (!named.has(id)) rmSync(path.join(composedDir, id), { recursive: true, force: true });
}

/**
 * Renames `temporary` into place as the object file `file`, then retires the folder of the composed
 * object it replaces, if it was one.
 */
function replaceObjectFile(objectsDir: string, temporary: string, file: string): void {
  const replaced = composedFolder(objectsDir, file);
  renameSync(temporary, file);
  if (replaced) retireComposedFolder(replaced);
}

/**
 * Writes the parts, in order, into a new file. When the first part sits at offset 0 of the upload's own
 * assembly file (`assembly`, where parts of one size were written at their places as they arrived), and
 * those placed parts outweigh any copied part that could start the file instead, the new file is that
 * file, hard-linked: the parts already at their offsets are not written again, and only the others (the
 * last, shorter part; parts after a gap in the part numbers) are. Otherwise a part of at least 1 MiB
 * that sits at the same offset in its one file (a part in a file of its own, or a version written out
 * whole, see {@link composes}: the previous file's bytes first) starts the file as a kernel copy of that
 * file, truncated where the part ends (the file may be another object's, so it must not be written to);
 * the other parts are then written at their offsets.
 */
function assemble(file: string, parts: Part[], assembly: string): { partNumber: number; offset: number; length: number }[] {
  const boundaries: { partNumber: number; offset: number; length: number }[] = [];
  let offset = 0;
  for (const part of parts) {
    boundaries.push({ partNumber: part.partNumber, offset, length: part.body.length });
    offset += part.body.length;
  }
  const inPlace = (index: number) => {
    const body = parts[index]!.body;
    const range = body instanceof StoredBytes ? body.single : undefined;
    return range?.file === assembly && range.start === boundaries[index]!.offset;
  };
  const buffer = Buffer.allocUnsafe(COPY_BUFFER_BYTES);
  let base = -1;
  parts.forEach((part, index) => {
    const body = part.body;
    const range = body instanceof StoredBytes ? body.single : undefined;
    if (range?.start === boundaries[index]!.offset && body.length >= 1 << 20 && (base < 0 || body.length > parts[base]!.body.length)) base = index;
  });
  // Starting from the assembly file saves writing the parts already in it; starting from a clone of a
  // part's file saves reading and writing that part. Whichever saves more bytes wins.
  const placedBytes = parts.reduce((sum, part, index) => sum + (inPlace(index) ? part.body.length : 0), 0);
  if (parts.length > 0 && inPlace(0) && (base < 0 || placedBytes >= parts[base]!.body.length)) {
    linkSync(assembly, file);
    const fd = openSync(file, "r+");
    try {
      // In part-number order each part's bytes sit at or after its place in the object, and after the
      // places of the parts before it, so writing one never overwrites a part still to be written.
      parts.forEach((part, index) => {
        if (!inPlace(index)) (part.body instanceof StoredBytes ? part.body.copyIntoSync(fd, boundaries[index]!.offset, buffer) : writeAllSync(fd, part.body, boundaries[index]!.offset));
      });
      ftruncateSync(fd, offset);
    } finally {
      closeSync(fd);
    }
    return boundaries;
  }
  if (base >= 0) copyFileSync((parts[base]!.body as StoredBytes).single!.file, file, constants.COPYFILE_FICLONE);
  const fd = openSync(file, base >= 0 ? "r+" : "w");
  try {
    if (base >= 0) {
      const end = boundaries[base]!.offset + boundaries[base]!.length;
      if (fstatSync(fd).size < end) throw new Error(`copy source of part ${parts[base]!.partNumber} is shorter than the part`);
      ftruncateSync(fd, end);
    }
    parts.forEach((part, index) => {
      if (index === base) return;
      const at = boundaries[index]!.offset;
      if (part.body instanceof StoredBytes) part.body.copyIntoSync(fd, at, buffer);
      else writeAllSync(fd, part.body, at);
    });
  } finally {
    closeSync(fd);
  }
  return boundaries;
}

function writeAllSync(fd: number, bytes: Buffer, at: number): void {
  for (let written = 0; written < bytes.length; ) written += writeSync(fd, bytes, written, bytes.length - written, at + written);
}

/** Moves a received part into its upload's folder (copying when the two are on different file systems). */
function moveFile(from: string, to: string, dir: string): void {
  mkdirSync(dir, { recursive: true });
  try {
    renameSync(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EXDEV") throw error;
    copyFileSync(from, to);
    rmSync(from, { force: true });
  }
}

/**
 * The multipart uploads in progress when the store last stopped (fauxqs's own loader,
 * fileS3Persistence.js, with the parts left in their files instead of read into memory, and the parts
 * placed in an upload's assembly file found there).
 */
function loadMultipartUploads(multipartDir: string, store: S3StoreInternals): void {
  if (!fs.existsSync(multipartDir)) return;
  for (const uploadId of fs.readdirSync(multipartDir)) {
    const metaFile = path.join(multipartDir, uploadId, ".upload.json");
    if (!fs.existsSync(metaFile)) continue;
    const meta = JSON.parse(readFileSync(metaFile, "utf8")) as Omit<MultipartUpload, "parts" | "initiated"> & { initiated: string };
    const upload: MultipartUpload = { ...meta, initiated: new Date(meta.initiated), parts: new Map() };
    const partsDir = path.join(multipartDir, uploadId, "parts");
    partsFolders.set(uploadId, partsDir);
    const files = fs.existsSync(partsDir) ? fs.readdirSync(partsDir) : [];
    for (const name of files.filter((name) => name.endsWith(".meta.json"))) {
      const part = JSON.parse(readFileSync(path.join(partsDir, name), "utf8")) as { partNumber: number; etag: string; lastModified: string; checksumValue?: string; file?: string; offset?: number; length?: number };
      let body: StoredBytes;
      if (part.file === ASSEMBLY_FILE && part.offset !== undefined && part.length !== undefined) {
        body = new StoredBytes(path.join(partsDir, ASSEMBLY_FILE), part.offset, part.offset + part.length);
        let assembly = assemblies.get(uploadId);
        if (!assembly) assemblies.set(uploadId, (assembly = { file: path.join(partsDir, ASSEMBLY_FILE), stride: part.length, placed: new Set() }));
        assembly.placed.add(part.partNumber);
      } else {
        const own = path.join(partsDir, `${part.partNumber}.data`);
        body = new StoredBytes(own, 0, statSync(own).size);
      }
      upload.parts.set(part.partNumber, { partNumber: part.partNumber, body, etag: part.etag, lastModified: new Date(part.lastModified), ...(part.checksumValue && { checksumValue: part.checksumValue }) });
    }
    store.restoreMultipartUpload(upload);
  }
}

/** The `{n}.meta.json` fauxqs keeps beside each part file (same fields as its own upsertMultipartPart). */
function writePartMeta(partsDir: string, part: Part): void {
  const body = part.body;
  const range = body instanceof StoredBytes ? body.single : undefined;
  const placed = range && path.basename(range.file) === ASSEMBLY_FILE && { file: ASSEMBLY_FILE, offset: range.start, length: body.length };
  const meta = { partNumber: part.partNumber, etag: part.etag, lastModified: part.lastModified.toISOString(), ...(part.checksumValue && { checksumValue: part.checksumValue }), ...placed };
  writeFileSync(path.join(partsDir, `${part.partNumber}.meta.json`), JSON.stringify(meta));
}

/** fauxqs's object file for a key: slashes become folders, unsafe characters are %-encoded (fileS3Persistence.js). */
function objectFile(persistence: FilePersistence, bucket: string, key: string): string {
  // eslint-disable-next-line no-control-regex
  const encoded = key.replace(/[<>:"|?*\\%\x00-\x1f]/g, (ch) => "%" + ch.charCodeAt(0).toString(16).padStart(2, "0"));
  return path.join(objectsFolder(persistence, bucket), encoded.split("/").join(path.sep) + ".data");
}

let temporaries = 0;
function temporaryName(file: string): string {
  return `${file}.${process.pid}-${++temporaries}.tmp`;
}

/** What fauxqs's PutObject action passes its store's `putObject` after the key and body. */
type PutObjectRest = [
  contentType?: string,
  metadata?: Record<string, string>,
  systemMetadata?: Pick<StoredObject, "contentLanguage" | "contentDisposition" | "cacheControl" | "contentEncoding">,
  checksumData?: { algorithm: string; value: string; type: string; partChecksums?: string[] },
];

/**
 * The object fauxqs's `putObject` (s3Store.js) makes of a PUT, for bytes received into a file: its ETag
 * and length are the ones taken while they arrived, its body (read on demand) is empty in memory.
 */
function storedObject(key: string, received: ReceivedBody, [contentType, metadata, systemMetadata, checksumData]: PutObjectRest): StoredObject {
  return {
    key,
    body: Buffer.alloc(0),
    contentType: contentType ?? "application/octet-stream",
    contentLength: received.length,
    etag: received.etag,
    lastModified: new Date(),
    metadata: metadata ?? {},
    ...(systemMetadata?.contentLanguage && { contentLanguage: systemMetadata.contentLanguage }),
    ...(systemMetadata?.contentDisposition && { contentDisposition: systemMetadata.contentDisposition }),
    ...(systemMetadata?.cacheControl && { cacheControl: systemMetadata.cacheControl }),
    ...(systemMetadata?.contentEncoding && { contentEncoding: systemMetadata.contentEncoding }),
    ...(checksumData && {
      checksumAlgorithm: checksumData.algorithm,
      checksumValue: checksumData.value,
      checksumType: checksumData.type,
      ...(checksumData.partChecksums && { partChecksums: checksumData.partChecksums }),
    }),
  };
}

/** The `.meta.json` fauxqs keeps beside each object file (same fields as its own upsertObject). */
function writeMeta(dataFile: string, obj: StoredObject): void {
  const metaFile = dataFile.slice(0, -".data".length) + ".meta.json";
  const meta = {
    key: obj.key,
    contentType: obj.contentType,
    contentLength: obj.contentLength,
    etag: obj.etag,
    lastModified: obj.lastModified.toISOString(),
    metadata: obj.metadata,
    ...(obj.contentLanguage && { contentLanguage: obj.contentLanguage }),
    ...(obj.contentDisposition && { contentDisposition: obj.contentDisposition }),
    ...(obj.cacheControl && { cacheControl: obj.cacheControl }),
    ...(obj.contentEncoding && { contentEncoding: obj.contentEncoding }),
    ...(obj.parts && { parts: obj.parts }),
    ...(obj.checksumAlgorithm && { checksumAlgorithm: obj.checksumAlgorithm }),
    ...(obj.checksumValue && { checksumValue: obj.checksumValue }),
    ...(obj.checksumType && { checksumType: obj.checksumType }),
    ...(obj.partChecksums && { partChecksums: obj.partChecksums }),
  };
  const temporary = temporaryName(metaFile);
  writeFileSync(temporary, JSON.stringify(meta));
  renameSync(temporary, metaFile);
}
