/**
 * A stand-in for an OpenAI-compatible chat-completions server (OpenAI, xAI, DeepInfra, Ollama), for tests
 * and benchmarks: `POST /chat/completions` and `POST /v1/chat/completions`, answered as one JSON object or
 * as server-sent `chat.completion.chunk` events when `stream: true`
 * (https://platform.openai.com/docs/api-reference/chat-streaming), with injectable trouble: latency,
 * 429 with `Retry-After`, 500, 400, a stream cut off half-way, and requests that never answer.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

export type ChatStandInOutcome = "ok" | "rate-limit" | "server-error" | "bad-request" | "cut" | "hang";

export interface ChatStandInBehaviour {
  /** Delay before the answer (or its first chunk). */
  latencyMs: number;
  /** Delay between streamed chunks. */
  chunkDelayMs: number;
  /** `Retry-After` on 429s, in seconds; `null` sends none. */
  retryAfterSeconds: number | null;
  /** Outcomes for the next requests, one each, in order; then "ok". */
  script: ChatStandInOutcome[];
  /** When set, requests without `Authorization: Bearer <apiKey>` get 401. */
  apiKey: string | null;
  /** The answer to a request; by default it names the last user message and the memories it was shown. */
  reply: (messages: ChatMessageIn[]) => string;
}

export interface ChatMessageIn {
  role: string;
  content: string;
}

export interface ChatStandInRequest {
  model: string;
  stream: boolean;
  messages: ChatMessageIn[];
  authorization?: string;
}

export interface ChatStandInStats {
  requests: number;
  outcomes: Record<ChatStandInOutcome, number>;
  unauthorized: number;
  lastRequest?: ChatStandInRequest;
}

export interface ChatStandIn {
  /** Base URL without a trailing slash; `/v1` under it works too. */
  url: string;
  stats(): ChatStandInStats;
  /** Every request received so far, oldest first. */
  requests(): ChatStandInRequest[];
  /** Forgets the counts and the requests received (between tests). */
  resetStats(): void;
  setBehaviour(patch: Partial<ChatStandInBehaviour>): void;
  close(): Promise<void>;
}

/** Memory labels in the system prompt look like `[3] 2024-03-05 · ChatGPT · "Title"`. */
const MEMORY_LABEL = /^\[(\d+)\] .+$/gm;

/** The default answer: deterministic, and it shows what the model was given. */
export function echoReply(messages: ChatMessageIn[]): string {
  const question = [...messages].reverse().find((message) => message.role === "user")?.content ?? "";
  const system = messages.find((message) => message.role === "system")?.content ?? "";
  const labels = [...system.matchAll(MEMORY_LABEL)].map((match) => match[0]);
  const memories = labels.length === 0 ? "No memories were given." : `I was given ${labels.length} memories; the first is ${labels[0]}.`;
  return `You asked: ${question} ${memories}`;
}

export const defaultChatStandInBehaviour: Readonly<ChatStandInBehaviour> = {
  latencyMs: 0,
  chunkDelayMs: 0,
  retryAfterSeconds: 1,
  script: [],
  apiKey: null,
  reply: echoReply,
};

const ROUTES = new Set(["/chat/completions", "/v1/chat/completions"]);

