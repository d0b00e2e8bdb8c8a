/** Words and numbers as the page shows them. */

/** @typedef {import("./api.js").UploadView} UploadView */
/** @typedef {import("./api.js").Embedder} Embedder */

const numbers = new Intl.NumberFormat("en");

/** @param {number} count */
export function formatCount(count) {
  return numbers.format(count);
}

/** @param {number} bytes */
export function formatBytes(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value >= 100 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}

/** @param {number} count @param {string} one @param {string} many */
export function plural(count, one, many) {
  return `${formatCount(count)} ${count === 1 ? one : many}`;
}

/** @type {Record<import("./api.js").VaultState, string>} */
export const VAULT_STATES = {
  empty: "Empty",
  syncing: "Adding memories",
  ready: "Ready",
  error: "Needs attention",
};

/** @type {Record<string, string>} */
const SOURCES = { openai: "ChatGPT", anthropic: "Claude", grok: "Grok", gemini: "Gemini" };

/** The export's maker, once the pipeline has recognised it ("" before, or when it could not). @param {string | null} source */
export function sourceLabel(source) {
  return (source && SOURCES[source]) ?? "";
}

/**
 * The sentence under an upload's name: where it is in the pipeline, in the person's terms.
 * @param {UploadView} view
 */
export function phaseLabel(view) {
  switch (view.phase) {
    case "awaiting_upload":
      return "Sent; waiting for your vault to pick it up";
    case "queued":
      return "Queued: opening your export";
    case "parsing":
      return view.exchanges_found > 0 ? `Reading the export: ${plural(view.exchanges_found, "exchange", "exchanges")} so far` : "Reading the export";
    case "embedding":
      return view.chunks_total > 0 ? `Indexing memories: ${view.chunks_done} of ${view.chunks_total} batches` : "Indexing memories";
    case "merging":
      return "Adding to your vault";
    case "done":
      return "Complete";
    case "failed":
      return "Failed";
  }
}

/**
 * What a finished upload added, as parts whose numbers the page can emphasise:
 * "9 memories added, 3 already in your vault".
 * @param {UploadView} view
 * @returns {Array<string | { number: string }>}
 */
export function outcomeParts(view) {
  const parts = [{ number: formatCount(view.nodes_created) }, ` ${view.nodes_created === 1 ? "memory" : "memories"} added, `, { number: formatCount(view.nodes_deduplicated) }, " already in your vault"];
  return view.duplicate_of ? [...parts, " (you had uploaded this exact file before)"] : parts;
}

/** @param {UploadView} view */
export function outcomeLabel(view) {
  return outcomeParts(view)
    .map((part) => (typeof part === "string" ? part : part.number))
    .join("");
}

/**
 * An honest line about how the vault's memories are indexed.
 * @param {Embedder | null} embedder
 */
export function embedderLabel(embedder) {
  if (!embedder) return "Memories are indexed for search once your first export is in.";
  if (embedder.model === "local-hash-v1") {
    return `Indexed with the offline test embedder (${embedder.model}): fine for trying Cogzy out, not for real search quality.`;
  }
  return `Indexed with ${embedder.model} (${embedder.dim} dimensions).`;
}

const relative = new Intl.RelativeTimeFormat("en", { numeric: "auto" });

/** @param {string} iso @param {number} [now] */
export function timeAgo(iso, now = Date.now()) {
  const seconds = Math.round((new Date(iso).getTime() - now) / 1000);
  const steps = /** @type {const} */ ([
    [60, "second"],
    [60, "minute"],
    [24, "hour"],
    [7, "day"],
    [4.35, "week"],
    [12, "month"],
  ]);
  let value = seconds;
  for (const [size, unit] of steps) {
    if (Math.abs(value) < size) return unit === "second" && Math.abs(value) < 30 ? "just now" : relative.format(Math.round(value), unit);
    value /= size;
  }
  return relative.format(Math.round(value), "year");
}
