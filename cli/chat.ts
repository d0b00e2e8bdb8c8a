/**
 * `vault chat <message>`: asks the chat, prints the reply as it is written, then the memories it used
 * and what is left of the day's messages. `--conversation` continues an earlier conversation; `--json`
 * prints the whole answer as JSON.
 */
import { memoryLabel } from "../lib/chat/prompt";
import type { ChatAnswer } from "../lib/api/contract";
import { ApiError, createApiClient } from "./api-client";
import type { Invocation } from "./command-line";

export async function run({ values, operands }: Invocation<{ email: string; password: string; api: string; conversation?: string; json: boolean }>): Promise<number> {
  const message = operands.join(" ").trim();
  const api = createApiClient(values.api);
  try {
    await api.logIn(values.email, values.password);
    const body = { message, ...(values.conversation ? { conversation_id: values.conversation } : {}) };
    if (values.json) {
      process.stdout.write(`${JSON.stringify(await api.chat(body), null, 2)}\n`);
      return 0;
    }
    const answer = await api.chat(body, (text) => process.stdout.write(text));
    process.stdout.write(`\n\n${describeAnswer(answer)}`);
    return 0;
  } catch (error) {
    if (error instanceof ApiError) {
      process.stderr.write(`\nvault chat: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}
/** What follows the reply: the memories it used, the day's messages, how to continue. */
export function describeAnswer(answer: ChatAnswer): string {
  const lines: string[] = [];
  if (answer.memories_used.length === 0) lines.push("No memories were used.");
  else {
    lines.push(`Memories used (${answer.memories_used.length}):`);
    answer.memories_used.forEach((memory, index) => {
      lines.push(`  [${index + 1}] ${memoryLabel({ ...memory, kind: memory.kind ?? "exchange" })}`);
      lines.push(`      ${memory.snippet.replace(/\*\*/g, "").replace(/\s+/g, " ").slice(0, 160)}`);
    });
  }
  const usage = answer.usage;
  lines.push(usage.messages_limit === null ? `${usage.messages_used} messages today (no daily limit).` : `${usage.messages_remaining} of ${usage.messages_limit} messages left today.`);
  lines.push(`Continue with --conversation ${answer.conversation_id}`);
  return `${lines.join("\n")}\n`;
}
