import { header, type HttpEvent } from "./request";

/**
 * One server-sent event (https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation):
 * a named event whose data is one line of JSON.
 */
export function serverSentEvent(name: string, data: unknown): string {
  return `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** Whether the caller asked for `text/event-stream` (a browser's EventSource, the CLI, `curl -N`). */
export function wantsEventStream(event: HttpEvent): boolean {
  return /\btext\/event-stream\b/i.test(header(event, "accept") ?? "");
}

/** Headers of a streamed answer: not cached, and not buffered by proxies that honour `X-Accel-Buffering`. */
export const EVENT_STREAM_HEADERS = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-store",
  "x-accel-buffering": "no",
} as const;
