/**
 * Small ChatGPT exports built in code, for pipeline tests that need exact control over which
 * conversations and turns two uploads share.
 */
export interface ConversationSpec {
  id: string;
  title: string;
  turns: Array<[human: string, assistant: string]>;
  /** Unix seconds of the first turn (default: 2023-11-14 plus the conversation's position). */
  startTime?: number;
}

export function chatgptExport(conversations: ConversationSpec[]): Buffer {
  return Buffer.from(JSON.stringify(conversations.map(chatgptConversation)));
}

function chatgptConversation(spec: ConversationSpec, index: number) {
  const mapping: Record<string, unknown> = { root: { id: "root", parent: null, children: [], message: null } };
  let parent = "root";
  const start = spec.startTime ?? 1_700_000_000 + index * 10_000;
  spec.turns.forEach(([human, assistant], turn) => {
    const userId = `${spec.id}-u${turn}`;
    const assistantId = `${spec.id}-a${turn}`;
    mapping[userId] = node(userId, parent, "user", human, start + turn * 60);
    mapping[assistantId] = node(assistantId, userId, "assistant", assistant, start + turn * 60 + 5);
    parent = assistantId;
  });
  return { id: spec.id, conversation_id: spec.id, title: spec.title, create_time: start, update_time: start + 3600, current_node: parent, mapping };
}

function node(id: string, parent: string, role: "user" | "assistant", text: string, time: number) {
  return {
    id,
    parent,
    children: [],
    message: { id, author: { role }, create_time: time, content: { content_type: "text", parts: [text] }, status: "finished_successfully", recipient: "all", metadata: {} },
  };
}

/** `count` conversations of `turns` turns each, with distinct, topical text. */
export function conversations(prefix: string, count: number, turns = 3, topic = "gardening"): ConversationSpec[] {
  return Array.from({ length: count }, (_, c) => ({
    id: `${prefix}-${c}`,
    title: `${topic} question ${c}`,
    turns: Array.from({ length: turns }, (_, t): [string, string] => [
      `How do I handle ${topic} problem ${c}.${t} in ${prefix}?`,
      `For ${topic} problem ${c}.${t}, start small and observe; ${prefix} answer ${t}.`,
    ]),
  }));
}
