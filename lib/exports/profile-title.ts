import type { ProfileRecord } from "./records";
import { sourceName } from "./source-names";

/**
 * A profile fact's title for a person to read. Its `label` names the export field it came from
 * (ChatGPT's custom instructions: `about_user_message` and `about_model_message`, stored as
 * `about_user` and `response_style`) or, for a Claude project, the project's name; the field names are
 * not words to show anyone. Titles stay short enough for the CLI's 32-character column.
 */
export function profileTitle(fact: { source?: string; profile_kind?: string; label?: string | null }): string {
  const maker = sourceName(fact.source) ?? "Your AI";
  switch (fact.profile_kind as ProfileRecord["profile_kind"] | undefined) {
    case "custom_instructions":
      if (fact.label === "about_user") return "Custom instructions: about you";
      if (fact.label === "response_style") return "Custom instructions: reply style";
      return "Custom instructions";
    case "saved_memory":
      return `${maker}'s memory of you`;
    case "project_memory":
      return fact.label ? `Project memory: ${fact.label}` : "Project memory";
    case "project_instructions":
      return fact.label ? `Project instructions: ${fact.label}` : "Project instructions";
    default:
      return fact.label || "Something you told your AI about yourself";
  }
}
