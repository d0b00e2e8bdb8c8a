import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { httpHandler } from "../../lib/http/handler";
import { rawBody, type HttpEvent } from "../../lib/http/request";
import { json, type HttpResult } from "../../lib/http/response";
import { requireUser } from "../../lib/http/session";
import { getRetrievalDeps } from "../../lib/search/deps";
import { createVaultMcpServer } from "../../lib/search/mcp-tools";
import { requireFeature } from "../../lib/tiers/features";

/**
 * POST /mcp (and GET, which answers 405): the vault as a remote MCP server (streamable HTTP transport,
 * https://modelcontextprotocol.io/specification/2025-06-18/basic/transports#streamable-http) in the
 * SDK's stateless mode: no session id, a fresh server per request, JSON responses instead of an SSE
 * stream, since API Gateway buffers responses and any container may take the next request.
 * Authenticated by `Authorization: Bearer` (a personal access token or a session token).
 */
export async function main(event: HttpEvent): Promise<HttpResult> {
  const deps = getRetrievalDeps();
  const user = await requireUser(deps.db, event);
  // The spec lets a server without a server-to-client stream answer GET with 405; there are no sessions to DELETE.
  if (event.requestContext.http.method !== "POST") {
    return json(405, { error: "method_not_allowed", message: "This MCP server is stateless: send JSON-RPC with POST." }, { headers: { allow: "POST" } });
  }
  await requireFeature(deps.db, user.userId, "memory_search");
  const server = createVaultMcpServer(deps, user.userId);
  const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  await server.connect(transport);
  try {
    const response = await transport.handleRequest(toRequest(event));
    return await toResult(response);
  } finally {
    await server.close();
  }
}

function toRequest(event: HttpEvent): Request {
  const url = `https://${event.requestContext.domainName}${event.rawPath}${event.rawQueryString ? `?${event.rawQueryString}` : ""}`;
  const method = event.requestContext.http.method;
  const headers = new Headers();
  for (const [name, value] of Object.entries(event.headers ?? {})) if (value !== undefined) headers.set(name, value);
  const body = method === "GET" || method === "HEAD" ? undefined : rawBody(event);
  return new Request(url, { method, headers, body });
}

async function toResult(response: Response): Promise<HttpResult> {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  return { statusCode: response.status, headers, body: await response.text() };
}

export const handler = httpHandler(main);
