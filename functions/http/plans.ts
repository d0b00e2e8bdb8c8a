import { getConfig } from "../../lib/config";
import { httpHandler } from "../../lib/http/handler";
import { answer } from "../../lib/http/response";

/**
 * GET /api/personal/plans → {free: Plan, premium: Plan}: the validated plan definitions the server
 * enforces, so the web page and the CLI show the same limits and prices. Public: it is a price list.
 */
export async function main() {
  return answer("GET /api/personal/plans", 200, getConfig().tiers, { headers: { "cache-control": "public, max-age=300" } });
}

export const handler = httpHandler(main);
