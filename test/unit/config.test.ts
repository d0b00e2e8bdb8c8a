import { describe, expect, it } from "vitest";
import { loadConfig, settingsFromLinks } from "../../lib/config";

const production = {
  APP_ENV: "production",
  AWS_REGION: "eu-west-1",
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

  it("takes the queues' region from the function's own AWS_REGION, never from the store's", () => {
    const config = loadConfig(production);

    expect(config.queues).toMatchObject({ region: "eu-west-1", endpoint: undefined });
    expect(config.store.region).toBe("us-west-004");
    expect(loadConfig({ ...production, STORE_PROVIDER: "s3", STORE_REGION: undefined }).store.region).toBe("eu-west-1");
  });

  it("reads secrets from SST links, which win over the environment", () => {
    const { DATABASE_URL: _db, EMBEDDER_API_KEY: _key, ...withoutSecrets } = production;
    const links = settingsFromLinks({
      App: { name: "cogzy-vaults", stage: "production" },
      DatabaseUrl: { value: "postgres://linked@db.example.com/cogzy" },
      EmbedderApiKey: { value: "linked-key" },
      DatabaseDirectUrl: { value: "" },
    });

    const config = loadConfig({ ...withoutSecrets, EMBEDDER_API_KEY: "from-the-environment" }, links);

    expect(config.database.url).toBe("postgres://linked@db.example.com/cogzy");
    expect(config.database.directUrl).toBeUndefined();
    expect(config.embedder.apiKey).toBe("linked-key");
  });

  it("verifies the database's certificate in production and not locally", () => {
    expect(loadConfig(production).database.tls).toBe("verify-full");
    expect(loadConfig({}).database.tls).toBe("off");
  });

  it("rejects a malformed value with the variable's name", () => {
    expect(() => loadConfig({ EMBEDDER_URL: "not a url" })).toThrow(/EMBEDDER_URL/);
    expect(() => loadConfig({ APP_ENV: "staging" })).toThrow(/APP_ENV/);
  });
});
