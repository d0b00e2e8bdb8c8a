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
  return new S3Client({
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
