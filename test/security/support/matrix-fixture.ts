import { randomBytes, randomUUID } from "node:crypto";
import type pg from "pg";
import { getEmbedder, getEmbedderIdentity } from "../../../lib/ingest/embedder";
import { nodesJsonLines } from "../../../lib/ingest/vault-files";
import { putStream } from "../../../lib/store/streams";
import { encodeNpy } from "../../../lib/vectors/npy";
import { versionKeys } from "../../../lib/vaults/versions";
import { createSession } from "../../../lib/accounts/sessions";
import { createAccessToken, revokeAccessToken } from "../../../lib/tokens/access-tokens";
import { getStore } from "../../../lib/store/client";
import { createUpload } from "../../../lib/uploads/create-upload";
import { apiClient, uniqueEmail } from "../../support/api";
import type { Principal } from "../authorization-matrix";

export interface Account {
  userId: string;
  email: string;
  password: string;
}

/**
 * What the authorization matrix's requests are built from: the owner (whose resources every request
 * names), another user, and credentials for each principal. Every call gets a fresh session, so a route
 * that ends one (log-out) cannot disturb the next.
 */
export interface MatrixFixture {
  owner: Account;
  other: Account;
  uniqueEmail(): string;
  /** The `Authorization` token a principal sends, or none. */
  tokenFor(principal: Principal): Promise<string | undefined>;
  /** A new upload of the owner's, waiting for its file. */
  pendingUpload(): Promise<string>;
  /** A new multipart upload of the owner's whose one part has been sent: ready to complete. */
  multipartUploadWithPartsSent(): Promise<{ uploadId: string; parts: Array<{ part_number: number; etag: string }> }>;
  /** Puts the owner and the other user on the premium plan (memory search). */
  premium(): Promise<void>;
  /** The id of a memory in the owner's vault (a one-memory version, written once). */
  ownerMemory(): Promise<string>;
  /** A new forget of the owner's, complete (as the reduce queue leaves it), ready to be restored. */
  completedForget(): Promise<string>;
  /** The id of a new personal access token of the owner's. */
  ownerAccessToken(): Promise<string>;
  /** A new chat conversation of the owner's, with one exchange. */
  conversation(): Promise<string>;
}

