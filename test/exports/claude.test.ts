import { describe, expect, it } from "vitest";
import { readBytes, readFixture, zipOfFixtures } from "./support/read-all";

const claudeZip = (): Buffer =>
  zipOfFixtures({
    "conversations.json": "claude/conversations.json",
    "users.json": "claude/users.json",
    "memories.json": "claude/memories.json",
    "projects.json": "claude/projects.json",
  });

describe("Claude exports", () => {
  it("merges consecutive human messages, keeping pasted attachment text beside them", async () => {
    const { exchanges } = await readFixture("claude/conversations.json");

    expect(exchanges[0]!.human).toBe("Please review my essay.\n\nFocus on the first line.");
    expect(exchanges[0]!.attachments![0]).toMatchObject({ name: "essay.txt", text: "Bees are important pollinators." });
  });

  it("takes the answer from content[] text blocks when text is empty, without thinking or tool blocks", async () => {
    const { exchanges } = await readFixture("claude/conversations.json");

    expect(exchanges[0]!.assistant).toBe("The first line is clear.\n\nConsider a stronger verb.");
  });

  it("falls back to the text field for messages without content blocks", async () => {
    const { exchanges } = await readFixture("claude/conversations.json");

    expect(exchanges.find((exchange) => exchange.human === "Old message with only text")?.assistant).toBe("Answer from the text field");
  });

  it("lists attachments and files, and keeps the original time with a null title for an unnamed chat", async () => {
    const { exchanges } = await readFixture("claude/conversations.json");

    expect(exchanges[0]).toMatchObject({
      source: "anthropic",
      conversation_id: "c1000000-0000-4000-8000-000000000001",
      conversation_title: null,
      created_at: "2024-03-01T09:00:01.123Z",
      attachments: [{ name: "essay.txt", type: "txt", size: 1234, text: "Bees are important pollinators." }, { name: "photo.png" }],
    });
  });

  it("keeps the branch that ends at the last message when messages name their parents", async () => {
    const { exchanges } = await readFixture("claude/conversations.json");

    const branching = exchanges.filter((exchange) => exchange.conversation_title === "Branching chat");

    expect(branching.map((exchange) => [exchange.human, exchange.assistant])).toEqual([
      ["Name a colour.", "Blue."],
      ["Name a fruit, please.", "Mango."],
    ]);
  });

  it("counts a conversation without messages as skipped", async () => {
    const { summary } = await readFixture("claude/conversations.json");

    expect(summary).toMatchObject({ source: "anthropic", conversations: 3, exchanges: 5, skipped: { empty_conversation: 1 } });
  });

  it("reads memories and project instructions from the zip, naming project memories after their project", async () => {
    const { profiles } = await readBytes("data-2024-batch-0000.zip", claudeZip());

    expect(profiles.map(({ profile_kind, label, project_id, text }) => ({ profile_kind, label, project_id, text }))).toEqual([
      { profile_kind: "project_instructions", label: "Garden planner", project_id: "p1", text: "Always suggest native plants." },
      { profile_kind: "saved_memory", label: undefined, project_id: undefined, text: "Ada is a nurse who keeps bees." },
      { profile_kind: "project_memory", label: "Garden planner", project_id: "p1", text: "The garden has three beds." },
    ]);
  });

  it("reads the zip's conversation, memory and project files but not users.json", async () => {
    const { summary } = await readBytes("data-2024-batch-0000.zip", claudeZip());

    expect(summary).toMatchObject({ source: "anthropic", exchanges: 5, profiles: 3, files: ["projects.json", "memories.json", "conversations.json"] });
  });

  it("reads memories.json written as one object", async () => {
    const text = JSON.stringify({ conversations_memory: "Likes tea.", project_memories: { p9: "Uses metric units." } });

    const { profiles } = await readBytes("memories.json", text);

    expect(profiles.map((profile) => [profile.profile_kind, profile.text])).toEqual([
      ["saved_memory", "Likes tea."],
      ["project_memory", "Uses metric units."],
    ]);
  });
});
