import { describe, expect, it } from "vitest";
import { loadConfig } from "../../lib/config";

const production = {
  APP_ENV: "production",
  DATABASE_URL: "postgres://u:p@db.example.com/cogzy",
  STORE_ENDPOINT: "https://s3.us-west-004.backblazeb2.com",
  STORE_REGION: "us-west-004",
  STORE_ACCESS_KEY_ID: "key-id",
  STORE_SECRET_ACCESS_KEY: "key-secret",
  STORE_BUCKET: "cogzy-vaults",
  INGEST_QUEUE_URL: "https://sqs.us-east-1.amazonaws.com/1/ingest",
  EMBED_QUEUE_URL: "https://sqs.us-east-1.amazonaws.com/1/embed",
  REDUCE_QUEUE_URL: "https://sqs.us-east-1.amazonaws.com/1/reduce.fifo",
  EMBEDDER_URL: "https://api.deepinfra.com/v1/openai",
  EMBEDDER_API_KEY: "di-key",
  B2_WEBHOOK_SECRET: "a-signing-secret-of-some-length",
};

describe("configuration", () => {
  it("runs locally on defaults alone, with the offline embedder and a non-secure cookie", () => {
    const config = loadConfig({});

    expect(config.local).toBe(true);
    expect(config.embedder).toMatchObject({ provider: "local", model: "local-hash-v1", dim: 1024, batchSize: 32 });
    expect(config.store).toMatchObject({ bucket: "cogzy-vaults", forcePathStyle: true });
    expect(config.sessions.secureCookie).toBe(false);
  });

  it("accepts a complete production environment and defaults the model to BAAI/bge-m3", () => {
    const config = loadConfig(production);

    expect(config.local).toBe(false);
    expect(config.embedder).toMatchObject({ provider: "http", model: "BAAI/bge-m3", baseUrl: production.EMBEDDER_URL });
    expect(config.sessions.secureCookie).toBe(true);
    expect(config.store.endpoint).toBe(production.STORE_ENDPOINT);
  });

  it("names every missing production setting", () => {
    const { DATABASE_URL: _db, B2_WEBHOOK_SECRET: _secret, ...incomplete } = production;

    expect(() => loadConfig(incomplete)).toThrow("Missing required settings for production: DATABASE_URL, B2_WEBHOOK_SECRET");
  });

  it("requires B2 keys on B2 but not on AWS S3, where the function's role provides them", () => {
    const { STORE_ENDPOINT: _e, STORE_ACCESS_KEY_ID: _k, STORE_SECRET_ACCESS_KEY: _s, ...withoutKeys } = production;

    expect(() => loadConfig(withoutKeys)).toThrow("STORE_ENDPOINT, STORE_ACCESS_KEY_ID, STORE_SECRET_ACCESS_KEY");
    expect(loadConfig({ ...withoutKeys, STORE_PROVIDER: "s3" }).store.endpoint).toBeUndefined();
  });

  it("rejects a malformed value with the variable's name", () => {
    expect(() => loadConfig({ EMBEDDER_URL: "not a url" })).toThrow(/EMBEDDER_URL/);
    expect(() => loadConfig({ APP_ENV: "staging" })).toThrow(/APP_ENV/);
  });
});
