import { createHash } from "node:crypto";
import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig, settingsFromLinks, type Config } from "../../lib/config";
import { createEmbedder } from "../../lib/embeddings";
import { createSqsClient } from "../../lib/queues/client";
import { createS3Client } from "../../lib/store/client";
import { createChatModel } from "../../lib/chat/models";
import { startChatStandIn, type ChatStandIn } from "../../local/chat-stand-in";
import { startEmbeddingStandIn, type EmbeddingStandIn } from "../../local/embedding-stand-in";
import { productionStart, REGION, secretValues } from "../support/production-env";
import { recordStack, type Recording, type RecordedFunction } from "../support/sst-recorder";

/**
 * Every client as a deployed function builds it: configuration from the recorded stack's environment
 * and links plus what Lambda sets, no local endpoint anywhere. Requests are signed and then stopped
 * before they leave, so the test sees exactly where they would go and for which region they are signed.
 */
class Stopped extends Error {}

interface SignedRequest {
  host: string;
  path: string;
  headers: Record<string, string>;
}

async function signedRequest(client: SQSClient | S3Client, send: () => Promise<unknown>): Promise<SignedRequest> {
  let captured: SignedRequest | undefined;
  // The deserialize step runs after signing, around the actual send: not calling `next` sends nothing.
  (client.middlewareStack as SQSClient["middlewareStack"]).add(
    () => async (args: any) => {
      captured = { host: args.request.hostname, path: args.request.path, headers: args.request.headers };
      throw new Stopped("stopped before sending");
    },
    { step: "deserialize", name: "stopBeforeSending" },
  );
  await expect(send()).rejects.toThrow(Stopped);
  return captured!;
}

/** The region a SigV4 signature was made for: `Credential=<key>/<date>/<region>/<service>/aws4_request`. */
function signedFor(request: SignedRequest): { region: string; service: string } {
  const [, region, service] = /Credential=[^/]+\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(request.headers.authorization ?? "") ?? [];
  return { region: region!, service: service! };
}

