import { describe, expect, it } from "vitest";
import { buildZip } from "./support/zip-writer";
import { fixtureText, readBytes, readFixture, zipOfFixtures } from "./support/read-all";

describe("ChatGPT exports", () => {
  it("follows the active branch, leaving regenerated answers and pre-edit prompts out", async () => {
    const { exchanges } = await readFixture("chatgpt/branches.json");

    expect(exchanges.map((exchange) => [exchange.human, exchange.assistant])).toEqual([
      ["What should I see in Lisbon?", "Belém Tower and the Alfama district."],
      ["And where should I eat?", "Try a pastelaria for pastéis de nata."],
    ]);
  });

  it("stamps each exchange with its conversation, position, original time and model", async () => {
    const { exchanges } = await readFixture("chatgpt/branches.json");

    expect(exchanges[1]).toMatchObject({
      kind: "exchange",
      source: "openai",
      conversation_id: "conv-branches",
      conversation_title: "Trip to Lisbon",
      sequence_index: 1,
      created_at: "2023-11-14T22:13:42.000Z",
      model: "gpt-4o",
    });
    expect(exchanges[1]!.id).toMatch(/^[0-9a-f]{32}$/);
  });

  it("shows only what the page shows: no system prompt, tool call, tool output, browsing, thoughts or hidden note", async () => {
    const { exchanges } = await readFixture("chatgpt/hidden-and-tools.json");
    const text = JSON.stringify(exchanges);

    for (const hidden of ["SECRET REASONING", "Thought for 3 seconds", "print(40000 * 1.1)", "44000.0", "BROWSING NOISE", "User keeps bees", "A hidden note"]) {
      expect(text).not.toContain(hidden);
    }
  });

  it("keeps a turn whose answer came after tool calls", async () => {
    const { exchanges } = await readFixture("chatgpt/hidden-and-tools.json");

    expect(exchanges[0]).toMatchObject({
      human: "How many bees are in a hive? Please compute 40000*1.1",
      assistant: "A strong colony holds about 44,000 bees. Honey from Porto is good.",
      model: "o3",
    });
  });

  it("strips citation markers but keeps the names that entity markers display", async () => {
    const { exchanges } = await readFixture("chatgpt/hidden-and-tools.json");

    expect(exchanges[0]!.assistant).toBe("A strong colony holds about 44,000 bees. Honey from Porto is good.");
  });

  it("keeps voice transcripts on both sides", async () => {
    const { exchanges } = await readFixture("chatgpt/hidden-and-tools.json");

    expect(exchanges[1]).toMatchObject({ human: "Thanks, what about wasps?", assistant: "Wasps are a different story." });
  });

  it("lists the user's attachments with name, type and size", async () => {
    const { exchanges } = await readFixture("chatgpt/hidden-and-tools.json");

    expect(exchanges[0]!.attachments).toEqual([{ name: "hive.jpg", type: "image/jpeg", size: 2048 }]);
  });

  it("emits custom instructions and saved memory once, without ChatGPT's wrapper text", async () => {
    const { profiles } = await readFixture("chatgpt/hidden-and-tools.json");

    expect(profiles.map(({ profile_kind, label, text }) => ({ profile_kind, label, text }))).toEqual([
      { profile_kind: "custom_instructions", label: "about_user", text: "I am a nurse in Porto and I keep bees." },
      { profile_kind: "custom_instructions", label: "response_style", text: "Answer briefly, in British English." },
      { profile_kind: "saved_memory", label: undefined, text: "1. [2024-05-02]. Keeps bees in Porto." },
    ]);
  });

  it("emits profile facts before the exchanges of the conversation that carried them", async () => {
    const { records } = await readFixture("chatgpt/hidden-and-tools.json");

    expect(records.map((record) => record.kind).slice(0, 4)).toEqual(["profile", "profile", "profile", "exchange"]);
  });

  it("reads conversations with null titles, null parts and no times", async () => {
    const { exchanges } = await readFixture("chatgpt/null-fields.json");

    expect(exchanges[0]).toMatchObject({ conversation_id: "conv-null-title", conversation_title: null, created_at: null, human: "Null part first" });
  });

  it("falls back to the newest leaf when current_node is missing", async () => {
    const { exchanges } = await readFixture("chatgpt/null-fields.json");

    expect(exchanges.find((exchange) => exchange.conversation_id === "conv-no-current")?.assistant).toBe("Newest regeneration");
  });

  it("survives a parent cycle", async () => {
    const { exchanges } = await readFixture("chatgpt/null-fields.json");

    expect(exchanges.find((exchange) => exchange.conversation_id === "conv-cycle")).toMatchObject({ human: "Loop question", assistant: "Loop answer" });
  });

  it("merges consecutive prompts and consecutive answers into one exchange", async () => {
    const { exchanges } = await readFixture("chatgpt/null-fields.json");

    expect(exchanges.find((exchange) => exchange.conversation_id === "conv-merged-users")).toMatchObject({
      human: "First part.\n\nSecond part.",
      assistant: "One answer.\n\nAnd more.",
      created_at: "2023-11-14T22:13:21.000Z",
    });
  });

  it("counts empty and do-not-remember conversations as skipped", async () => {
    const { summary } = await readFixture("chatgpt/null-fields.json");

    expect(summary).toMatchObject({ conversations: 4, exchanges: 4, skipped: { empty_conversation: 2, do_not_remember: 1 } });
  });

  it("includes do-not-remember conversations when asked to", async () => {
    const { exchanges } = await readFixture("chatgpt/null-fields.json", { includeDoNotRemember: true });

    expect(exchanges.some((exchange) => exchange.conversation_id === "conv-dnr")).toBe(true);
  });

  it("reads the {conversations: [...]} wrapper", async () => {
    const { exchanges, summary } = await readFixture("chatgpt/wrapper.json");

    expect(exchanges.map((exchange) => exchange.human)).toEqual(["Inside a wrapper"]);
    expect(summary.source).toBe("openai");
  });

  it("reads split conversations-NNN.json files in order and drops a conversation repeated across them", async () => {
    const zip = zipOfFixtures({
      "conversations-001.json": "chatgpt/split/conversations-001.json",
      "export_manifest.json": "chatgpt/split/export_manifest.json",
      "conversations-000.json": "chatgpt/split/conversations-000.json",
    });

    const { exchanges, summary } = await readBytes("export.zip", zip);

    expect(exchanges.map((exchange) => exchange.human)).toEqual(["Question 0", "Question 1", "Question 2"]);
    expect(summary).toMatchObject({ files: ["conversations-000.json", "conversations-001.json"], skipped: { duplicate_conversation: 1 } });
  });

  it("never opens chat.html", async () => {
    const zip = buildZip([
      { name: "chat.html", data: "<html>not json at all</html>" },
      { name: "conversations.json", data: fixtureText("chatgpt/branches.json") },
    ]);

    const { summary } = await readBytes("export.zip", zip);

    expect(summary.files).toEqual(["conversations.json"]);
  });

  it("gives every turn the same id when the conversation is exported again, reformatted and reordered", async () => {
    const first = await readFixture("chatgpt/null-fields.json");
    const reexport = JSON.stringify(JSON.parse(fixtureText("chatgpt/null-fields.json")).reverse());

    const second = await readBytes("conversations.json", reexport);

    expect(second.exchanges.map((exchange) => exchange.id).sort()).toEqual(first.exchanges.map((exchange) => exchange.id).sort());
  });

  it("keeps earlier turns' ids when the conversation continues", async () => {
    const conversation = JSON.parse(fixtureText("chatgpt/branches.json"))[0];
    const before = await readBytes("conversations.json", JSON.stringify([conversation]));
    conversation.mapping.u3 = { id: "u3", parent: "a2", children: [], message: { id: "u3", author: { role: "user" }, content: { content_type: "text", parts: ["More?"] } } };
    conversation.current_node = "u3";

    const after = await readBytes("conversations.json", JSON.stringify([conversation]));

    expect(after.exchanges.slice(0, 2).map((exchange) => exchange.id)).toEqual(before.exchanges.map((exchange) => exchange.id));
    expect(after.exchanges).toHaveLength(3);
  });

  it("skips odd elements between conversations and counts them, reading the rest", async () => {
    const [conversation] = JSON.parse(fixtureText("chatgpt/branches.json"));
    const text = JSON.stringify([null, conversation, 42, "text", { unrelated: true }]);

    const { exchanges, summary } = await readBytes("conversations.json", text);

    expect(exchanges).toHaveLength(2);
    expect(summary.skipped).toEqual({ unrecognised_record: 4 });
  });

  it("skips a conversation larger than the element limit and reads the others", async () => {
    const conversations = JSON.parse(fixtureText("chatgpt/null-fields.json"));
    conversations[1].mapping.u1.message.content.parts = ["x".repeat(20_000)];

    const { summary } = await readBytes("conversations.json", JSON.stringify(conversations), { limits: { maxElementBytes: 10_000 } });

    expect(summary).toMatchObject({ conversations: 3, skipped: { too_large: 1 } });
  });
});
