/**
 * A stand-in for an OpenAI-compatible embeddings provider (DeepInfra-like), for tests, benchmarks and
 * the local stack: `POST /embeddings` and `POST /v1/embeddings`, deterministic vectors in `float` or
 * `base64`, and injectable trouble (latency, a concurrency limit answered with 429, scripted or random
 * 429 / 500 / garbled JSON / wrong dimensions / hangs), with counters to check a client against.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { gzipSync } from "node:zlib";
import { bytesToText } from "../lib/embeddings/embeddings-response";
import { fnv1a, hashedFeatureVector } from "../lib/embeddings/hashed-features";

/** What the stand-in does with one request. */
export type StandInOutcome =
  | "ok"
  /** 429 with `Retry-After`, as when over a rate limit. */
  | "rate-limit"
  /** 500 with an error body. */
  | "server-error"
  /** 200 with a body cut off mid-JSON, as a misbehaving proxy might send. */
  | "malformed"
  /** 200 with vectors of half the expected length. */
  | "wrong-dimension"
  /** Never answers (until the client gives up or the stand-in closes). */
  | "hang"
  /** 400 with an OpenAI-shaped error message. */
  | "bad-request";

export interface StandInBehaviour {
  /** Delay before every answer except concurrency-limit 429s. */
  latencyMs: number;
  /** Requests allowed open at once; one more is answered 429 at once, like DeepInfra's per-model limit. */
  maxConcurrent: number;
  /** `Retry-After` on 429s, in seconds; `null` sends none. */
  retryAfterSeconds: number | null;
  /** Outcomes for the next requests, one each, in order; consumed before `rates` apply. */
  script: StandInOutcome[];
  /** Fractions of requests (after the script runs out) given each outcome; the rest are "ok". */
  rates: Partial<Record<StandInOutcome, number>>;
  /** Answer float arrays even when `encoding_format: "base64"` was asked for (some servers do). */
  ignoreEncodingFormat: boolean;
  /**
   * How vectors are made. `local`: the local-hash-v1 vector of the text (meaningful, ~25 µs each).
   * `cheap`: one of 64 precomputed dense unit vectors picked by a hash of the text (deterministic, ~free),
   * for benchmarks that measure the client, not the server's CPU.
   */
  vectors: "local" | "cheap";
  /** When set, requests without `Authorization: Bearer <apiKey>` get 401. */
  apiKey: string | null;
  /** When set, an input longer than this many characters gets 400 "maximum context length", as OpenAI does. */
  maxInputChars: number | null;
  /** Gzip answers although the client did not ask, as some proxies do. */
  gzipAnswers: boolean;
}

export interface StandInOptions extends Partial<StandInBehaviour> {
  /** Vector length of "ok" answers (default 1024). */
  dim?: number;
  /** Port to listen on (default: any free port), always on 127.0.0.1. */
  port?: number;
  /** Seed for `rates` (default 1), so a run with random failures can be repeated. */
  seed?: number;
}

export interface StandInStats {
  /** Requests to the embeddings routes, including those refused. */
  requests: number;
  /** Inputs in requests that got past the concurrency limit and authentication. */
  texts: number;
  active: number;
  /** Most requests open at once (concurrency-limit refusals are never counted as open). */
  peakConcurrent: number;
  /** 429s sent because `maxConcurrent` requests were already open. */
  overConcurrencyLimit: number;
  unauthorized: number;
  outcomes: Record<StandInOutcome, number>;
  /** Where the time of answered requests (vectors sent, after the latency) went: sums over `answers`, in ms. */
  timing: StandInTiming;
  lastRequest?: { model: string; encodingFormat: string; inputLengths: number[]; authorization?: string };
}

/**
 * Sums over answered requests, in ms; divide by `answers` for means. `arrivedAt` sums absolute times
 * (`performance.timeOrigin + performance.now()`, comparable across processes on one machine), so a client
 * that sums its send times the same way gets the mean time its requests took to reach the stand-in.
 */
export interface StandInTiming {
  answers: number;
  /** When the request's headers had been parsed and the handler ran. */
  arrivedAt: number;
  /** From arrival to the whole body read. */
  receiving: number;
  /** How much later than `latencyMs` the wait ended: the stand-in's own queueing (its event loop). */
  late: number;
  /** Parsing the request and building the answer (before the wait), handing it to the socket (after). */
  answering: number;
  /** From handing it over to the last byte accepted by the kernel (`finish`): a client slow to read shows here. */
  flushing: number;
}

