import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { pipeline, type Readable, type Transform } from "node:stream";
import { constants as zlibConstants, createBrotliDecompress, createGunzip, createInflate, createZstdDecompress } from "node:zlib";
import { interceptors, Pool, type Dispatcher } from "undici";

/** An answer's status and headers, and its body already decompressed (read it to the end or destroy it). */
export interface TransportAnswer {
  statusCode: number;
  headers: IncomingHttpHeaders;
  body: Readable;
  /** The body's length when the server declared it and nothing was decompressed; only sizes buffers. */
  contentLength?: number;
}

/**
 * Sends `POST`s to one origin over kept-alive connections. `signal` aborting ends the exchange: the
 * promise rejects, or the body errors if the answer had started.
 */
export interface EmbeddingsTransport {
  post(path: string, headers: Record<string, string>, body: string, signal: AbortSignal): Promise<TransportAnswer>;
  close(): Promise<void>;
}

export interface TransportSettings {
  origin: string;
  /** Connections kept open at once (the embedder's requests in flight). */
  connections: number;
  timeoutMs: number;
  /** Longest decompressed answer undici's interceptor lets through (node:http leaves it to the reader). */
  maxAnswerBytes: number;
}

/** How long an idle kept-alive connection (and its TLS session) is kept, unless the server's `Keep-Alive` hint is shorter. */
const IDLE_CONNECTION_MS = 30_000;

/**
 * node:http (node:https for `https:` origins) with a keep-alive `Agent` of `connections` sockets.
 * When an answer ends, Node hands its socket back to the agent within the same tick
 * (https://nodejs.org/api/http.html#class-httpagent, event `'free'`), so a worker's next request is
 * written at once; undici's client instead waits a full event-loop turn before it reuses a kept-alive
 * socket, and a busy loop makes every request wait for all the answers that arrived with it. Answers
 * are decompressed here, as undici's decompress interceptor would (we never ask for compression, but a
 * proxy may compress anyway).
 */
export function nodeHttpTransport(settings: TransportSettings): EmbeddingsTransport {
  const url = new URL(settings.origin);
  const secure = url.protocol === "https:";
  // The origin parsed once rather than a URL string per request. IPv6 hosts come bracketed in a URL.
  const target = { protocol: url.protocol, hostname: url.hostname.replace(/^\[(.*)\]$/, "$1"), port: url.port || undefined, method: "POST" };
  const agentOptions = { keepAlive: true, maxSockets: settings.connections, maxFreeSockets: settings.connections, timeout: IDLE_CONNECTION_MS, scheduling: "lifo" as const };
  const agent = secure ? new HttpsAgent(agentOptions) : new HttpAgent(agentOptions);
  const send = secure ? httpsRequest : httpRequest;
  /**
   * The request, and its answer once the headers are in. Made apart from `post` so that no closure
   * waiting for the answer can see the body: closures share their enclosing function's context, and a
   * `body` in it was kept alive for the whole exchange (~65 KB per request in flight, copied by every
   * young-generation GC and then promoted, to be collected by a full one).
   * When the request is destroyed mid-answer (abort, timeout), Node destroys the response with an
   * "aborted" error itself (`socketCloseListener` in lib/_http_client.js), so the reader sees it end.
   */
  const open = (path: string, headers: Record<string, string>, signal: AbortSignal) => {
    // Throws at once on arguments node:http refuses (a header it cannot send): our bug, for the caller.
    const request = send({ ...target, path, agent, headers, signal });
    const answer = new Promise<TransportAnswer>((resolve, reject) => {
      request.once("response", (response: IncomingMessage) => resolve(decompressed(response)));
      request.on("error", reject);
    });
    return { request, answer };
  };
  return {
    post(path, headers, body, signal) {
      const { request, answer } = open(path, headers, signal);
      request.end(body);
      return answer;
    },
    async close() {
      agent.destroy();
    },
  };
}

/**
 * undici: a keep-alive `Pool` of `connections` (or the given `dispatcher`, e.g. one `Agent` shared by a
 * process, which `close()` leaves open), with undici's decompress interceptor.
 */
export function undiciTransport(settings: TransportSettings, dispatcher?: Dispatcher): EmbeddingsTransport {
  const ownPool = dispatcher
    ? undefined
    : new Pool(settings.origin, {
        connections: settings.connections,
        // Keep sockets (and their TLS sessions) open between batches, unless the server's Keep-Alive hint says otherwise.
        keepAliveTimeout: IDLE_CONNECTION_MS,
        keepAliveMaxTimeout: 600_000,
        connectTimeout: Math.min(10_000, settings.timeoutMs),
        // Backstops only: each attempt has its own overall timeout.
        headersTimeout: settings.timeoutMs + 1_000,
        bodyTimeout: settings.timeoutMs + 1_000,
      });
  const composed = (dispatcher ?? ownPool!).compose(interceptors.decompress({ skipErrorResponses: false, maxSize: settings.maxAnswerBytes }));
  return {
    async post(path, headers, body, signal) {
      const response = await composed.request({ origin: settings.origin, path, method: "POST", headers, body, signal });
      const encoded = response.headers["content-encoding"] !== undefined;
      return { statusCode: response.statusCode, headers: response.headers as IncomingHttpHeaders, body: response.body, contentLength: encoded ? undefined : declaredLength(response.headers) };
    },
    async close() {
      await ownPool?.close();
    },
  };
}

function declaredLength(headers: Record<string, string | string[] | undefined>): number | undefined {
  const value = headers["content-length"];
  return typeof value === "string" ? Number(value) : undefined;
}

/**
 * The content codings undici's decompress interceptor reads (RFC 9110 section 8.4.1; zstd: RFC 9659
 * section 3, whose window limit is 8 MB). `compress` is UNIX LZW, which zlib cannot read: left alone.
 */
const DECODERS = new Map<string, () => Transform>([
  ["gzip", createGunzip],
  ["x-gzip", createGunzip],
  ["br", createBrotliDecompress],
  ["deflate", createInflate],
  ["zstd", () => createZstdDecompress({ params: { [zlibConstants.ZSTD_d_windowLogMax]: 23 } })],
]);
/** More codings than this on one answer is an attack, not a proxy (as undici and curl, CVE-2022-32206). */
const MAX_CODINGS = 5;

function decompressed(response: IncomingMessage): TransportAnswer {
  const { statusCode = 0, headers } = response;
  const codings = (headers["content-encoding"] ?? "")
    .split(",")
    .map((coding) => coding.trim().toLowerCase())
    .filter((coding) => coding !== "" && coding !== "identity");
  // An answer in a coding we cannot read is handed over as it came; it then fails as a bad answer.
  if (codings.length === 0 || codings.length > MAX_CODINGS || !codings.every((coding) => DECODERS.has(coding))) {
    return { statusCode, headers, body: response, contentLength: codings.length === 0 ? declaredLength(headers) : undefined };
  }
  // Codings are listed in the order they were applied: undo the last first. The stages stream with
  // backpressure, so a bomb holds no more memory than the reader's cap on the last stage's output.
  const stages = codings.reverse().map((coding) => DECODERS.get(coding)!());
  // pipeline destroys every stage when one fails, so an abort or a corrupt stream errors the last one.
  pipeline([response, ...stages], () => undefined);
  return { statusCode, headers, body: stages.at(-1)! };
}
