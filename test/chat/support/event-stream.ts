import { createParser } from "eventsource-parser";

export interface ReceivedEvent {
  event: string | undefined;
  data: any;
}

/** Reads a `text/event-stream` answer to its end, each event's data parsed as JSON. */
export async function readEventStream(response: Response): Promise<ReceivedEvent[]> {
  const events: ReceivedEvent[] = [];
  const parser = createParser({ onEvent: (event) => events.push({ event: event.event, data: JSON.parse(event.data) }) });
  const decoder = new TextDecoder();
  for await (const chunk of response.body!) parser.feed(decoder.decode(chunk, { stream: true }));
  return events;
}
