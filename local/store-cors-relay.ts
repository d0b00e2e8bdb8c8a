import http from "node:http";
import type { AddressInfo } from "node:net";

const CORS_HEADERS = { "access-control-allow-origin": "*", "access-control-expose-headers": "ETag" };

export interface CorsRelay {
  url: string;
  close(): Promise<void>;
}

/**
 * The store's address for browsers. The page PUTs files straight to the store, another origin, so the
 * store must answer CORS preflights and expose `ETag` (multipart completion needs it), as the B2
 * bucket's CORS rule does in production. The emulator (fauxqs 2.4.1) has no CORS at all, so this relay
 * answers preflights as a permissive bucket rule would and passes everything else through byte for
 * byte, adding only the CORS headers. Functions talk to the emulator directly.
 */
export async function startCorsRelay(options: { target: string; port: number }): Promise<CorsRelay> {
  const target = new URL(options.target);
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
    const upstream = http.request(
      { hostname: target.hostname, port: Number(target.port), method: request.method, path: request.url, headers: request.headers },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, { ...answer.headers, ...CORS_HEADERS });
        answer.pipe(response);
      },
    );
    upstream.on("error", (error) => {
      if (!response.headersSent) response.writeHead(502, CORS_HEADERS);
      response.end(`store relay: ${error.message}`);
    });
    request.pipe(upstream);
  });
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
