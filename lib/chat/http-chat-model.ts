/**
 * A client for any OpenAI-compatible `POST /chat/completions` server (OpenAI, xAI's Grok, DeepInfra,
 * vLLM, Ollama), whole or streamed as server-sent events
 * (https://platform.openai.com/docs/api-reference/chat-streaming). 429s, 5xx, network errors and
 * timeouts are retried with the embedder's rules (full-jitter backoff, `Retry-After` honoured up to a
 * bound), but only until the first piece of a streamed reply has been passed on: after that a retry
 * would say things twice, so a broken stream fails the reply.
 */
import { createParser } from "eventsource-parser";
import { Agent, type Dispatcher } from "undici";
import { backoffDelayMs, isRetryableStatus, parseRetryAfterMs, sleep, type RetryPolicy } from "../embeddings/retry-policy";
import { ChatModelError, type ChatCompletion, type ChatModel, type ChatRequest, type ChatTokenUsage } from "./chat-model";

export interface HttpChatModelOptions {
  /** OpenAI-compatible base URL, e.g. `https://api.x.ai/v1` or `http://localhost:11434/v1`. */
  baseUrl: string;
  model: string;
  /** Sent as `Authorization: Bearer <apiKey>` when set. */
  apiKey?: string;
  /** Per attempt, from sending to the last byte (default 60 s). */
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  dispatcher?: Dispatcher;
  random?: () => number;
}

/**
 * A person is waiting: fewer, shorter retries than the embedder's, and no waiting out a long `Retry-After`.
 */
export const chatRetryPolicy: RetryPolicy = { maxAttempts: 3, baseDelayMs: 300, maxDelayMs: 3_000, maxRetryAfterMs: 10_000, maxBadResponseRetries: 1 };

type Attempt =
  | { kind: "ok"; completion: ChatCompletion }
  /** Worth another try, unless part of the reply has already been passed on (`delivered`). */
  | { kind: "transient"; reason: string; status?: number; retryAfterMs?: number; delivered: boolean }
  | { kind: "rejected"; status: number; reason: string }
  | { kind: "bad-answer"; reason: string; delivered: boolean };

class AttemptTimedOut extends Error {}

export function chatCompletionsRoute(baseUrl: string): { origin: string; path: string } {
  const url = new URL(baseUrl);
  return { origin: url.origin, path: `${url.pathname.replace(/\/+$/, "")}/chat/completions${url.search}` };
}

