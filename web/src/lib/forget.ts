import type { ApiClient, ForgetView } from "./api";

/** How often, and for how long, the page asks whether a forget is done (it is seconds, usually). */
const POLL_MS = 500;
const WAIT_MS = 120_000;

/**
 * Waits until the vault has a version without the forgotten memories (`GET /vault/forgets` names the
 * forget `complete`) and answers the forget as it ended; a forget still pending after two minutes is
 * answered as it is, and the caller says it is still under way.
 */
export async function forgetFinished(client: ApiClient, forget: ForgetView, sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))): Promise<ForgetView> {
  const until = Date.now() + WAIT_MS;
  let latest = forget;
  while (latest.state === "pending" && Date.now() < until) {
    await sleep(POLL_MS);
    const { forgets } = await client.request("GET /api/personal/vault/forgets");
    latest = forgets.find((candidate) => candidate.forget_id === forget.forget_id) ?? latest;
  }
  return latest;
}

/** What to tell the person once a forget has ended. */
export function forgetOutcome(forget: ForgetView, what: string): string {
  if (forget.state === "failed") return `${what} could not be forgotten: ${forget.error_message ?? "the vault could not be rewritten"}. Try again.`;
  if (forget.state === "pending") return `${what} is being forgotten; it disappears from search and chat in a moment.`;
  return `${what} is forgotten: ${forget.memories === 1 ? "1 memory" : `${forget.memories.toLocaleString("en")} memories`} removed from your vault, search and chat.`;
}
