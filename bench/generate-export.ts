/**
 * Writes large, realistic synthetic chat exports for the parse benchmark (never commit the output; it
 * goes to the git-ignored bench/out/ by default).
 *
 *   npx tsx bench/generate-export.ts chatgpt bench/out/conversations.json --mb 600
 *   npx tsx bench/generate-export.ts claude  bench/out/claude-export.zip --mb 200
 *
 * The shapes follow real exports (downloaded as the help pages cited in lib/exports/classify-element.ts
 * describe): ChatGPT mapping trees with hidden system messages, custom instructions, regenerated
 * branches, tool calls and reasoning; Claude messages whose content blocks (thinking, tool use and
 * results) outweigh their text, and pasted attachments.
 * Output is deterministic for a given seed.
 */
import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { ZipStreamWriter } from "./export-zip-stream";

export interface GeneratedExport {
  path: string;
  bytes: number;
  conversations: number;
}

/** mulberry32: small, fast, seeded; the same seed gives the same export. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = (
  "the a of and to in is you that it for on with as are this be at or have from by not but what all were when we there can an your which their " +
  "said if do will each about how up out them then she many some so these would other into has more her two like him see time could no make than " +
  "garden bees honey Lisbon recipe function promise error deploy database query index vector memory export import reason answer question " +
  "café naïve résumé Zürich São Paulo 東京 données größe — “quoted” ‘single’ 😀 🚀 ✓ →"
).split(" ");

class TextMaker {
  constructor(readonly next: () => number) {}
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  id(): string {
    let hex = "";
    for (let i = 0; i < 4; i++) hex += Math.floor(this.next() * 0x100000000).toString(16).padStart(8, "0");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  }
  /** Prose of about `chars` characters, with paragraphs, and now and then code with quotes and backslashes. */
  text(chars: number): string {
    const parts: string[] = [];
    let length = 0;
    while (length < chars) {
      const word = WORDS[this.int(0, WORDS.length - 1)]!;
      const piece = this.chance(0.02) ? `.\n\n${word}` : this.chance(0.005) ? `\n\`\`\`js\nconst path = "C:\\\\tmp\\\\${word}";\n\`\`\`\n` : ` ${word}`;
      parts.push(piece);
      length += piece.length;
    }
    return parts.join("").trim();
  }
}

const CUSTOM_INSTRUCTIONS = {
  user_profile: "The user provided the following information about themselves. User profile:\n```I am a nurse in Porto and I keep bees.```",
  user_instructions: "The user provided the additional info about how they would like you to respond:\n```Answer briefly.```",
};

function chatGptMessage(make: TextMaker, id: string, parentId: string | null, role: string, time: number | null, content: object, extra: object = {}): object {
  return {
    id,
    author: { role, name: null, metadata: {} },
    create_time: time,
    update_time: null,
    content,
    status: "finished_successfully",
    end_turn: role === "assistant" ? true : null,
    weight: 1,
    metadata: {
      citations: [],
      content_references: [],
      gizmo_id: null,
      message_type: null,
      model_slug: role === "assistant" ? "gpt-4o" : undefined,
      default_model_slug: "gpt-4o",
      parent_id: parentId,
      request_id: make.id(),
      timestamp_: "absolute",
      finish_details: role === "assistant" ? { type: "stop", stop_tokens: [200002] } : undefined,
      is_complete: true,
    },
    recipient: "all",
    channel: null,
    ...extra,
  };
}

function chatGptConversation(make: TextMaker, index: number): string {
  const mapping: Record<string, object> = {};
  let time = 1_600_000_000 + index * 3_600 + make.next();
  const add = (parent: string | null, message: object | null, id = make.id()): string => {
    mapping[id] = { id, message, parent, children: [] };
    return id;
  };
  let leaf = add(null, null, `client-created-root-${make.id()}`);
  leaf = add(leaf, chatGptMessage(make, make.id(), leaf, "system", time, { content_type: "text", parts: [""] }, { metadata: { is_visually_hidden_from_conversation: true } }));
  if (make.chance(0.3)) {
    const id = make.id();
    leaf = add(leaf, chatGptMessage(make, id, leaf, "user", time, { content_type: "user_editable_context", ...CUSTOM_INSTRUCTIONS }, { metadata: { is_visually_hidden_from_conversation: true } }), id);
  }
  // Mostly short chats, a long tail of long ones, as real exports have.
  const turns = make.chance(0.002) ? make.int(150, 300) : make.int(1, make.chance(0.2) ? 40 : 8);
  for (let turn = 0; turn < turns; turn++) {
    time += make.int(10, 600);
    const userId = make.id();
    // Real exports leave some prompts undated inside dated conversations (9 of 214 in one); about 1 in 23 here.
    const userTime = (index + turn) % 23 === 7 ? null : time;
    leaf = add(leaf, chatGptMessage(make, userId, leaf, "user", userTime, { content_type: "text", parts: [make.text(make.int(20, 600))] }), userId);
    if (make.chance(0.15)) add(leaf, chatGptMessage(make, make.id(), leaf, "assistant", time + 1, { content_type: "text", parts: [make.text(make.int(200, 2000))] }));
    if (make.chance(0.1)) {
      leaf = add(leaf, chatGptMessage(make, make.id(), leaf, "assistant", time + 2, { content_type: "code", language: "python", text: make.text(200) }, { recipient: "python" }));
      leaf = add(leaf, chatGptMessage(make, make.id(), leaf, "tool", time + 3, { content_type: "execution_output", text: make.text(300) }));
    }
    if (make.chance(0.2)) {
      leaf = add(leaf, chatGptMessage(make, make.id(), leaf, "assistant", time + 4, { content_type: "thoughts", thoughts: [{ summary: "Thinking", content: make.text(800) }] }));
    }
    leaf = add(leaf, chatGptMessage(make, make.id(), leaf, "assistant", time + 5, { content_type: "text", parts: [make.text(make.int(300, 4000))] }));
  }
  const id = make.id();
  return JSON.stringify({
    title: make.chance(0.05) ? null : make.text(40),
    create_time: 1_600_000_000 + index * 3_600,
    update_time: time,
    mapping,
    moderation_results: [],
    current_node: leaf,
    plugin_ids: null,
    conversation_id: id,
    conversation_template_id: null,
    gizmo_id: null,
    is_archived: false,
    safe_urls: [],
    default_model_slug: "gpt-4o",
    id,
  });
}

