import type { ProfileDraft } from "./profiles";
import type { ExchangeRecord } from "./records";

/**
 * What a source reader makes of one conversation. A conversation that yields nothing says why in
 * `skipped`, so the summary can tell the person what was left out instead of reporting a silent success.
 */
export interface ConversationReading {
  conversationId: string;
  exchanges: ExchangeRecord[];
  profile: ProfileDraft[];
  skipped?: string;
}
