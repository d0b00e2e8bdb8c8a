import { getPool } from "../db/pool";
import { getStore } from "../store/client";
import { getVersionViewCache } from "../vaults/version-view";
import type { ExportDeps } from "./export-vault";

/** The process-wide clients an export runs on. */
export function getExportDeps(): ExportDeps {
  return { db: getPool(), store: getStore(), views: getVersionViewCache() };
}