export interface EmbeddingStandIn {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:40123`; `/v1` under it works too. */
  url: string;
  stats(): StandInStats;
  resetStats(): void;
  setBehaviour(patch: Partial<StandInBehaviour>): void;
  close(): Promise<void>;
}

/** A well-behaved, instant provider without limits; `setBehaviour(defaultStandInBehaviour)` restores it. */
export const defaultStandInBehaviour: Readonly<StandInBehaviour> = {
  latencyMs: 0,
  maxConcurrent: Number.POSITIVE_INFINITY,
  retryAfterSeconds: 1,
  script: [],
  rates: {},
  ignoreEncodingFormat: false,
  vectors: "local",
  apiKey: null,
  maxInputChars: null,
  gzipAnswers: false,
};

const ROUTES = new Set(["/embeddings", "/v1/embeddings"]);

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function emptyOutcomeCounts(): Record<StandInOutcome, number> {
  return { ok: 0, "rate-limit": 0, "server-error": 0, malformed: 0, "wrong-dimension": 0, hang: 0, "bad-request": 0 };
}

/**
 * A dense pseudo-random unit vector, like a real model's (hashed-feature vectors are mostly zeros, which
 * would make float JSON answers unrealistically small).
 */
function denseUnitVector(dim: number, seed: number): Float32Array {
  const random = mulberry32(seed);
  const vector = new Float32Array(dim);
  let sumOfSquares = 0;
  for (let i = 0; i < dim; i++) {
    const x = random() + random() + random() - 1.5;
    vector[i] = x;
    sumOfSquares += x * x;
  }
  const scale = 1 / Math.sqrt(sumOfSquares);
  for (let i = 0; i < dim; i++) vector[i]! *= scale;
  return vector;
}

/** Encodes a vector as it appears in the JSON answer: a quoted base64 string or a number array. */
function encodeVector(vector: Float32Array, base64: boolean): Buffer {
  if (!base64) return Buffer.from(JSON.stringify(Array.from(vector)));
  return Buffer.from(`"${Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString("base64")}"`);
}

const OPEN_LIST = Buffer.from(`{"object":"list","data":[`);
const CLOSE_ITEM = Buffer.from("}");
/** `{"object":"embedding","index":N,"embedding":` (with the comma before all but the first), made once per index. */
const itemStarts: Buffer[] = [];
function itemStart(index: number): Buffer {
  for (let i = itemStarts.length; i <= index; i++) itemStarts.push(Buffer.from(`${i === 0 ? "" : ","}{"object":"embedding","index":${i},"embedding":`));
  return itemStarts[index]!;
}

/** Starts a stand-in on 127.0.0.1; `close()` it when done. */
export async function startEmbeddingStandIn(options: StandInOptions = {}): Promise<EmbeddingStandIn> {
  const dim = options.dim ?? 1024;
  const behaviour: StandInBehaviour = { ...defaultStandInBehaviour, ...options };
  behaviour.script = [...behaviour.script];
  const random = mulberry32(options.seed ?? 1);
  let stats = freshStats();
  function freshStats(): StandInStats {
    const timing = { answers: 0, arrivedAt: 0, receiving: 0, late: 0, answering: 0, flushing: 0 };
    return { requests: 0, texts: 0, active: 0, peakConcurrent: 0, overConcurrencyLimit: 0, unauthorized: 0, outcomes: emptyOutcomeCounts(), timing };
  }

  // Encoded vectors are kept as bytes, and answers are assembled as bytes: a 32-vector base64 answer is
  // ~176 KB, and building it as one string would cost a large-object allocation plus a UTF-8 encode.
  // "cheap" answers reuse 64 pre-encoded vectors, picked by a hash of the text's length and first 256
  // characters: no per-text work beyond that hash. "local" answers are cached by text.
  const cheapVectors = Array.from({ length: 64 }, (_, i) => denseUnitVector(dim, i + 1));
  const cheapEncoded = { base64: cheapVectors.map((v) => encodeVector(v, true)), float: cheapVectors.map((v) => encodeVector(v, false)) };
  const cache = new Map<string, Buffer>();
  function encodedVector(text: string, base64: boolean, length: number): Buffer {
    if (behaviour.vectors === "cheap" && length === dim) {
      const pick = ((fnv1a(text.slice(0, 256)) ^ text.length) >>> 0) % cheapVectors.length;
      return (base64 ? cheapEncoded.base64 : cheapEncoded.float)[pick]!;
    }
    const key = `${base64 ? "b" : "f"}${length}:${text}`;
    let encoded = cache.get(key);
    if (encoded === undefined) {
      encoded = encodeVector(hashedFeatureVector(text, length), base64);
      if (cache.size >= 20_000) cache.clear();
      cache.set(key, encoded);
    }
    return encoded;
  }

  /** The answer as its parts in order: the encoded vectors are shared, never copied into one buffer. */
  function embeddingsAnswer(texts: string[], base64: boolean, length: number, model: string): Buffer[] {
    const parts: Buffer[] = [OPEN_LIST];
    texts.forEach((text, index) => parts.push(itemStart(index), encodedVector(text, base64, length), CLOSE_ITEM));
    const tokens = texts.reduce((sum, t) => sum + Math.ceil(t.length / 4), 0);
    parts.push(Buffer.from(`],"model":${JSON.stringify(model)},"usage":{"prompt_tokens":${tokens},"total_tokens":${tokens}}}`));
    return parts;
  }

  function nextOutcome(): StandInOutcome {
    const scripted = behaviour.script.shift();
    if (scripted) return scripted;
    let roll = random();
    for (const [outcome, rate] of Object.entries(behaviour.rates) as [StandInOutcome, number][]) {
      if (roll < rate) return outcome;
      roll -= rate;
    }
    return "ok";
  }

  const openResponses = new Set<ServerResponse>();
  const server = createServer(
    // Hung requests must stay hung (requestTimeout 0); idle keep-alive sockets outlive the client's 30 s
    // so the client, not the server, closes them and never reuses a socket the server is closing.
    { keepAliveTimeout: 65_000, headersTimeout: 60_000, requestTimeout: 0 },
    // A client that vanishes mid-body makes reading the request throw: drop that connection, keep serving.
    (req, res) => void handle(req, res).catch(() => res.destroy()),
  );

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const arrived = performance.now();
    const path = (req.url ?? "").split("?")[0]!;
    if (req.method !== "POST" || !ROUTES.has(path)) return sendError(res, 404, `no route ${req.method} ${path}`);
    stats.requests++;
    if (stats.active >= behaviour.maxConcurrent) {
      stats.overConcurrencyLimit++;
      return sendRateLimited(res);
    }
    // Count the request as open until its answer is handed to the socket, or the client goes away.
    stats.active++;
    stats.peakConcurrent = Math.max(stats.peakConcurrent, stats.active);
    openResponses.add(res);
    let open = true;
    const release = () => {
      if (!open) return;
      open = false;
      stats.active--;
      openResponses.delete(res);
    };
    res.on("close", release);

    // Everything is read, checked and built before the wait, in `prepare`: across the wait this frame
    // holds the answer's parts, not the request's texts (~64 KB for 32 chat exchanges), which would
    // otherwise live through the latency and be copied and promoted by the young-generation GC.
    const prepared = await prepare(req, res, release);
    if (prepared === undefined) return;
    const waitFrom = performance.now();
    if (behaviour.latencyMs > 0) await sleep(behaviour.latencyMs);
    if (!open) return; // the client gave up while we were "computing"
    const due = performance.now();
    release();
    prepared.send();
    if (!prepared.vectors) return;
    const handedOver = performance.now();
    const timing = stats.timing;
    const received = prepared.received;
    res.once("finish", () => {
      timing.answers++;
      timing.arrivedAt += performance.timeOrigin + arrived;
      timing.receiving += received - arrived;
      timing.late += due - waitFrom - behaviour.latencyMs;
      timing.answering += waitFrom - received + (handedOver - due);
      timing.flushing += performance.now() - handedOver;
    });
  }

  /** What to send once the latency has passed; `vectors` when it is an embeddings answer. */
  interface Prepared {
    /** When the whole body had been read. */
    received: number;
    send: () => void;
    vectors: boolean;
  }

  /**
   * Reads and checks the request and decides its answer. Answers at once (and returns undefined) when
   * the request is refused before the latency (401, unreadable JSON, bad input) or is to hang.
   */
  async function prepare(req: IncomingMessage, res: ServerResponse, release: () => void): Promise<Prepared | undefined> {
    const authorization = req.headers.authorization;
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const received = performance.now();
    if (behaviour.apiKey !== null && authorization !== `Bearer ${behaviour.apiKey}`) {
      stats.unauthorized++;
      release();
      return void sendError(res, 401, "Invalid API key");
    }
    let request: { model?: unknown; input?: unknown; encoding_format?: unknown };
    try {
      request = JSON.parse(bytesToText(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    } catch {
      release();
      return void sendError(res, 400, "request body is not JSON");
    }
    const input = typeof request.input === "string" ? [request.input] : request.input;
    if (!Array.isArray(input) || input.length === 0 || !input.every((item) => typeof item === "string" && item.length > 0)) {
      release();
      return void sendError(res, 400, "input must be a non-empty string or a non-empty array of non-empty strings");
    }
    const texts = input as string[];
    stats.texts += texts.length;
    const encodingFormat = typeof request.encoding_format === "string" ? request.encoding_format : "float";
    stats.lastRequest = { model: String(request.model), encodingFormat, inputLengths: texts.map((t) => t.length), authorization };

    const outcome = nextOutcome();
    stats.outcomes[outcome]++;
    if (outcome === "hang") return undefined; // released when the client disconnects or the stand-in closes
    const reply = (send: () => void, vectors = false): Prepared => ({ received, send, vectors });
    const tooLong = behaviour.maxInputChars !== null ? texts.findIndex((t) => t.length > behaviour.maxInputChars!) : -1;
    if (tooLong >= 0) {
      const message = `This model's maximum context length is ${behaviour.maxInputChars} tokens; input ${tooLong} is too long`;
      return reply(() => sendError(res, 400, message));
    }
    switch (outcome) {
      case "rate-limit":
        return reply(() => sendRateLimited(res));
      case "server-error":
        return reply(() => sendError(res, 500, "internal server error"));
      case "bad-request":
        return reply(() => sendError(res, 400, "the stand-in was told to reject this request"));
      case "malformed":
        return reply(() => sendJson(res, 200, `{"object":"list","data":[{"object":"embedding","index":0,"embedding":"AAAA`));
      default: {
        const base64 = encodingFormat === "base64" && !behaviour.ignoreEncodingFormat;
        const length = outcome === "wrong-dimension" ? Math.max(1, dim >> 1) : dim;
        const answer = embeddingsAnswer(texts, base64, length, String(request.model));
        if (!behaviour.gzipAnswers) return reply(() => sendJsonParts(res, 200, answer), true);
        const gzipped = gzipSync(Buffer.concat(answer));
        return reply(() => {
          res.setHeader("content-encoding", "gzip");
          sendJson(res, 200, gzipped);
        }, true);
      }
    }
  }

