import { GetObjectCommand, PutObjectCommand, UploadPartCommand } from "@aws-sdk/client-s3";
import type { Store } from "./client";

/** Bytes that crossed between the store and this function (server-side copies are not among them). */
export interface StoreMeter {
  read: number;
  written: number;
}

/**
 * The same store, counting the bytes it moves through the function: GET bodies read (as the store
 * announces them, ranges included) and PUT / UploadPart bodies sent. UploadPartCopy and CopyObject
 * move nothing through the function and count nothing. How the merge proves it costs O(new).
 */
export function meteredStore(store: Store): { store: Store; meter: StoreMeter } {
  const meter: StoreMeter = { read: 0, written: 0 };
  const send = store.client.send.bind(store.client) as (command: unknown, ...rest: unknown[]) => Promise<unknown>;
  const client = new Proxy(store.client, {
    get(target, property, receiver) {
      if (property !== "send") return Reflect.get(target, property, receiver);
      return async (command: unknown, ...rest: unknown[]) => {
        if (command instanceof PutObjectCommand || command instanceof UploadPartCommand) meter.written += bodyLength(command.input.Body, command.input.ContentLength);
        const answer = await send(command, ...rest);
        if (command instanceof GetObjectCommand) meter.read += Number((answer as { ContentLength?: number }).ContentLength ?? 0);
        return answer;
      };
    },
  });
  return { store: { ...store, client }, meter };
}

function bodyLength(body: unknown, declared: number | undefined): number {
  if (declared !== undefined) return declared;
  if (typeof body === "string") return Buffer.byteLength(body);
  if (body instanceof Uint8Array) return body.byteLength;
  return 0;
}
