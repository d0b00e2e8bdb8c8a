import { describe, expect, it } from "vitest";
import { readBytes, readFixture, zipOfFixtures } from "./support/read-all";

describe("Grok exports", () => {
  it("puts out-of-order responses back in time order, reading $date timestamps", async () => {
    const { exchanges } = await readFixture("grok/prod-grok-backend.json");

    expect(exchanges.filter((exchange) => exchange.conversation_id === "g-1").map((exchange) => [exchange.created_at, exchange.human, exchange.assistant])).toEqual([
      ["2024-05-29T16:26:41.000Z", "First question", "First answer"],
      ["2024-05-29T16:26:43.000Z", "Second question", "Second answer"],
    ]);
  });

  it("treats every sender spelling that is not human as the assistant, and names the model", async () => {
    const { exchanges } = await readFixture("grok/prod-grok-backend.json");

    expect(exchanges[0]).toMatchObject({ source: "grok", model: "grok-3" });
    expect(exchanges.find((exchange) => exchange.human === "Draw a cat")?.model).toBe("grok-2-image");
  });

  it("walks from the leaf response so an abandoned regeneration is left out", async () => {
    const { exchanges } = await readFixture("grok/prod-grok-backend.json");

    expect(exchanges.find((exchange) => exchange.human === "Now a dog")?.assistant).toBe("Here is a dog.");
    expect(JSON.stringify(exchanges)).not.toContain("Abandoned regeneration");
  });

  it("keeps an image-generation turn whose answer has no text", async () => {
    const { exchanges } = await readFixture("grok/prod-grok-backend.json");

    expect(exchanges.find((exchange) => exchange.human === "Draw a cat")).toMatchObject({ assistant: "", conversation_title: null });
  });

  it("leaves out thinking traces, and does not read projects, tasks or media posts", async () => {
    const { records } = await readFixture("grok/prod-grok-backend.json");

    expect(JSON.stringify(records)).not.toMatch(/SECRET TRACE|GROK PROJECT NOT READ/);
  });

  it("finds prod-grok-backend.json deep inside the export zip", async () => {
    const zip = zipOfFixtures({
      "export_data/0b6d7c3e-1111-4222-8333-944444444444/prod-grok-backend.json": "grok/prod-grok-backend.json",
      "export_data/0b6d7c3e-1111-4222-8333-944444444444/prod-mc-auth-mgmt-api.json": "claude/users.json",
    });

    const { summary } = await readBytes("grok-export.zip", zip);

    expect(summary).toMatchObject({ source: "grok", conversations: 2, exchanges: 4, skipped: { empty_conversation: 1 } });
  });
});
