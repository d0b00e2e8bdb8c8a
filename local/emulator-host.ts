/**
 * The S3 + SQS emulator's own process, started by `emulator-process.ts` with the arguments
 * `<dataDir> <port> <bucket>`: runs {@link startEmulator} (store patches included), answers the parent's
 * calls over the IPC channel, forwards the store's write events, and exits when told to stop or when
 * the channel closes (the parent is gone).
 */
import type { SpyMessage } from "fauxqs";
import { startEmulator, type LocalEmulator } from "./emulator";
import type { HostMessage, HostRequest } from "./emulator-process";

const [dataDir, port, bucket] = process.argv.slice(2) as [string, string, string];
const send = (message: HostMessage) => {
  if (process.connected) process.send!(message);
};

let emulator: LocalEmulator | undefined;
let stopping: Promise<void> | undefined;
const stop = () =>
  (stopping ??= (async () => {
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
send({ type: "ready", endpoint: emulator.endpoint, port: emulator.port, address: emulator.server.address, queues: emulator.queues });
