import { getPool } from "../db/pool";
import { getEmbedder } from "../ingest/embedder";
import { getStore } from "../store/client";
import { getIndexCache } from "./index-cache";
import { getMemoryTextCache } from "./memory-texts";
import type { RetrievalDeps } from "./retrieve";

/** The process-wide clients retrieval runs on (entry points pass these; tests may pass their own). */
export function getRetrievalDeps(): RetrievalDeps {
  return { db: getPool(), store: getStore(), embedder: getEmbedder(), cache: getIndexCache(), texts: getMemoryTextCache() };
}