function claudeConversation(make: TextMaker, index: number): string {
  const messages: object[] = [];
  const start = Date.UTC(2024, 0, 1) + index * 3_600_000;
  const turns = make.chance(0.01) ? make.int(60, 120) : make.int(1, 20);
  for (let turn = 0; turn < turns * 2; turn++) {
    const human = turn % 2 === 0;
    const at = new Date(start + turn * 60_000).toISOString().replace("Z", "123Z");
    const text = make.text(human ? make.int(20, 600) : make.int(300, 3000));
    const content: object[] = [];
    if (!human && make.chance(0.4)) content.push({ type: "thinking", thinking: make.text(1500), start_timestamp: at, stop_timestamp: at });
    content.push({ type: "text", text, start_timestamp: at, stop_timestamp: at, citations: [] });
    if (!human && make.chance(0.3)) {
      content.push({ type: "tool_use", name: "artifacts", input: { id: make.id(), type: "application/vnd.ant.code", content: make.text(4000) } });
      content.push({ type: "tool_result", name: "artifacts", content: [{ type: "text", text: "OK" }], is_error: false });
    }
    const attachments = human && make.chance(0.1) ? [{ file_name: "notes.txt", file_size: 4000, file_type: "txt", extracted_content: make.text(4000) }] : [];
    messages.push({ uuid: make.id(), text, content, sender: human ? "human" : "assistant", created_at: at, updated_at: at, attachments, files: [] });
  }
  return JSON.stringify({
    uuid: make.id(),
    name: make.chance(0.1) ? "" : make.text(40),
    summary: "",
    created_at: new Date(start).toISOString(),
    updated_at: new Date(start + turns * 120_000).toISOString(),
    account: { uuid: "00000000-0000-4000-8000-00000000acc1" },
    chat_messages: messages,
  });
}

/** A JSON array of conversations, `,`-joined, up to about `targetBytes`. */
async function* conversationsArray(make: (index: number) => string, targetBytes: number): AsyncGenerator<string> {
  yield "[";
  let bytes = 1;
  for (let index = 0; bytes < targetBytes; index++) {
    const conversation = (index === 0 ? "" : ",") + make(index);
    bytes += Buffer.byteLength(conversation);
    yield conversation;
  }
  yield "]";
}

export async function generateChatGptExport(path: string, targetBytes: number, seed = 1): Promise<GeneratedExport> {
  const make = new TextMaker(random(seed));
  await mkdir(dirname(path), { recursive: true }); // bench/out/ is git-ignored, so absent on a fresh clone
  const out = createWriteStream(path);
  let bytes = 0;
  let conversations = 0;
  for await (const piece of conversationsArray((index) => chatGptConversation(make, index), targetBytes)) {
    bytes += Buffer.byteLength(piece);
    conversations++;
    if (!out.write(piece)) await once(out, "drain");
  }
  out.end();
  await once(out, "finish");
  return { path, bytes, conversations: conversations - 2 };
}

/** A Claude export zip: conversations.json (about `targetBytes`), users.json, projects.json, memories.json. */
export async function generateClaudeExport(path: string, targetBytes: number, seed = 2): Promise<GeneratedExport> {
  const make = new TextMaker(random(seed));
  const zip = new ZipStreamWriter(path);
  const one = async function* (text: string) {
    yield text;
  };
  await zip.addEntry("users.json", one(JSON.stringify([{ uuid: "acc1", full_name: "Ada Example", email_address: "ada@example.com" }])));
  await zip.addEntry("projects.json", one(JSON.stringify([{ uuid: "p1", name: "Garden", prompt_template: "Suggest native plants.", docs: [] }])));
  await zip.addEntry("memories.json", one(JSON.stringify([{ conversations_memory: "Keeps bees.", project_memories: { p1: "Three beds." } }])));
  let conversations = 0;
  const { uncompressed } = await zip.addEntry(
    "conversations.json",
    conversationsArray((index) => {
      conversations++;
      return claudeConversation(make, index);
    }, targetBytes),
  );
  await zip.close();
  return { path, bytes: uncompressed, conversations };
}

async function main(argv: string[]): Promise<void> {
  const [kind, path, flag, mb] = argv;
  const targetBytes = (flag === "--mb" ? Number(mb) : kind === "claude" ? 200 : 600) * 1024 * 1024;
  if ((kind !== "chatgpt" && kind !== "claude") || path === undefined || !Number.isFinite(targetBytes)) {
    process.stderr.write("usage: tsx bench/generate-export.ts chatgpt|claude <output path> [--mb <size>]\n");
    process.exitCode = 2;
    return;
  }
  const generated = kind === "chatgpt" ? await generateChatGptExport(path, targetBytes) : await generateClaudeExport(path, targetBytes);
  process.stdout.write(`${JSON.stringify(generated)}\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main(process.argv.slice(2));
