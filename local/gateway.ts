import { isUtf8 } from "node:buffer";
import { randomUUID } from "node:crypto";
import { createReadStream, existsSync, statSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from "aws-lambda";
import type { RouteDefinition } from "../functions/manifest";
import { decodeComponent } from "../lib/http/request";
import { log } from "../lib/log";
import { lambdaContext, loadHandler } from "./lambda-context";
import { installLocalStreamingRuntime, LocalResponseStream } from "./lambda-streaming";

type HttpFunction = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;
type StreamingFunction = (event: APIGatewayProxyEventV2, stream: LocalResponseStream, context: Context) => Promise<void>;

/** API Gateway's HTTP API payload limit. */
const MAX_BODY_BYTES = 10 * 1024 * 1024;

interface CompiledRoute {
  definition: RouteDefinition;
  routeKey: string;
  pattern: RegExp;
  names: string[];
}

export interface Gateway {
  server: http.Server;
  url: string;
  close(): Promise<void>;
}

/**
 * The local API Gateway: turns each HTTP request into a payload-format-2.0 event, invokes the same
 * middy-wrapped handler Lambda would, and writes its structured result back. Anything that is not an
 * API route is served from `webDir` (the built web app, web/dist).
 */
export async function startGateway(options: { root: string; routes: RouteDefinition[]; port: number; webDir?: string }): Promise<Gateway> {
  // Streaming handlers call Lambda's `awslambda` global when their module loads.
  installLocalStreamingRuntime();
  const compiled = options.routes.map(compileRoute);
  const handlers = new Map<string, Promise<HttpFunction>>();
  const handlerFor = (definition: RouteDefinition) => {
    let loaded = handlers.get(definition.handler);
    if (!loaded) {
      loaded = loadHandler<HttpFunction>(options.root, definition.handler);
      handlers.set(definition.handler, loaded);
    }
    return loaded;
  };

  const server = http.createServer((request, response) => {
    handle(request, response).catch((error) => {
      log.error("gateway failure", { error });
      if (!response.headersSent) writeJson(response, 500, { error: "internal_error", message: "The local gateway failed." });
      else response.destroy();
    });
  });

  async function handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const url = new URL(request.url ?? "/", "http://localhost");
    const method = (request.method ?? "GET").toUpperCase();
    const candidates = compiled.filter((route) => route.pattern.test(url.pathname));
    if (candidates.length === 0) {
      if (options.webDir && (method === "GET" || method === "HEAD")) {
        const served = serveStatic(options.webDir, url.pathname, response);
        if (served === "malformed") return writeJson(response, 400, { error: "invalid_request", message: "The address has a malformed %-escape." });
        if (served) return;
        if (url.pathname === "/") {
          return writeJson(response, 503, { error: "web_not_built", message: "The web app is not built: run npm run build:web (npm start does it for you)." });
        }
      }
      return writeJson(response, 404, { error: "not_found", message: `No route for ${method} ${url.pathname}.` });
    }
    const route = candidates.find((candidate) => candidate.definition.method === method);
    if (!route) return writeJson(response, 405, { error: "method_not_allowed", message: `${method} is not allowed on ${url.pathname}.` });

    const pathParameters = decodePathParameters(route, url.pathname);
    if (!pathParameters) return writeJson(response, 400, { error: "invalid_request", message: "The address has a malformed %-escape." });
    const body = await readBody(request);
    if (body === undefined) return refuseOversizeBody(request, response);
    const event = toEvent(request, url, route, body, pathParameters);
    const context = lambdaContext(route.definition.handler, route.definition.timeoutSeconds ?? 30);
    if (route.definition.streaming) {
      // As a function URL in RESPONSE_STREAM mode: the handler writes to the response as it goes.
      const stream = new LocalResponseStream(response);
      await ((await handlerFor(route.definition)) as unknown as StreamingFunction)(event, stream, context);
      return;
    }
    const fn = await handlerFor(route.definition);
    writeResult(response, await fn(event, context));
  }

  await new Promise<void>((resolve) => server.listen(options.port, "127.0.0.1", resolve));
  server.keepAliveTimeout = 5_000;
  const port = (server.address() as { port: number }).port;
  return {
    server,
    url: `http://localhost:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function compileRoute(definition: RouteDefinition): CompiledRoute {
  const names: string[] = [];
  const source = definition.path
    .split("/")
    .map((segment) => {
      const match = /^\{(\w+)\}$/.exec(segment);
      if (!match) return segment.replace(/[.*+?^$()|[\]\\]/g, "\\$&");
      names.push(match[1]!);
      return "([^/]+)";
    })
    .join("/");
  return { definition, routeKey: `${definition.method} ${definition.path}`, pattern: new RegExp(`^${source}/?$`), names };
}

/**
 * The whole body, or `undefined` once it is over API Gateway's limit (announced by Content-Length, or
 * found while reading); the rest is then left to {@link refuseOversizeBody}.
 */
function readBody(request: http.IncomingMessage): Promise<Buffer | undefined> {
  if (Number(request.headers["content-length"] ?? 0) > MAX_BODY_BYTES) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) return void chunks.push(chunk);
      request.off("data", onData);
      chunks.length = 0;
      resolve(undefined);
    };
    request.on("data", onData);
    request.on("end", () => resolve(Buffer.concat(chunks)));
    request.on("error", reject);
  });
}

/**
 * 413 as API Gateway answers it. The rest of the body is read and dropped, so the client gets to read
 * the answer: closing while it still sends would reset the connection and lose the answer. A client
 * that keeps sending is cut off after a while.
 */
function refuseOversizeBody(request: http.IncomingMessage, response: http.ServerResponse): void {
  response.setHeader("connection", "close");
  writeJson(response, 413, { error: "payload_too_large", message: `The request body is over the ${MAX_BODY_BYTES / 1024 / 1024} MB limit.` });
  const cutOff = setTimeout(() => request.destroy(), 10_000).unref();
  request.on("end", () => clearTimeout(cutOff));
  request.resume();
}

/** The route's path parameters, decoded; `undefined` if one has a malformed %-escape. */
function decodePathParameters(route: CompiledRoute, pathname: string): Record<string, string> | undefined {
  const match = route.pattern.exec(pathname)!;
  const decoded: Record<string, string> = {};
  for (const [index, name] of route.names.entries()) {
    const value = decodeComponent(match[index + 1]!);
    if (value === undefined) return undefined;
    decoded[name] = value;
  }
  return decoded;
}

function toEvent(request: http.IncomingMessage, url: URL, route: CompiledRoute, body: Buffer, pathParameters: Record<string, string>): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined && name !== "cookie") headers[name] = Array.isArray(value) ? value.join(",") : value;
  }
  const cookies = request.headers.cookie?.split(";").map((pair) => pair.trim()).filter(Boolean);
  const query = [...url.searchParams.keys()].length
    ? Object.fromEntries([...new Set(url.searchParams.keys())].map((key) => [key, url.searchParams.getAll(key).join(",")]))
    : undefined;
  // Text goes through as a string, as API Gateway passes text bodies; bytes that are not UTF-8 stay
  // base64 so nothing is silently replaced before the function sees it.
  const textual = isTextual(headers["content-type"]) && !route.definition.rawBody && isUtf8(body);
  const now = new Date();
  return {
    version: "2.0",
    routeKey: route.routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    ...(cookies?.length ? { cookies } : {}),
    headers,
    ...(query ? { queryStringParameters: query } : {}),
    ...(route.names.length ? { pathParameters } : {}),
    requestContext: {
      accountId: "000000000000",
      apiId: "local",
      domainName: headers.host ?? "localhost",
      domainPrefix: "localhost",
      http: {
        method: request.method ?? "GET",
        path: url.pathname,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.socket.remoteAddress ?? "127.0.0.1",
        userAgent: headers["user-agent"] ?? "",
      },
      requestId: randomUUID(),
      routeKey: route.routeKey,
      stage: "$default",
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    ...(body.length ? { body: textual ? body.toString("utf8") : body.toString("base64") } : {}),
    isBase64Encoded: body.length > 0 && !textual,
  };
}

function isTextual(contentType: string | undefined): boolean {
  return !contentType || /^(application\/json|text\/|application\/x-www-form-urlencoded)/i.test(contentType);
}

function writeResult(response: http.ServerResponse, result: APIGatewayProxyStructuredResultV2): void {
  for (const [name, value] of Object.entries(result.headers ?? {})) response.setHeader(name, String(value));
  if (result.cookies?.length) response.setHeader("set-cookie", result.cookies);
  response.statusCode = result.statusCode ?? 200;
  const body = result.body === undefined ? undefined : Buffer.from(result.body, result.isBase64Encoded ? "base64" : "utf8");
  response.end(body);
}

function writeJson(response: http.ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { "content-type": "application/json; charset=utf-8" });
  response.end(JSON.stringify(body));
}

const contentTypes: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json; charset=utf-8",
};

function serveStatic(webDir: string, pathname: string, response: http.ServerResponse): boolean | "malformed" {
  const decoded = decodeComponent(pathname);
  if (decoded === undefined) return "malformed";
  const relative = decoded.replace(/^\/+/, "") || "index.html";
  const file = path.resolve(webDir, relative);
  if (!file.startsWith(path.resolve(webDir) + path.sep) || !existsSync(file) || !statSync(file).isFile()) return false;
  response.writeHead(200, {
    "content-type": contentTypes[path.extname(file)] ?? "application/octet-stream",
    // Vite names built assets by their content hash; everything else is checked on each load.
    "cache-control": relative.startsWith("assets/") ? "public, max-age=31536000, immutable" : "no-cache",
    "x-content-type-options": "nosniff",
  });
  createReadStream(file).pipe(response);
  return true;
}