/** Starts a stand-in on 127.0.0.1; `close()` it when done. */
export async function startChatStandIn(options: Partial<ChatStandInBehaviour> & { port?: number } = {}): Promise<ChatStandIn> {
  const behaviour: ChatStandInBehaviour = { ...defaultChatStandInBehaviour, ...options, script: [...(options.script ?? [])] };
  const freshStats = (): ChatStandInStats => ({ requests: 0, unauthorized: 0, outcomes: { ok: 0, "rate-limit": 0, "server-error": 0, "bad-request": 0, cut: 0, hang: 0 } });
  let stats = freshStats();
  let received: ChatStandInRequest[] = [];
  const open = new Set<ServerResponse>();
  let sequence = 0;

  const server = createServer({ keepAliveTimeout: 65_000, requestTimeout: 0 }, (req, res) => void handle(req, res).catch(() => res.destroy()));

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? "").split("?")[0]!;
    if (req.method !== "POST" || !ROUTES.has(path)) return sendError(res, 404, `no route ${req.method} ${path}`);
    open.add(res);
    res.on("close", () => open.delete(res));
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    stats.requests++;
    if (behaviour.apiKey !== null && req.headers.authorization !== `Bearer ${behaviour.apiKey}`) {
      stats.unauthorized++;
      return sendError(res, 401, "Incorrect API key provided");
    }
    let body: { model?: unknown; stream?: unknown; messages?: unknown };
    try {
      body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    } catch {
      return sendError(res, 400, "request body is not JSON");
    }
    const messages = Array.isArray(body.messages) ? (body.messages as ChatMessageIn[]) : [];
    if (messages.length === 0 || !messages.every((message) => typeof message?.role === "string" && typeof message?.content === "string")) {
      return sendError(res, 400, "messages must be a non-empty array of {role, content}");
    }
    const request: ChatStandInRequest = { model: String(body.model), stream: body.stream === true, messages, authorization: req.headers.authorization };
    received.push(request);
    stats.lastRequest = request;

    const outcome = behaviour.script.shift() ?? "ok";
    stats.outcomes[outcome]++;
    if (outcome === "hang") return;
    if (behaviour.latencyMs > 0) await sleep(behaviour.latencyMs);
    if (res.destroyed) return;
    switch (outcome) {
      case "rate-limit":
        if (behaviour.retryAfterSeconds !== null) res.setHeader("retry-after", String(behaviour.retryAfterSeconds));
        return sendError(res, 429, "Rate limit reached for requests");
      case "server-error":
        return sendError(res, 500, "The server had an error while processing your request");
      case "bad-request":
        return sendError(res, 400, "the stand-in was told to reject this request");
    }
    const reply = behaviour.reply(messages);
    const id = `chatcmpl-standin-${++sequence}`;
    const usage = { prompt_tokens: Math.ceil(JSON.stringify(messages).length / 4), completion_tokens: Math.ceil(reply.length / 4), total_tokens: 0 };
    usage.total_tokens = usage.prompt_tokens + usage.completion_tokens;
    if (!request.stream) {
      const answer = { id, object: "chat.completion", created: Math.floor(Date.now() / 1000), model: request.model, choices: [{ index: 0, message: { role: "assistant", content: reply }, finish_reason: "stop" }], usage };
      res.writeHead(200, { "content-type": "application/json" });
      return void res.end(JSON.stringify(answer));
    }
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    const pieces = reply.match(/\S+\s*/g) ?? [reply];
    const chunk = (delta: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
      `data: ${JSON.stringify({ id, object: "chat.completion.chunk", model: request.model, choices: [{ index: 0, delta, finish_reason: null }], ...extra })}\n\n`;
    res.write(chunk({ role: "assistant", content: "" }));
    for (const [index, piece] of pieces.entries()) {
      if (outcome === "cut" && index === Math.floor(pieces.length / 2)) {
        // What was written reaches the client before the connection drops, as when a server dies mid-answer.
        await new Promise<void>((resolve) => res.write("", () => resolve()));
        await sleep(20);
        return void res.destroy();
      }
      if (behaviour.chunkDelayMs > 0) await sleep(behaviour.chunkDelayMs);
      if (res.destroyed) return;
      res.write(chunk({ content: piece }));
    }
    res.write(`data: ${JSON.stringify({ id, object: "chat.completion.chunk", model: request.model, choices: [], usage })}\n\n`);
    res.end("data: [DONE]\n\n");
  }

  await new Promise<void>((resolve) => server.listen({ port: options.port ?? 0, host: "127.0.0.1" }, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stats: () => structuredClone({ ...stats, lastRequest: stats.lastRequest }),
    requests: () => [...received],
    resetStats() {
      stats = freshStats();
      received = [];
    },
    setBehaviour(patch) {
      Object.assign(behaviour, patch);
      if (patch.script) behaviour.script = [...patch.script];
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const res of open) res.destroy();
      server.closeAllConnections();
      await closed;
    },
  };
}

function sendError(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify({ error: { message, type: status === 429 ? "rate_limit_error" : status >= 500 ? "server_error" : "invalid_request_error" } }));
}
