import { S3Client } from "@aws-sdk/client-s3";
import { getConfig, type Config } from "../config";

/**
 * Builds an S3 client for B2, AWS S3 or the local emulator. Checksums only "when required": SDK
 * ≥ 3.729 adds CRC32 by default (https://github.com/aws/aws-sdk-js-v3/issues/6810), which B2 rejects
 * (https://www.backblaze.com/docs/cloud-storage-use-the-aws-sdk-for-javascript-v3-with-backblaze-b2)
 * and which would make presigned URLs carry the checksum of an empty body.
 */
export function createS3Client(store: Config["store"], options: { endpoint?: string } = {}): S3Client {
  const endpoint = options.endpoint ?? store.endpoint;
  const client = new S3Client({
    region: store.region,
    ...(endpoint ? { endpoint } : {}),
    forcePathStyle: store.forcePathStyle,
    ...(store.accessKeyId && store.secretAccessKey
      ? { credentials: { accessKeyId: store.accessKeyId, secretAccessKey: store.secretAccessKey } }
      : {}),
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    // The local stack runs up to 200 embed invocations in one process, all on this client.
    requestHandler: { httpAgent: { keepAlive: true, maxSockets: 256 }, httpsAgent: { keepAlive: true, maxSockets: 256 } },
  });
  if (sendsUnsignedPayloads(store.provider, endpoint)) {
    // SigV4 hashes every in-memory body (SHA-256 of each chunk, vector file and part the pipeline
    // writes: ~1.8 GB for a 500 MB export) only to put the digest in the signature. AWS S3 documents
    // `x-amz-content-sha256: UNSIGNED-PAYLOAD` instead, which the SDK already sends for streamed bodies
    // (https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html); the body is then
    // protected by TLS, or never leaves the machine. B2 keeps signed payloads: its S3-compatible API
    // pages (https://www.backblaze.com/docs/cloud-storage-s3-compatible-api) say nothing either way
    // about unsigned in-memory bodies, and that is not assumed until it is checked against B2 itself.
    client.middlewareStack.add(
      (next) => (args) => {
        const request = args.request as { body?: unknown; headers?: Record<string, string> };
        if (request.headers && request.body !== undefined && (typeof request.body === "string" || ArrayBuffer.isView(request.body))) {
          request.headers[PAYLOAD_HASH_HEADER] = UNSIGNED_PAYLOAD;
        }
        return next(args);
      },
      { step: "build", name: "unsignedInMemoryPayload" },
    );
  }
  return client;
}

const PAYLOAD_HASH_HEADER = "x-amz-content-sha256";
const UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD";

/** AWS S3 over HTTPS (its default endpoint, or an https one), and any store on this machine's own addresses. */
function sendsUnsignedPayloads(provider: Config["store"]["provider"], endpoint: string | undefined): boolean {
  const url = endpoint ? new URL(endpoint) : undefined;
  if (url && ["localhost", "127.0.0.1", "[::1]"].includes(url.hostname)) return true;
  return provider === "s3" && (!url || url.protocol === "https:");
}

export interface Store {
  readonly client: S3Client;
  /** Signs URLs the browser uses; differs from `client` only when the browser sees another endpoint. */
  readonly presignClient: S3Client;
  readonly bucket: string;
}

let store: Store | undefined;

/** The process-wide store, made on first use. */
export function getStore(): Store {
  if (!store) {
    const config = getConfig().store;
    const client = createS3Client(config);
    const presignClient = config.publicEndpoint ? createS3Client(config, { endpoint: config.publicEndpoint }) : client;
    store = { client, presignClient, bucket: config.bucket };
  }
  return store;
}

export function closeStore(): void {
  store?.client.destroy();
  if (store && store.presignClient !== store.client) store.presignClient.destroy();
  store = undefined;
}
