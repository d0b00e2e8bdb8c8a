import { getPool } from "../db/pool";
import { getStore } from "../store/client";
import type { BrowseDeps } from "./browse";
import { getVersionViewCache } from "./version-view";

/** The process-wide clients browsing runs on (entry points pass these; tests may pass their own). */
export function getBrowseDeps(): BrowseDeps {
  return { db: getPool(), store: getStore(), views: getVersionViewCache() };
}
