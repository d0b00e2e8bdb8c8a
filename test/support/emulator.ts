import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll } from "vitest";
import { createS3Client, type Store } from "../../lib/store/client";
import { putStream } from "../../lib/store/streams";
import { startEmulator, type LocalEmulator } from "../../local/emulator";

/** The local store alone (no database, no consumers), for tests of storage code: one per test file. */
export function useEmulator() {
  const context = {} as { emulator: LocalEmulator; store: Store; dataDir: string };
  beforeAll(async () => {
    context.dataDir = await mkdtemp(path.join(os.tmpdir(), "cogzy-store-"));
    context.emulator = await startEmulator({ dataDir: context.dataDir, port: 0, bucket: "cogzy-test", messageSpies: false });
    const client = createS3Client({ provider: "s3", endpoint: context.emulator.endpoint, region: "us-east-1", accessKeyId: "local", secretAccessKey: "local", bucket: "cogzy-test", forcePathStyle: true, publicEndpoint: undefined });
    context.store = { client, presignClient: client, bucket: "cogzy-test" };
  });
  afterAll(async () => {
    context.store?.client.destroy();
    await context.emulator?.stop();
    if (context.dataDir) await rm(context.dataDir, { recursive: true, force: true });
  });
  return context;
}

/** Stores `body` at `key` through putStream (in parts when larger than one request body of the emulator, 11 MiB). */
export async function putBytes(store: Store, key: string, body: Buffer): Promise<void> {
  await putStream(store, key, (async function* () {
    yield body;
  })(), "application/octet-stream");
}
