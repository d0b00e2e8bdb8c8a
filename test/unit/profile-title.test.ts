import { describe, expect, it } from "vitest";
import { profileTitle } from "../../lib/exports/profile-title";

describe("a profile fact's title", () => {
  it("names ChatGPT's custom-instruction fields in words, not by their export keys", () => {
    expect(profileTitle({ source: "openai", profile_kind: "custom_instructions", label: "about_user" })).toBe("Custom instructions: about you");
    expect(profileTitle({ source: "openai", profile_kind: "custom_instructions", label: "response_style" })).toBe("Custom instructions: reply style");
    expect(profileTitle({ source: "openai", profile_kind: "custom_instructions" })).toBe("Custom instructions");
  });

  it("names saved memories by who saved them, and project facts by their project", () => {
    expect(profileTitle({ source: "anthropic", profile_kind: "saved_memory" })).toBe("Claude's memory of you");
    expect(profileTitle({ source: "anthropic", profile_kind: "project_memory", label: "Garden plans" })).toBe("Project memory: Garden plans");
    expect(profileTitle({ source: "anthropic", profile_kind: "project_instructions", label: null })).toBe("Project instructions");
  });

  it("falls back to the label, then to a plain description, for a kind it does not know", () => {
    expect(profileTitle({ profile_kind: "something_new", label: "Hobbies" })).toBe("Hobbies");
    expect(profileTitle({})).toBe("Something you told your AI about yourself");
    expect(profileTitle({ profile_kind: "saved_memory" })).toBe("Your AI's memory of you");
  });
});
