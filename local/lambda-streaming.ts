/**
 * Lambda response streaming, locally. In Lambda's Node.js runtime a streaming handler is wrapped with
 * the global `awslambda.streamifyResponse(handler)` and called as `handler(event, responseStream,
 * context)`; `awslambda.HttpResponseStream.from(stream, prelude)` sends the status, headers and cookies
 * before the body (https://docs.aws.amazon.com/lambda/latest/dg/response-streaming-tutorial.html,
 * https://docs.aws.amazon.com/lambda/latest/dg/config-rs-write-functions.html). middy's
 * `executionModeStreamifyResponse` uses exactly these, so the local gateway provides them and hands the
 * handler a stream that writes to the HTTP response as the handler writes.
 */
import type { ServerResponse } from "node:http";
import { Writable } from "node:stream";

interface Prelude {
  statusCode?: number;
  headers?: Record<string, string | number | boolean>;
  cookies?: string[];
}

/** The response stream a local streaming invocation writes to. */
export class LocalResponseStream extends Writable {
  constructor(private readonly response: ServerResponse) {
    super();
  }

  /** Sends the status line and headers (once; a body written without a prelude goes out as 200). */
  sendPrelude(prelude: Prelude): void {
    if (this.response.headersSent) return;
    for (const [name, value] of Object.entries(prelude.headers ?? {})) this.response.setHeader(name, String(value));
    if (prelude.cookies?.length) this.response.setHeader("set-cookie", prelude.cookies);
    this.response.writeHead(prelude.statusCode ?? 200);
    // Push the head out now, so a client sees the status before the first event.
    this.response.flushHeaders();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    if (!this.response.headersSent) this.sendPrelude({ statusCode: 200, headers: { "content-type": "application/octet-stream" } });
    if (chunk.length === 0) return done();
    this.response.write(chunk, (error) => done(error ?? null));
  }

  override _final(done: (error?: Error | null) => void): void {
    if (!this.response.headersSent) this.sendPrelude({ statusCode: 200 });
    this.response.end(() => done());
  }
}

/** Marks a function as streaming, as Lambda's runtime does. */
export const STREAMING_HANDLER = Symbol.for("aws.lambda.runtime.handler.streaming");

/**
 * Adds the streaming members of the `awslambda` global Lambda's Node.js runtime provides. Other
 * libraries (the AWS SDK's invoke store) create the object too, so members are added, not the object.
 */
export function installLocalStreamingRuntime(): void {
  const global = globalThis as { awslambda?: Record<string, unknown> };
  const awslambda = (global.awslambda ??= {});
  if (typeof awslambda.streamifyResponse === "function") return;
  awslambda.streamifyResponse = <T extends object>(handler: T): T => Object.assign(handler, { [STREAMING_HANDLER]: "response" });
  awslambda.HttpResponseStream = {
    from(stream: LocalResponseStream, prelude: Prelude): LocalResponseStream {
      stream.sendPrelude(prelude);
      return stream;
    },
  };
}
