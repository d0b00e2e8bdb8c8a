import { type JsonObject, asId, asObject, asText, asTitle } from "./loose-json";
import type { ProfileDraft } from "./profiles";

/**
 * Claude's `memories.json`: `[{conversations_memory, project_memories: {projectUuid: text}, account_uuid}]`.
 * The array form and a bare object are both accepted; project names come from `projects.json` when it
 * was read first.
 */
export function anthropicMemoryDrafts(value: unknown, projectNames: ReadonlyMap<string, string>): ProfileDraft[] {
  const memory = asObject(value);
  if (memory === null) return [];
  const drafts: ProfileDraft[] = [];
  const general = asText(memory.conversations_memory);
  if (general !== null) drafts.push({ profile_kind: "saved_memory", text: general });
  drafts.push(...anthropicProjectMemoryDrafts(memory.project_memories, projectNames));
  return drafts;
}

/** `project_memories` (`{projectUuid: text}`), labelled with the project's name when known. */
export function anthropicProjectMemoryDrafts(value: unknown, projectNames: ReadonlyMap<string, string>): ProfileDraft[] {
  const drafts: ProfileDraft[] = [];
  for (const [projectId, text] of Object.entries(asObject(value) ?? {})) {
    const memory = asText(text);
    if (memory === null) continue;
    const label = projectNames.get(projectId);
    drafts.push({ profile_kind: "project_memory", project_id: projectId, ...(label && { label }), text: memory });
  }
  return drafts;
}

/**
 * A Claude project (`projects.json`): what the person wrote as the project's instructions
 * (`prompt_template`). Anthropic's own starter project is not the person's words and is left out.
 */
export function anthropicProjectDrafts(project: JsonObject): ProfileDraft[] {
  if (project.is_starter_project === true) return [];
  const instructions = asText(project.prompt_template);
  const projectId = asId(project.uuid);
  if (instructions === null) return [];
  const label = asTitle(project.name) ?? undefined;
  return [{ profile_kind: "project_instructions", ...(projectId && { project_id: projectId }), ...(label && { label }), text: instructions }];
}
