import http from "node:http";
import type { AddressInfo } from "node:net";
import { checkPresignedRequest, type StoreCredentials } from "./presigned-requests";

const CORS_HEADERS = { "access-control-allow-origin": "*", "access-control-expose-headers": "ETag" };

export interface CorsRelay {
  url: string;
  close(): Promise<void>;
}

/**
 * The store's address for browsers, served in the emulator's process by the emulator's own request
 * listener (`handle`; the emulator checks no signature at all and listens on loopback only). Like the
 * B2 bucket in production it:
 * - answers CORS preflights as a permissive bucket rule would and exposes `ETag` (multipart completion
 *   needs it): the page PUTs files straight to the store, another origin;
 * - verifies every other request's SigV4 signature, as a presigned URL (method, key, query and signed
 *   headers including the length; credential; expiry) or as an `Authorization` header made with the
 *   stack's keys (so the SDK or the AWS CLI can look inside a local vault), and answers 403 with S3's
 *   error XML otherwise, so a URL issued for one key cannot write another, however its path is edited.
 * What passes is handed to `handle` as it arrived, so an export's bytes are read from the socket once:
 * relayed over a second loopback connection, half a gigabyte cost the stack ~2 s of socket writes.
 * Functions talk to the emulator's loopback port directly.
 */
export async function startCorsRelay(options: { handle: http.RequestListener; port: number; credentials: StoreCredentials }): Promise<CorsRelay> {
  const server = http.createServer((request, response) => {
    if (request.method === "OPTIONS") {
      response.writeHead(204, {
        ...CORS_HEADERS,
        "access-control-allow-methods": "GET, HEAD, PUT, POST, DELETE",
        "access-control-allow-headers": request.headers["access-control-request-headers"] ?? "*",
        "access-control-max-age": "600",
      });
      response.end();
      return;
    }
    const refusal = checkPresignedRequest({ method: request.method ?? "GET", url: request.url ?? "/", headers: request.headers }, options.credentials);
    if (refusal) return refuse(request, response, refusal);
    // Headers set here are merged into the ones the handler writes (https://nodejs.org/api/http.html#responsesetheadername-value).
    for (const [name, value] of Object.entries(CORS_HEADERS)) response.setHeader(name, value);
    options.handle(request, response);
  });
  // Idle connections stay a minute (Node's default is 5 s), so that a page's next PUT seconds later finds
  // its connection open; headersTimeout must exceed it (https://nodejs.org/api/http.html#serverkeepalivetimeout).
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, "127.0.0.1", resolve);
  });
  return {
    url: `http://localhost:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** 403 with S3's error document; the body being sent is read and dropped so the client sees the answer. */
function refuse(request: http.IncomingMessage, response: http.ServerResponse, refusal: { code: string; message: string }): void {
  response.writeHead(403, { ...CORS_HEADERS, "content-type": "application/xml", connection: "close" });
  response.end(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${refusal.code}</Code><Message>${refusal.message}</Message></Error>`);
  const cutOff = setTimeout(() => request.destroy(), 10_000).unref();
  request.on("end", () => clearTimeout(cutOff));
  request.resume();
}
