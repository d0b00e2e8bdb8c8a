import { describe, expect, it } from "vitest";
import { isExportFormatError } from "../../lib/exports";
import { readBytes, readError, readFixture, zipOfFixtures } from "./support/read-all";

describe("Gemini exports", () => {
  it("turns prompt records into exchanges, oldest first, with the HTML answer as text", async () => {
    const { exchanges } = await readFixture("gemini/MyActivity.json");

    expect(exchanges.map((exchange) => [exchange.human, exchange.assistant])).toEqual([
      ["What is a haiku?", "A haiku is a short poem of three lines & 17 syllables."],
      ["Write a haiku about bees", "Golden wings at dawn —\n\n- humming\n- over clover"],
      ["Plan a picnic", ""],
    ]);
  });

  it("groups prompts less than 30 minutes apart into one conversation", async () => {
    const { exchanges, summary } = await readFixture("gemini/MyActivity.json");

    expect(exchanges[0]!.conversation_id).toBe(exchanges[1]!.conversation_id);
    expect(exchanges[2]!.conversation_id).not.toBe(exchanges[0]!.conversation_id);
    expect(exchanges.map((exchange) => exchange.sequence_index)).toEqual([0, 1, 0]);
    expect(summary.conversations).toBe(2);
  });

  it("counts non-prompt records and other products' activity as skipped", async () => {
    const { summary } = await readFixture("gemini/MyActivity.json");

    expect(summary).toMatchObject({ source: "gemini", skipped: { not_a_prompt: 3, not_gemini_activity: 1 } });
  });

  it("keeps each prompt's id when a later export groups it differently", async () => {
    const first = await readFixture("gemini/MyActivity.json");

    const second = await readFixture("gemini/MyActivity.json", { geminiSessionGapMinutes: 1 });

    expect(second.summary.conversations).toBe(3);
    expect(second.exchanges.map((exchange) => exchange.id).sort()).toEqual(first.exchanges.map((exchange) => exchange.id).sort());
  });

  it("reads MyActivity.json from a Takeout zip with translated folder names", async () => {
    const zip = zipOfFixtures({
      "Takeout/Meine Aktivitäten/Gemini-Apps/MeineAktivitäten.json": "gemini/MyActivity.json",
      "Takeout/archive_browser.html": "gemini/MyActivity.json",
      "Takeout/My Activity/YouTube/MyActivity.json": "gemini/MyActivity.json",
    });

    const { summary } = await readBytes("takeout-20240701.zip", zip);

    expect(summary).toMatchObject({ source: "gemini", exchanges: 3, files: ["Takeout/Meine Aktivitäten/Gemini-Apps/MeineAktivitäten.json"] });
  });

  it("says so when an export has Gemini activity but no English prompt records", async () => {
    const translated = JSON.stringify([{ header: "Gemini-Apps", title: "Eingegebener Prompt: Hallo", time: "2024-07-01T10:00:00Z", products: ["Gemini-Apps"] }]);

    const error = await readError("MyActivity.json", translated);

    expect(isExportFormatError(error) && error.code).toBe("no_conversations");
    expect((error as Error).message).toMatch(/English/);
  });
});