let b2: Recording;
let s3: Recording;
const savedEnv = { ...process.env };
beforeAll(async () => {
  b2 = await recordStack();
  s3 = await recordStack({ env: { STORE_PROVIDER: "s3" } });
  // The SDK's default credential chain reads the role's credentials from the environment Lambda sets.
  const { env } = productionStart(b2.functions()[0]!);
  for (const name of ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"]) process.env[name] = env[name];
});
afterAll(() => {
  for (const name of ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"]) {
    if (savedEnv[name] === undefined) delete process.env[name];
    else process.env[name] = savedEnv[name];
  }
});

function configOf(fn: RecordedFunction, overrides: Record<string, string> = {}): Config {
  const { env, links } = productionStart(fn, overrides);
  return loadConfig(env, settingsFromLinks(links));
}

const byHandler = (recording: Recording, handler: string) => recording.functions().find((fn) => fn.args.handler === handler)!;

describe("production configuration", () => {
  it("is complete for every deployed function, on B2 and on AWS S3, with no local endpoint", () => {
    for (const recording of [b2, s3]) {
      for (const fn of recording.functions()) {
        const config = configOf(fn);
        expect(config.local, fn.source).toBe(false);
        expect([config.queues.endpoint, config.store.publicEndpoint], fn.source).toEqual([undefined, undefined]);
        expect(config.database.url, fn.source).toBe(secretValues.DatabaseUrl);
      }
    }
  });

  it("SQS: requests go to the function's own region, signed for it", async () => {
    const config = configOf(byHandler(b2, "functions/queues/embed-chunk.handler"));
    const sqs = createSqsClient(config.queues);

    const request = await signedRequest(sqs, () => sqs.send(new SendMessageCommand({ QueueUrl: config.queues.reduceUrl, MessageBody: "{}", MessageGroupId: "v", MessageDeduplicationId: "d" })));

    expect(request.host).toBe(`sqs.${REGION}.amazonaws.com`);
    expect(signedFor(request)).toEqual({ region: REGION, service: "sqs" });
    expect(request.headers["x-amz-security-token"]).toBe("role-session-token");
  });

  it("B2: objects go to the bucket's B2 endpoint, signed for B2's region with the linked key, without the checksums B2 refuses", async () => {
    const config = configOf(byHandler(b2, "functions/queues/embed-chunk.handler"));
    const store = createS3Client(config.store);

    const request = await signedRequest(store, () => store.send(new PutObjectCommand({ Bucket: config.store.bucket, Key: "users/u/x.json", Body: "{}" })));

    // Virtual-hosted style, which B2's S3-compatible API serves like path style.
    expect(request.host).toBe("cogzy-vaults.s3.us-west-004.backblazeb2.com");
    expect(request.path).toBe("/users/u/x.json");
    expect(signedFor(request)).toEqual({ region: "us-west-004", service: "s3" });
    expect(request.headers.authorization).toContain(`Credential=${secretValues.StoreAccessKeyId}/`);
    expect(Object.keys(request.headers).filter((name) => name.startsWith("x-amz-checksum") || name === "x-amz-sdk-checksum-algorithm")).toEqual([]);
    // B2 documents no unsigned payloads: the body's SHA-256 is part of the signature.
    expect(request.headers["x-amz-content-sha256"]).toBe(createHash("sha256").update("{}").digest("hex"));
  });

  it("B2: presigned upload URLs point at the B2 endpoint", async () => {
    const config = configOf(byHandler(b2, "functions/http/uploads-create.handler"));
    const url = new URL(await getSignedUrl(createS3Client(config.store), new PutObjectCommand({ Bucket: config.store.bucket, Key: "users/u/e.zip" }), { expiresIn: 600 }));

    expect(url.host).toBe("cogzy-vaults.s3.us-west-004.backblazeb2.com");
    expect(url.searchParams.get("X-Amz-Credential")).toMatch(/\/us-west-004\/s3\/aws4_request$/);
  });

  it("AWS S3: objects go to the stack's bucket in the function's region, signed with the role's credentials", async () => {
    const config = configOf(byHandler(s3, "functions/queues/embed-chunk.handler"));
    const store = createS3Client(config.store);

    const request = await signedRequest(store, () => store.send(new PutObjectCommand({ Bucket: config.store.bucket, Key: "users/u/x.json", Body: "{}" })));

    expect(config.store.bucket).toBe("cogzy-vaults-production-vaultbucket-a1b2c3");
    expect(request.host).toBe(`${config.store.bucket}.s3.${REGION}.amazonaws.com`);
    expect(signedFor(request)).toEqual({ region: REGION, service: "s3" });
    expect(request.headers.authorization).toContain("Credential=ASIAEXAMPLEROLEKEY/");
    // Over HTTPS, AWS S3 takes the body unsigned: no SHA-256 of every body the functions write.
    expect(request.headers["x-amz-content-sha256"]).toBe("UNSIGNED-PAYLOAD");
    expect(request.headers.authorization).toContain("x-amz-content-sha256");
  });

  it("Postgres: verifies the server's certificate (RDS's CAs come from NODE_EXTRA_CA_CERTS)", () => {
    for (const fn of b2.functions()) {
      expect(configOf(fn).database.tls, fn.source).toBe("verify-full");
      expect(productionStart(fn).env.NODE_EXTRA_CA_CERTS, fn.source).toBe("/var/runtime/ca-cert.pem");
    }
  });
});

describe("production embedder", () => {
  let standIn: EmbeddingStandIn;
  beforeAll(async () => {
    standIn = await startEmbeddingStandIn({ apiKey: secretValues.EmbedderApiKey!, vectors: "local" });
  });
  afterAll(async () => {
    await standIn?.close();
  });

  it("calls the linked OpenAI-compatible URL with the linked key, for BAAI/bge-m3 in base64", async () => {
    const config = configOf(byHandler(b2, "functions/queues/embed-chunk.handler"), { "secret:EmbedderUrl": standIn.url });
    const embedder = createEmbedder({ ...config.embedder });

    const vectors = await embedder.embed(["a first memory", "a second one"]);

    expect(config.embedder).toMatchObject({ provider: "http", model: "BAAI/bge-m3", dim: 1024 });
    expect(vectors).toHaveLength(2);
    expect(standIn.stats().lastRequest).toMatchObject({ model: "BAAI/bge-m3", encodingFormat: "base64", authorization: `Bearer ${secretValues.EmbedderApiKey}` });
  });
});

describe("production chat model", () => {
  let standIn: ChatStandIn;
  beforeAll(async () => {
    standIn = await startChatStandIn({ apiKey: "chat-key" });
  });
  afterAll(async () => {
    await standIn?.close();
  });

  it("answers offline until ChatUrl and ChatModel are set, then calls the linked model with the linked key", async () => {
    const chat = byHandler(b2, "functions/http/chat.handler");
    expect(chat.args.url?.router, "the chat function streams behind the Router").toBeTruthy();
    expect(createChatModel(configOf(chat).chat).offline).toBe(true);

    const config = configOf(chat, { "secret:ChatUrl": standIn.url, "secret:ChatModel": "grok-4-fast", "secret:ChatApiKey": "chat-key" });
    const model = createChatModel(config.chat);
    const answer = await model.reply({ messages: [{ role: "user", content: "hello" }], memories: [], question: "hello" });

    expect(model).toMatchObject({ offline: false, model: "grok-4-fast" });
    expect(answer).toBeTruthy();
    expect(standIn.stats().lastRequest).toMatchObject({ model: "grok-4-fast", authorization: "Bearer chat-key" });
  });
});
