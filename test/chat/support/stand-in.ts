import { afterAll, afterEach, beforeAll } from "vitest";
import { defaultChatStandInBehaviour, startChatStandIn, type ChatStandIn } from "../../../local/chat-stand-in";

/**
 * The chat stand-in (local/chat-stand-in.ts) for one test file: started before the file's stack, with
 * CHAT_URL and CHAT_MODEL (and `env`) pointing at it, so call this before `useTestStack`. After each
 * test its behaviour and stats are reset; after the file it is closed. The value returned stands for
 * the running stand-in once `beforeAll` has started it.
 */
export function useChatStandIn(env: Record<string, string> = {}): ChatStandIn {
  let standIn: ChatStandIn | undefined;
  beforeAll(async () => {
    standIn = await startChatStandIn();
    Object.assign(process.env, { CHAT_URL: `${standIn.url}/v1`, CHAT_MODEL: "stand-in-chat", ...env });
  });
  afterEach(() => {
    standIn?.setBehaviour({ ...defaultChatStandInBehaviour });
    standIn?.resetStats();
  });
  afterAll(() => standIn?.close());
  return new Proxy({} as ChatStandIn, {
    get(_target, name) {
      if (!standIn) throw new Error("The chat stand-in starts in beforeAll: use it inside a test or hook.");
      const value: unknown = Reflect.get(standIn, name);
      return typeof value === "function" ? value.bind(standIn) : value;
    },
  });
}