  function sendRateLimited(res: ServerResponse): void {
    if (behaviour.retryAfterSeconds !== null) res.setHeader("retry-after", String(behaviour.retryAfterSeconds));
    sendError(res, 429, "Rate limited: too many concurrent requests for this model");
  }

  await new Promise<void>((resolve) => server.listen({ port: options.port ?? 0, host: "127.0.0.1", backlog: 1024 }, resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    stats: () => structuredClone(stats),
    resetStats() {
      const active = stats.active;
      stats = freshStats();
      stats.active = active;
    },
    setBehaviour(patch) {
      Object.assign(behaviour, patch);
      if (patch.script) behaviour.script = [...patch.script];
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const res of openResponses) res.destroy();
      server.closeAllConnections();
      await closed;
    },
  };
}

function sendJson(res: ServerResponse, status: number, body: string | Buffer): void {
  res.writeHead(status, { "content-type": "application/json", "content-length": typeof body === "string" ? Buffer.byteLength(body) : body.length });
  res.end(body);
}

/** Sends a body given as parts in one corked write (one `writev`), without concatenating them first. */
function sendJsonParts(res: ServerResponse, status: number, parts: Buffer[]): void {
  res.writeHead(status, { "content-type": "application/json", "content-length": parts.reduce((sum, part) => sum + part.length, 0) });
  res.cork();
  for (const part of parts) res.write(part);
  res.end();
  res.uncork();
}

function sendError(res: ServerResponse, status: number, message: string): void {
  sendJson(res, status, JSON.stringify({ error: { message, type: status === 429 ? "rate_limit_error" : "invalid_request_error" } }));
}
