import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type pg from "pg";
import { sendFile } from "../../cli/send-file";
import { expect, vi } from "vitest";
import { getStore } from "../../lib/store/client";
import { objectStream } from "../../lib/store/streams";
import { readNodes } from "../../lib/ingest/vault-files";
import { parseNpyHeader, npyPreambleLength } from "../../lib/vectors/npy";
import { vaultStatusSql } from "../../lib/uploads/lifecycle";
import { versionKeys } from "../../lib/vaults/versions";
import type { apiClient } from "./api";

type Api = ReturnType<typeof apiClient>;

/** Uploads bytes as the browser does: ask for a presigned URL, PUT straight to the store. */
export async function uploadBytes(api: Api, token: string, name: string, bytes: Buffer): Promise<string> {
  const created = await api.route("POST /api/personal/vault/uploads", { token, body: { filename: name, size: bytes.length } });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  if (created.body.method !== "PUT") throw new Error(`expected a single PUT for ${bytes.length} bytes, got a ${created.body.method} upload`);
  const put = await fetch(created.body.url, { method: "PUT", headers: created.body.headers, body: bytes });
  expect(put.status).toBe(200);
  return created.body.upload_id;
}

/**
 * Uploads bytes of any size as the CLI does: one presigned PUT, or presigned part PUTs (above 10 MB
 * locally) that the API then completes.
 */
export async function uploadLargeBytes(api: Api, token: string, name: string, bytes: Buffer): Promise<string> {
  const created = await api.route("POST /api/personal/vault/uploads", { token, body: { filename: name, size: bytes.length } });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const dir = await mkdtemp(path.join(os.tmpdir(), "cogzy-upload-"));
  try {
    const file = path.join(dir, name);
    await writeFile(file, bytes);
    const parts = await sendFile(file, bytes.length, created.body, () => undefined);
    if (created.body.method === "multipart") {
      const completed = await api.route("POST /api/personal/vault/uploads/{upload_id}/complete", { token, params: { upload_id: created.body.upload_id }, body: { parts } });
      expect(completed.status, JSON.stringify(completed.body)).toBe(200);
    }
    return created.body.upload_id;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Polls the progress endpoint until the upload completes or fails. */
export async function waitForUpload(api: Api, token: string, uploadId: string, timeoutMs = 60_000) {
  return vi.waitFor(
    async () => {
      const answer = await api.route("GET /api/personal/vault/upload/{upload_id}", { token, params: { upload_id: uploadId } });
      if (answer.body?.status !== "complete" && answer.body?.status !== "failed") throw new Error(`upload ${uploadId} still ${answer.body?.status}/${answer.body?.phase}`);
      return answer.body;
    },
    { timeout: timeoutMs, interval: 100 },
  );
}

/**
 * The vault as a reader sees it: the current version's nodes.json, and the row count of its nodes.npy
 * taken from the file's own header (its length field is parsed, never assumed).
 */
export async function readVault(db: pg.Pool, userId: string) {
  const { rows } = await db.query(`SELECT v.*, ${vaultStatusSql("v")} AS status FROM personal.vaults v WHERE v.user_id = $1`, [userId]);
  const vault = rows[0];
  if (vault.current_version === 0) return { vault, nodes: [], npy: { rows: 0, dim: 0 } };
  const keys = versionKeys(vault.prefix, vault.current_version);
  const nodes = await readNodes(getStore(), keys.nodes);
  const head: Buffer[] = [];
  let size = 0;
  for await (const chunk of await objectStream(getStore(), keys.vectors)) {
    head.push(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  const bytes = Buffer.concat(head, size);
  const header = parseNpyHeader(bytes.subarray(0, npyPreambleLength(bytes)));
  expect(bytes.length).toBe(header.headerLength + header.dataLength);
  return { vault, nodes, npy: { rows: header.rows, dim: header.dim } };
}

/** nodes.json and nodes.npy agree, and no memory is there twice. */
export function expectConsistent(state: Awaited<ReturnType<typeof readVault>>) {
  expect(state.npy.rows).toBe(state.nodes.length);
  expect(state.vault.node_count).toBe(state.nodes.length);
  expect(new Set(state.nodes.map((node) => node.hash)).size).toBe(state.nodes.length);
}
