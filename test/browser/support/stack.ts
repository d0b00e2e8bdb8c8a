import http from "node:http";
import type { AddressInfo } from "node:net";
import { freePort } from "../../../local/ports";
import { startTestStack } from "../../support/stack";

/**
 * The page PUTs files straight to the store, another origin, so the store must answer CORS preflights
 * and expose `ETag` (multipart needs it), as the B2 bucket's CORS rule does in the cloud. The local
 * emulator (fauxqs 2.4.1) has no CORS at all. So browser tests give the browser its own address for the
 * store, as `STORE_PUBLIC_ENDPOINT` allows: a relay that answers preflights the way a permissive bucket
 * rule would and passes everything else through byte for byte, adding only the CORS headers.
 */
export async function startBrowserTestStack() {
  const storePort = await freePort();
  const relay = await startCorsRelay(`127.0.0.1:${storePort}`);
  process.env.STORE_PUBLIC_ENDPOINT = relay.url;
  try {
    const stack = await startTestStack({ storePort });
    return {
      ...stack,
      /** Where the browser reaches the store (presigned URLs point here). */
      publicStoreEndpoint: relay.url,
      async cleanup() {
        await stack.cleanup();
        await relay.close();
      },
    };
  } catch (error) {
    await relay.close();
    throw error;
  }
}

const CORS_HEADERS = { "access-control-allow-origin": "*", "access-control-expose-headers": "ETag" };

async function startCorsRelay(target: string): Promise<{ url: string; close(): Promise<void> }> {
  const [hostname, port] = target.split(":") as [string, string];
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
    // The Host header stays as the browser sent it: it is part of what the URL's signature covers.
    const upstream = http.request({ hostname, port: Number(port), method: request.method, path: request.url, headers: request.headers }, (answer) => {
      response.writeHead(answer.statusCode ?? 502, { ...answer.headers, ...CORS_HEADERS });
      answer.pipe(response);
    });
    upstream.on("error", (error) => {
      if (!response.headersSent) response.writeHead(502, CORS_HEADERS);
      response.end(`store relay: ${error.message}`);
    });
    request.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
