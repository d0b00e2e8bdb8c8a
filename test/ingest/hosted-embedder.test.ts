import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resetConfig } from "../../lib/config";
import { resetEmbedder } from "../../lib/ingest/embedder";
import { startEmbeddingStandIn } from "../../local/embedding-stand-in";
import { uniqueEmail } from "../support/api";
import { chatgptExport, conversations } from "../support/exports";
import { expectConsistent, readVault, uploadBytes, waitForUpload } from "../support/ingest";
import { useTestStack } from "../support/stack";

/**
 * The pipeline with the hosted-model path: EMBEDDER_URL points at a local stand-in that speaks the
 * OpenAI embeddings API (no model can be downloaded here), configured the way production is.
 */
let standIn: Awaited<ReturnType<typeof startEmbeddingStandIn>>;

beforeAll(async () => {
  standIn = await startEmbeddingStandIn({ latencyMs: 20, apiKey: "test-key", vectors: "local" });
  Object.assign(process.env, { EMBEDDER_PROVIDER: "http", EMBEDDER_URL: standIn.url, EMBEDDER_API_KEY: "test-key", EMBEDDER_MODEL: "BAAI/bge-m3" });
});

afterAll(async () => {
  await standIn?.close();
});

const ctx = useTestStack();

describe("ingesting with a hosted OpenAI-compatible embedder", () => {
  it("embeds through the API, 32 texts per request, and records the model with the vault", async () => {
    const { body } = await ctx.api.signUp(uniqueEmail("hosted"));
    standIn.resetStats();

    const done = await waitForUpload(ctx.api, body.token, await uploadBytes(ctx.api, body.token, "conversations.json", chatgptExport(conversations("hosted", 30, 3))));

    expect(done).toMatchObject({ status: "complete", nodes_created: 90 });
    const stats = standIn.stats();
    expect(stats.texts).toBe(90);
    expect(stats.requests).toBe(3);
    expect(stats.unauthorized).toBe(0);
    expect(stats.lastRequest).toMatchObject({ model: "BAAI/bge-m3", encodingFormat: "base64", authorization: "Bearer test-key" });
    const state = await readVault(ctx.db, body.user_id);
    expectConsistent(state);
    expect(state.vault).toMatchObject({ embedder: "http", embedder_model: "BAAI/bge-m3", embedding_dim: 1024 });
  });

  it("retries through the provider's 429s and 500s without losing or doubling a memory", async () => {
    const { body } = await ctx.api.signUp(uniqueEmail("flaky"));
    standIn.setBehaviour({ script: ["rate-limit", "server-error", "malformed"], retryAfterSeconds: 0 });

    const done = await waitForUpload(ctx.api, body.token, await uploadBytes(ctx.api, body.token, "conversations.json", chatgptExport(conversations("flaky", 20, 3))));

    expect(done).toMatchObject({ status: "complete", nodes_created: 60 });
    expectConsistent(await readVault(ctx.db, body.user_id));
  });

  it("refuses to add vectors of another model to a vault, and says why", async () => {
    const { body } = await ctx.api.signUp(uniqueEmail("mixed"));
    await waitForUpload(ctx.api, body.token, await uploadBytes(ctx.api, body.token, "first.json", chatgptExport(conversations("first", 2))));

    process.env.EMBEDDER_MODEL = "another/embedding-model";
    resetConfig();
    resetEmbedder();
    try {
      const second = await waitForUpload(ctx.api, body.token, await uploadBytes(ctx.api, body.token, "second.json", chatgptExport(conversations("second", 2))));

      expect(second.status).toBe("failed");
      expect(second.error_message).toContain("BAAI/bge-m3");
      expect(second.error_message).toContain("another/embedding-model");
      const state = await readVault(ctx.db, body.user_id);
      expect(state.nodes).toHaveLength(6);
      expect(state.vault.embedder_model).toBe("BAAI/bge-m3");
    } finally {
      process.env.EMBEDDER_MODEL = "BAAI/bge-m3";
      resetConfig();
      resetEmbedder();
    }
  });
});