/** A hosted chat model; `close()` releases its connections. */
export function createHttpChatModel(options: HttpChatModelOptions): ChatModel & { close(): Promise<void> } {
  const route = chatCompletionsRoute(options.baseUrl);
  const timeoutMs = options.timeoutMs ?? 60_000;
  const policy: RetryPolicy = { ...chatRetryPolicy, ...options.retry };
  const random = options.random ?? Math.random;
  const ownAgent = options.dispatcher ? undefined : new Agent({ keepAliveTimeout: 30_000, connectTimeout: Math.min(10_000, timeoutMs) });
  const dispatcher = options.dispatcher ?? ownAgent!;

  async function attempt(request: ChatRequest): Promise<Attempt> {
    const controller = new AbortController();
    const onAbort = () => controller.abort(request.signal?.reason);
    request.signal?.addEventListener("abort", onAbort, { once: true });
    const timer = setTimeout(() => controller.abort(new AttemptTimedOut()), timeoutMs);
    const streaming = request.onDelta !== undefined;
    let delivered = false;
    const headers: Record<string, string> = { "content-type": "application/json", accept: streaming ? "text/event-stream" : "application/json" };
    if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`;
    try {
      const response = await dispatcher.request({
        ...route,
        method: "POST",
        headers,
        body: JSON.stringify({
          model: options.model,
          messages: request.messages,
          ...(streaming ? { stream: true, stream_options: { include_usage: true } } : {}),
        }),
        signal: controller.signal,
      });
      const status = response.statusCode;
      if (status < 200 || status >= 300) {
        const reason = `HTTP ${status}: ${providerMessage(await response.body.text().catch(() => ""))}`;
        if (isRetryableStatus(status)) return { kind: "transient", status, reason, retryAfterMs: parseRetryAfterMs(response.headers["retry-after"]), delivered };
        return { kind: "rejected", status, reason };
      }
      if (!streaming) return wholeAnswer(await response.body.text(), options.model);
      return await streamedAnswer(response.body, options.model, (text) => {
        delivered = true;
        request.onDelta!(text);
      });
    } catch (error) {
      if (request.signal?.aborted) throw request.signal.reason;
      const reason = controller.signal.reason instanceof AttemptTimedOut ? `no complete answer within ${timeoutMs} ms` : `network error: ${(error as Error).message}`;
      return { kind: "transient", reason, delivered };
    } finally {
      clearTimeout(timer);
      request.signal?.removeEventListener("abort", onAbort);
    }
  }

  return {
    model: options.model,
    offline: false,
    async reply(request) {
      try {
        return await replyWithRetries(request);
      } catch (error) {
        // The caller's deadline (its function's remaining time) passed while waiting for the model.
        if (request.signal?.aborted && !(error instanceof ChatModelError)) {
          throw new ChatModelError("chat_model_unavailable", { model: options.model, origin: route.origin, reason: "the request's deadline passed" }, error);
        }
        throw error;
      }
    },
    async close() {
      await ownAgent?.close();
    },
  };

  async function replyWithRetries(request: ChatRequest): Promise<ChatCompletion> {
    const where = { model: options.model, origin: route.origin };
    let badAnswers = 0;
    for (let attempts = 1; ; attempts++) {
      const outcome = await attempt(request);
      if (outcome.kind === "ok") return outcome.completion;
      if (outcome.kind === "rejected") throw new ChatModelError("chat_model_rejected", { ...where, attempts, httpStatus: outcome.status, reason: outcome.reason });
      if (outcome.kind === "bad-answer") badAnswers++;
      const giveUp =
        outcome.delivered ||
        attempts >= policy.maxAttempts ||
        badAnswers > policy.maxBadResponseRetries ||
        (outcome.kind === "transient" && (outcome.retryAfterMs ?? 0) > policy.maxRetryAfterMs);
      if (giveUp) {
        const code = outcome.kind === "bad-answer" ? "chat_model_bad_response" : "chat_model_unavailable";
        throw new ChatModelError(code, { ...where, attempts, reason: outcome.reason, ...(outcome.kind === "transient" ? { httpStatus: outcome.status } : {}) });
      }
      const retryAfterMs = outcome.kind === "transient" ? outcome.retryAfterMs : undefined;
      await sleep(retryAfterMs !== undefined ? retryAfterMs + Math.floor(random() * policy.baseDelayMs) : backoffDelayMs(attempts, policy, random), request.signal);
    }
  }
}

function providerMessage(text: string): string {
  try {
    const parsed = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown };
    const message = typeof parsed.error === "string" ? parsed.error : (parsed.error?.message ?? parsed.message);
    if (typeof message === "string") return message.slice(0, 300);
  } catch {
    // not JSON: fall through to the raw text
  }
  return text.slice(0, 300) || "(no body)";
}

function tokenUsage(value: unknown): ChatTokenUsage | null {
  const usage = value as Partial<ChatTokenUsage> | undefined;
  if (!usage || typeof usage.prompt_tokens !== "number" || typeof usage.completion_tokens !== "number") return null;
  return { prompt_tokens: usage.prompt_tokens, completion_tokens: usage.completion_tokens, total_tokens: usage.total_tokens ?? usage.prompt_tokens + usage.completion_tokens };
}

function wholeAnswer(text: string, model: string): Attempt {
  try {
    const parsed = JSON.parse(text) as { choices?: Array<{ message?: { content?: unknown } }>; usage?: unknown };
    const content = parsed.choices?.[0]?.message?.content;
    if (typeof content !== "string") return { kind: "bad-answer", reason: "no choices[0].message.content in the answer", delivered: false };
    return { kind: "ok", completion: { reply: content, model, tokens: tokenUsage(parsed.usage) } };
  } catch {
    return { kind: "bad-answer", reason: "the answer is not JSON", delivered: false };
  }
}

/** Reads `chat.completion.chunk` events until `[DONE]` (or a finish reason and the end of the body). */
async function streamedAnswer(body: AsyncIterable<Buffer | string>, model: string, onDelta: (text: string) => void): Promise<Attempt> {
  let reply = "";
  let tokens: ChatTokenUsage | null = null;
  let finished = false;
  let broken: string | undefined;
  const parser = createParser({
    onEvent(event) {
      if (event.data === "[DONE]") {
        finished = true;
        return;
      }
      try {
        const chunk = JSON.parse(event.data) as { choices?: Array<{ delta?: { content?: unknown }; finish_reason?: unknown }>; usage?: unknown };
        const choice = chunk.choices?.[0];
        if (typeof choice?.delta?.content === "string" && choice.delta.content !== "") {
          reply += choice.delta.content;
          onDelta(choice.delta.content);
        }
        if (choice?.finish_reason) finished = true;
        tokens = tokenUsage(chunk.usage) ?? tokens;
      } catch {
        broken = "a streamed chunk is not JSON";
      }
    },
  });
  const decoder = new TextDecoder();
  for await (const piece of body) parser.feed(typeof piece === "string" ? piece : decoder.decode(piece, { stream: true }));
  if (broken || !finished) return { kind: "bad-answer", reason: broken ?? "the stream ended before the reply was finished", delivered: reply !== "" };
  return { kind: "ok", completion: { reply, model, tokens } };
}