export async function createMatrixFixture(apiUrl: string, db: pg.Pool): Promise<MatrixFixture> {
  const api = apiClient(apiUrl);
  const signUp = async (label: string): Promise<Account> => {
    const email = uniqueEmail(label);
    const password = `${label} passphrase that is long`;
    const answer = await api.signUp(email, password);
    if (answer.status !== 201) throw new Error(`fixture sign-up failed: ${answer.status} ${JSON.stringify(answer.body)}`);
    return { userId: answer.body.user_id, email, password };
  };
  const owner = await signUp("owner");
  const other = await signUp("other");
  const session = async (account: Account) => (await createSession(db, account.userId, { ttlDays: 1 })).token;

  let memory: Promise<string> | undefined;
  // One of each token for the whole matrix: an account holds a bounded number of live tokens.
  let revoked: Promise<string> | undefined;
  let readToken: Promise<string> | undefined;

  return {
    owner,
    other,
    async premium() {
      await db.query("UPDATE personal.user_tiers SET tier = 'premium' WHERE user_id = ANY($1::uuid[])", [[owner.userId, other.userId]]);
    },
    ownerMemory: () => (memory ??= writeOneMemoryVersion(db, owner.userId)),
    async completedForget() {
      const { rows } = await db.query<{ id: string }>(
        `INSERT INTO personal.vault_forgets (vault_id, kind, target, state, completed_at)
         SELECT id, 'memory', 'matrix', 'complete', now() FROM personal.vaults WHERE user_id = $1 RETURNING id`,
        [owner.userId],
      );
      return rows[0]!.id;
    },
    async ownerAccessToken() {
      const answer = await api.call("POST", "/api/personal/tokens", { token: await session(owner), body: { name: "matrix" } });
      if (answer.status !== 201) throw new Error(`fixture token failed: ${answer.status} ${JSON.stringify(answer.body)}`);
      return answer.body.id as string;
    },
    uniqueEmail: () => uniqueEmail("matrix"),
    async tokenFor(principal) {
      switch (principal) {
        case "owner":
          return session(owner);
        case "anotherUser":
          return session(other);
        case "anonymous":
          return undefined;
        case "expiredSession":
          // The owner's own session, with a lifetime of zero: expired by the time it is used.
          return (await createSession(db, owner.userId, { ttlDays: 0 })).token;
        case "revokedToken":
          return (revoked ??= (async () => {
            const created = await createAccessToken(db, owner.userId, "revoked in the matrix");
            await revokeAccessToken(db, owner.userId, created.id);
            return created.token;
          })());
        case "ownerToken":
          return (readToken ??= createAccessToken(db, owner.userId, "the matrix's read token").then((created) => created.token));
      }
    },
    async conversation() {
      const answer = await api.call("POST", "/api/personal/chat", { token: await session(owner), body: { message: "Remember that the spare key is under the blue pot." } });
      if (answer.status !== 200) throw new Error(`fixture chat failed: ${answer.status} ${JSON.stringify(answer.body)}`);
      return answer.body.conversation_id as string;
    },
    async pendingUpload() {
      const answer = await api.call("POST", "/api/personal/vault/uploads", { token: await session(owner), body: { filename: "conversations.json", size: 64 } });
      if (answer.status !== 201) throw new Error(`fixture upload failed: ${answer.status} ${JSON.stringify(answer.body)}`);
      return answer.body.upload_id as string;
    },
    async multipartUploadWithPartsSent() {
      const bytes = Buffer.from(JSON.stringify([{ id: "c", mapping: {} }]));
      const plan = await createUpload({ db, store: getStore(), multipartThresholdBytes: 1, partSizeBytes: 5 * 1024 * 1024 }, owner.userId, {
        filename: "conversations.json",
        size: bytes.length,
      });
      if (plan.method !== "multipart") throw new Error("fixture expected a multipart plan");
      const part = plan.parts[0]!;
      const put = await fetch(part.url, { method: "PUT", body: bytes });
      if (!put.ok) throw new Error(`fixture part upload failed: ${put.status}`);
      return { uploadId: plan.upload_id, parts: [{ part_number: part.part_number, etag: put.headers.get("etag")! }] };
    },
  };
}

/**
 * Version 1 of the user's vault holding one memory, written as the reducer would (nodes.json, nodes.npy,
 * the current-version switch) but without the queues this suite runs without; search builds the
 * version's indexes on first use.
 */
async function writeOneMemoryVersion(db: pg.Pool, userId: string): Promise<string> {
  const store = getStore();
  const embedder = getEmbedderIdentity();
  const id = randomBytes(16).toString("hex");
  const node = {
    kind: "exchange", id, source: "openai", conversation_id: `matrix-${id}`, conversation_title: "Owner memory", sequence_index: 0,
    created_at: "2024-01-01T00:00:00.000Z", human: "The owner's memory", assistant: "Noted.", hash: id + id, upload_id: randomUUID(),
  };
  const [vector] = await getEmbedder().embed(["The owner's memory"]);
  const keys = versionKeys(`users/${userId}`, 1);
  await putStream(store, keys.nodes, nodesJsonLines((async function* () { yield JSON.stringify(node); })()), "application/json");
  await putStream(store, keys.vectors, (async function* () { yield encodeNpy(vector!, 1, embedder.dim); })(), "application/octet-stream");
  await db.query(
    "UPDATE personal.vaults SET current_version = 1, node_count = 1, embedder = $2, embedder_model = $3, embedding_dim = $4 WHERE user_id = $1",
    [userId, embedder.embedder, embedder.model, embedder.dim],
  );
  return id;
}
