/**
 * The S3 + SQS emulator's own process, started by `emulator-process.ts` with the arguments
 * `<dataDir> <port> <bucket> <publicPort>`: runs {@link startEmulator} (store patches included) and, when
 * a public port is given, the store's address for browsers in front of it (store-cors-relay.ts, with the
 * keys from PUBLIC_STORE_ACCESS_KEY_ID / PUBLIC_STORE_SECRET_ACCESS_KEY); answers the parent's calls over
 * the IPC channel, forwards the store's write events, and exits when told to stop or when the channel
 * closes (the parent is gone).
 */
import type { SpyMessage } from "fauxqs";
import { startEmulator, type LocalEmulator } from "./emulator";
import type { HostMessage, HostRequest } from "./emulator-process";
import { startCorsRelay, type CorsRelay } from "./store-cors-relay";

const [dataDir, port, bucket, publicPort] = process.argv.slice(2) as [string, string, string, string];
const send = (message: HostMessage) => {
  if (process.connected) process.send!(message);
};

let emulator: LocalEmulator | undefined;
let relay: CorsRelay | undefined;
let stopping: Promise<void> | undefined;
const stop = () =>
  (stopping ??= (async () => {
    await relay?.close();
    await emulator?.server.stop();
    process.disconnect?.();
  })());
process.on("disconnect", () => void stop().then(() => process.exit(0)));
process.on("message", (request: HostRequest) => {
  if (request.type === "stop") return void stop();
  if (!emulator) return;
  const server = emulator.server;
  try {
    const value = request.method === "inspectQueue" ? server.inspectQueue(request.args[0] as string) : server.createQueue(...(request.args as Parameters<typeof server.createQueue>));
    send({ type: "result", id: request.id, value });
  } catch (error) {
    send({ type: "result", id: request.id, error: (error as Error).message });
  }
});

try {
  emulator = await startEmulator({ dataDir, port: Number(port), bucket });
  if (publicPort) {
    const fauxqs = emulator.httpServer;
    const credentials = { accessKeyId: process.env.PUBLIC_STORE_ACCESS_KEY_ID ?? "local", secretAccessKey: process.env.PUBLIC_STORE_SECRET_ACCESS_KEY ?? "local" };
    relay = await startCorsRelay({ handle: (request, response) => fauxqs.emit("request", request, response), port: Number(publicPort), credentials });
  }
} catch (error) {
  send({ type: "failed", message: (error as Error).message });
  process.exit(1);
}
// Only the store's writes cross to the parent (the B2 bridge waits for uploads there); every SQS send,
// receive and delete and every GET would otherwise be a message too.
const spy = emulator.server.spy as unknown as { addMessage(message: SpyMessage): void };
spy.addMessage = (message) => {
  if (message.service === "s3" && message.status !== "downloaded") send({ type: "store-event", event: message });
};
send({ type: "ready", endpoint: emulator.endpoint, port: emulator.port, publicEndpoint: relay?.url, address: emulator.server.address, queues: emulator.queues });
