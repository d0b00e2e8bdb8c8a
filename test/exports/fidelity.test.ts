import { describe, expect, it } from "vitest";
import { MAX_ATTACHMENT_TEXT_CHARS } from "../../lib/exports";
import { embeddingText, toVaultNode } from "../../lib/ingest/vault-nodes";
import { readBytes } from "./support/read-all";

/** A ChatGPT conversation of one turn whose messages carry the given times (null: the export has none). */
function chatgpt(conversationTime: number | null, userTime: number | null, answerTime: number | null) {
  const message = (id: string, role: string, time: number | null, text: string) => ({
    id,
    author: { role },
    create_time: time,
    content: { content_type: "text", parts: [text] },
    recipient: "all",
    metadata: {},
  });
  return [
    {
      id: "conv-1",
      title: "Undated turn",
      create_time: conversationTime,
      current_node: "a1",
      mapping: {
        root: { id: "root", parent: null, children: ["u1"], message: null },
        u1: { id: "u1", parent: "root", children: ["a1"], message: message("u1", "user", userTime, "When did I ask this?") },
        a1: { id: "a1", parent: "u1", children: [], message: message("a1", "assistant", answerTime, "At the conversation's time.") },
      },
    },
  ];
}

function claude(messageTimes: [string | null, string | null], attachments: unknown[] = []) {
  return [
    {
      uuid: "c2000000-0000-4000-8000-000000000001",
      name: "Undated",
      created_at: "2024-03-01T09:00:00.000000Z",
      chat_messages: [
        { uuid: "m1", sender: "human", text: "What do you make of this?", created_at: messageTimes[0], attachments },
        { uuid: "m2", sender: "assistant", text: "It reads well.", created_at: messageTimes[1] },
      ],
    },
  ];
}

function grok(responseTimes: [string | null, string | null]) {
  return {
    conversations: [
      {
        conversation: { conversation_id: "g-9", title: "Undated", create_time: "2024-05-29T16:26:40Z" },
        responses: [
          { response: { _id: "r1", sender: "human", message: "Hello Grok", create_time: responseTimes[0] } },
          { response: { _id: "r2", sender: "assistant", message: "Hello.", create_time: responseTimes[1] } },
        ],
      },
    ],
  };
}

describe("an exchange whose messages carry no time", () => {
  it("takes its ChatGPT conversation's time", async () => {
    const { exchanges } = await readBytes("conversations.json", JSON.stringify(chatgpt(1_700_000_000, null, null)));

    expect(exchanges[0]!.created_at).toBe("2023-11-14T22:13:20.000Z");
  });

  it("takes the time of its answer when only the answer is dated", async () => {
    const { exchanges } = await readBytes("conversations.json", JSON.stringify(chatgpt(1_700_000_000, null, 1_700_000_300)));

    expect(exchanges[0]!.created_at).toBe("2023-11-14T22:18:20.000Z");
  });

  it("keeps its own time when it has one", async () => {
    const { exchanges } = await readBytes("conversations.json", JSON.stringify(chatgpt(1_700_000_000, 1_700_000_060, 1_700_000_300)));

    expect(exchanges[0]!.created_at).toBe("2023-11-14T22:14:20.000Z");
  });

  it("stays undated when its conversation is undated too (never the import time)", async () => {
    const { exchanges } = await readBytes("conversations.json", JSON.stringify(chatgpt(null, null, null)));

    expect(exchanges[0]!.created_at).toBeNull();
  });

  it("keeps the same id whether or not the export dated it, so re-imports still deduplicate", async () => {
    const dated = await readBytes("conversations.json", JSON.stringify(chatgpt(1_700_000_000, 1_700_000_060, null)));
    const undated = await readBytes("conversations.json", JSON.stringify(chatgpt(1_700_000_000, null, null)));

    expect(undated.exchanges[0]!.id).toBe(dated.exchanges[0]!.id);
  });

  it("takes its Claude conversation's time", async () => {
    const { exchanges } = await readBytes("conversations.json", JSON.stringify(claude([null, null])));

    expect(exchanges[0]!.created_at).toBe("2024-03-01T09:00:00.000Z");
  });

  it("takes its Grok conversation's time", async () => {
    const { exchanges } = await readBytes("prod-grok-backend.json", JSON.stringify(grok([null, null])));

    expect(exchanges[0]!.created_at).toBe("2024-05-29T16:26:40.000Z");
  });

  it("stays undated for Gemini, whose prompts have no conversation to take a time from", async () => {
    const activity = [{ header: "Gemini Apps", title: "Prompted What is a bee?", products: ["Gemini Apps"], safeHtmlItem: [{ html: "<p>An insect.</p>" }] }];

    const { exchanges } = await readBytes("MyActivity.json", JSON.stringify(activity));

    expect(exchanges[0]!.created_at).toBeNull();
  });
});

describe("Claude attachments", () => {
  const pasted = { file_name: "notes.txt", file_type: "txt", file_size: 42, extracted_content: "Bees dance to say where the flowers are." };

  it("are not glued onto what the person typed, but kept beside it with their text", async () => {
    const { exchanges } = await readBytes("conversations.json", JSON.stringify(claude(["2024-03-01T09:00:01Z", null], [pasted])));

    expect(exchanges[0]!.human).toBe("What do you make of this?");
    expect(exchanges[0]!.attachments).toEqual([{ name: "notes.txt", type: "txt", size: 42, text: "Bees dance to say where the flowers are." }]);
  });

  it("keep at most MAX_ATTACHMENT_TEXT_CHARS of a long paste, and say so", async () => {
    const long = { file_name: "book.txt", extracted_content: "honey ".repeat(MAX_ATTACHMENT_TEXT_CHARS) };

    const { exchanges } = await readBytes("conversations.json", JSON.stringify(claude(["2024-03-01T09:00:01Z", null], [long])));

    const [attachment] = exchanges[0]!.attachments!;
    expect(attachment!.text!.length).toBe(MAX_ATTACHMENT_TEXT_CHARS);
    expect(attachment!.text_truncated).toBe(true);
  });

  it("are part of what search embeds for the exchange", async () => {
    const { exchanges } = await readBytes("conversations.json", JSON.stringify(claude(["2024-03-01T09:00:01Z", null], [pasted])));

    const text = embeddingText(toVaultNode(exchanges[0]!, Buffer.alloc(32), "upload-1"));

    expect(text).toContain("What do you make of this?");
    expect(text).toContain("Bees dance to say where the flowers are.");
    expect(text).toContain("It reads well.");
  });
});
