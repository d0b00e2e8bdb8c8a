import { createReadStream } from "node:fs";
import { mkdtemp, open, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { GetObjectCommand } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { ZipFile } from "yazl";
import type { Queryable } from "../db/pool";
import { ConflictError, NotFoundError } from "../errors";
import type { VaultNode } from "../ingest/vault-nodes";
import { log } from "../log";
import type { Store } from "../store/client";
import { headObject } from "../store/objects";
import { downloadToFile } from "../store/ranged";
import { objectStream, putStream } from "../store/streams";
import type { ExportResponse } from "../api/contract";
import { findVaultByUser } from "../vaults/provision";
import type { VersionView, VersionViewCache } from "../vaults/version-view";
import { memoriesMarkdown } from "./memories-markdown";
import { exportReadme } from "./readme";

export interface ExportDeps {
  db: Queryable;
  store: Store;
  views: VersionViewCache;
  /** Where nodes.json is copied while memories.md is written from it (a function's /tmp). */
  tmpDir?: string;
}

/** How long the download link works. */
export const EXPORT_URL_SECONDS = 15 * 60;

/**
 * The current version of `userId`'s vault as one zip — README.md, memories.md, nodes.json, nodes.npy,
 * clusters.json — answered as a short-lived presigned GET. The zip is built once per version, streamed
 * into the store as it is made (a multipart upload of 8 MiB parts), so neither it nor any of its files
 * is ever held in memory; asking again for the same version signs a new link to the same zip.
 */
export async function exportVault(deps: ExportDeps, userId: string): Promise<ExportResponse> {
  const vault = await findVaultByUser(deps.db, userId);
  if (!vault) throw new NotFoundError("You have no vault yet.");
  if (vault.current_version === 0 || vault.node_count === 0) {
    throw new ConflictError("vault_empty", "Your vault holds no memories yet, so there is nothing to export. Import an export first.");
  }
  const view = await deps.views.get(deps.store, vault);
  const built = await headObject(deps.store, view.keys.exportZip);
  const bytes = built?.size ?? (await writeVersionZip(deps, view, { model: vault.embedder_model ?? "unknown", dim: vault.embedding_dim ?? 0 }));
  const fileName = `cogzy-vault-v${vault.current_version}.zip`;
  const url = await getSignedUrl(
    deps.store.presignClient,
    new GetObjectCommand({ Bucket: deps.store.bucket, Key: view.keys.exportZip, ResponseContentDisposition: `attachment; filename="${fileName}"` }),
    { expiresIn: EXPORT_URL_SECONDS },
  );
  return { url, expires_at: new Date(Date.now() + EXPORT_URL_SECONDS * 1000).toISOString(), version: vault.current_version, bytes, file_name: fileName };
}

/**
 * Writes the zip of `view`'s version to its `exportZip` key and answers its size in bytes. Streamed: the
 * zip goes into the store as it is made, nodes.npy and clusters.json are copied from their GETs, and
 * nodes.json is copied to `tmpDir` (memories.md reads it again in conversation order). Memory grows
 * with the version's memory tables only (held by the view), never with its files.
 */
export async function writeVersionZip(deps: Pick<ExportDeps, "store" | "tmpDir">, view: VersionView, embedder: { model: string; dim: number }): Promise<number> {
  const { model, dim } = embedder;
  const started = Date.now();
  const [nodesHead, vectorsHead, clustersHead] = await Promise.all([headObject(deps.store, view.keys.nodes), headObject(deps.store, view.keys.vectors), headObject(deps.store, view.keys.clusters)]);
  if (!nodesHead || !vectorsHead) throw new Error(`version ${view.version} of ${view.keys.nodes} is missing its files`);
  const folder = await mkdtemp(path.join(deps.tmpDir ?? os.tmpdir(), "cogzy-export-"));
  try {
    // nodes.json is read twice (into the zip, and by memories.md in conversation order): a local copy
    // makes the second read positioned reads of a file instead of thousands of ranged GETs.
    const nodesFile = path.join(folder, "nodes.json");
    await downloadToFile(deps.store, view.keys.nodes, nodesFile, nodesHead.size);
    const nodes = await open(nodesFile, "r");
    try {
      const exportedAt = new Date().toISOString();
      const zip = new ZipFile();
      // An input stream's failure (a GET cut off) must fail the upload rather than leave it waiting.
      zip.on("error", (error: Error) => (zip.outputStream as Readable).destroy(error));
      const mtime = new Date(exportedAt);
      const readme = exportReadme({
        version: view.version,
        memories: view.memories.rows,
        conversations: view.conversations.length,
        topics: view.clusters?.clusters.length ?? 0,
        dim,
        model,
        exportedAt,
      });
      zip.addBuffer(Buffer.from(readme), "README.md", { mtime });
      const markdown = memoriesMarkdown({ memories: view.memories, conversations: view.conversations, node: (row) => readNode(nodes, view, row), exportedAt, version: view.version });
      zip.addReadStreamLazy("memories.md", { mtime }, (done) => done(null, Readable.from(markdown)));
      zip.addReadStreamLazy("nodes.json", { mtime, size: nodesHead.size }, (done) => done(null, createReadStream(nodesFile)));
      // Float32 noise does not deflate: stored as it is, which also keeps the export fast.
      zip.addReadStreamLazy("nodes.npy", { mtime, size: vectorsHead.size, compress: false }, (done) => {
        objectStream(deps.store, view.keys.vectors).then((stream) => done(null, stream), (error: unknown) => done(error, undefined as never));
      });
      // The version's clusters.json as stored, byte for byte.
      if (clustersHead) {
        zip.addReadStreamLazy("clusters.json", { mtime, size: clustersHead.size }, (done) => {
          objectStream(deps.store, view.keys.clusters).then((stream) => done(null, stream), (error: unknown) => done(error, undefined as never));
        });
      }
      zip.end();
      const bytes = await putStream(deps.store, view.keys.exportZip, zip.outputStream as Readable, "application/zip");
      log.info("vault exported", { version: view.version, memories: view.memories.rows, bytes, ms: Date.now() - started });
      return bytes;
    } finally {
      await nodes.close();
    }
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

async function readNode(file: Awaited<ReturnType<typeof open>>, view: VersionView, row: number): Promise<VaultNode> {
  const at = view.memories.location(row);
  const buffer = Buffer.allocUnsafe(at.length);
  await file.read(buffer, 0, at.length, at.offset);
  return JSON.parse(buffer.toString("utf8")) as VaultNode;
}
