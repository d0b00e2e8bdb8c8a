import http from "node:http";
import type { AddressInfo } from "node:net";
import { checkPresignedRequest, type StoreCredentials } from "./presigned-requests";

const CORS_HEADERS = { "access-control-allow-origin": "*", "access-control-expose-headers": "ETag" };

export interface CorsRelay {
  url: string;
  close(): Promise<void>;
}

/**
 * The store's address for browsers, in front of the emulator (which checks no signature at all and
 * listens on loopback only). Like the B2 bucket in production it:
 * - answers CORS preflights as a permissive bucket rule would and exposes `ETag` (multipart completion
 *   needs it): the page PUTs files straight to the store, another origin;
 * - verifies every other request's SigV4 signature, as a presigned URL (method, key, query and signed
 *   headers including the length; credential; expiry) or as an `Authorization` header made with the
 *   stack's keys (so the SDK or the AWS CLI can look inside a local vault), and answers 403 with S3's
 *   error XML otherwise, so a URL issued for one key cannot write another, however its path is edited.
 * What passes is relayed byte for byte. Functions talk to the emulator directly.
 */
export async function startCorsRelay(options: { target: string; port: number; credentials: StoreCredentials }): Promise<CorsRelay> {
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
    const refusal = checkPresignedRequest({ method: request.method ?? "GET", url: request.url ?? "/", headers: request.headers }, options.credentials);
    if (refusal) return refuse(request, response, refusal);
    // The Host header stays as the browser sent it: it is part of what the URL's signature covers.
    const upstream = http.request(
      { hostname: target.hostname, port: Number(target.port), method: request.method, path: request.url, headers: request.headers },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, { ...endToEndHeaders(answer.headers), ...CORS_HEADERS });
        answer.pipe(response);
      },
    );
    upstream.on("error", (error) => {
      if (!response.headersSent) response.writeHead(502, CORS_HEADERS);
      response.end(`store relay: ${error.message}`);
    });
    request.pipe(upstream);
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

/**
 * The answer's headers without its hop-by-hop ones (RFC 9110 §7.6.1): `Connection` and `Keep-Alive` describe
 * the emulator's connection to this relay, not this relay's to the client. Relayed, they told clients to keep
 * an idle connection for the emulator's 72 s while this server closed it, so a later PUT on it met
 * ECONNRESET. Node writes this server's own.
 */
function endToEndHeaders(headers: http.IncomingHttpHeaders): http.IncomingHttpHeaders {
  const named = new Set(["connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection"]);
  for (const token of String(headers.connection ?? "").split(",")) named.add(token.trim().toLowerCase());
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !named.has(name)));
}

/** 403 with S3's error document; the body being sent is read and dropped so the client sees the answer. */
function refuse(request: http.IncomingMessage, response: http.ServerResponse, refusal: { code: string; message: string }): void {
  response.writeHead(403, { ...CORS_HEADERS, "content-type": "application/xml", connection: "close" });
  response.end(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${refusal.code}</Code><Message>${refusal.message}</Message></Error>`);
  const cutOff = setTimeout(() => request.destroy(), 10_000).unref();
  request.on("end", () => clearTimeout(cutOff));
  request.resume();
}
