import { getConfig } from "../config";
import { getPool } from "../db/pool";
import { systemClock } from "../tiers/usage";
import { getChatModel } from "./models";
import type { ChatDeps } from "./send-message";
import { getMemoryRetriever } from "./vault-memories";

/** The process-wide clients the chat runs on (entry points pass these; tests and benchmarks their own). */
export function getChatDeps(): ChatDeps {
  return { db: getPool(), plans: getConfig().tiers, model: getChatModel(), retrieve: getMemoryRetriever(), clock: systemClock };
}
