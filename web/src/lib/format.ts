/** Words and numbers as the app shows them. */
import type { Embedder, UploadView } from "./api";
import { sourceName } from "../../../lib/exports/source-names";

export { formatBytes } from "../../../lib/format-bytes";

const numbers = new Intl.NumberFormat("en");

export function formatCount(count: number): string {
  return numbers.format(count);
}

/** A plan's size as its price list says it: 100 MB, 10 GB. */
export function planSize(megabytes: number): string {
  return megabytes >= 1000 ? `${formatCount(megabytes / 1000)} GB` : `${formatCount(megabytes)} MB`;
}

export function plural(count: number, one: string, many: string): string {
  return `${formatCount(count)} ${count === 1 ? one : many}`;
}

/** The export's maker, once the pipeline has recognised it ("" before, or when it could not). */
export function sourceLabel(source: string | null): string {
  return sourceName(source) ?? "";
}

/** The sentence under an upload's name: where it is in the pipeline, in the person's terms. */
export function phaseLabel(view: UploadView): string {
  switch (view.phase) {
    case "awaiting_upload":
      return "Sent; waiting for your vault to pick it up";
    case "queued":
      return "Queued: opening your export";
    case "parsing": {
      if (view.exchanges_found === 0) return "Reading the export";
      const indexed = view.chunks_done > 0 ? `, ${plural(view.chunks_done, "batch", "batches")} indexed` : "";
      return `Reading the export: ${plural(view.exchanges_found, "exchange", "exchanges")} so far${indexed}`;
    }
    case "embedding":
      return view.chunks_total > 0 ? `Indexing memories: ${view.chunks_done} of ${view.chunks_total} batches` : "Indexing memories";
    case "merging":
      return "Adding to your vault";
    case "done":
      return "Complete";
    case "failed":
      return "Failed";
    default:
      // A phase this page does not know yet (the API may name new ones): say what its status means.
      return view.status === "processing" ? "Processing" : "Waiting";
  }
}

/** What a finished upload added: "9 memories added, 3 already in your vault". */
export function outcomeLabel(view: UploadView): string {
  const text = `${plural(view.nodes_created, "memory", "memories")} added, ${formatCount(view.nodes_deduplicated)} already in your vault`;
  return view.duplicate_of ? `${text} (you had uploaded this exact file before)` : text;
}

/** An honest line about how the vault's memories are indexed. */
export function embedderLabel(embedder: Embedder | null): string {
  if (!embedder) return "Memories are indexed for search once your first export is in.";
  if (embedder.model === "local-hash-v1") {
    return `Indexed with the offline test embedder (${embedder.model}): fine for trying Cogzy out, not for real search quality.`;
  }
  return `Indexed with ${embedder.model}${embedder.dim ? ` (${embedder.dim} dimensions)` : ""}.`;
}

const relative = new Intl.RelativeTimeFormat("en", { numeric: "auto" });

export function timeAgo(iso: string, now = Date.now()): string {
  const seconds = Math.round((new Date(iso).getTime() - now) / 1000);
  const steps = [
    [60, "second"],
    [60, "minute"],
    [24, "hour"],
    [7, "day"],
    [4.35, "week"],
    [12, "month"],
  ] as const;
  let value = seconds;
  for (const [size, unit] of steps) {
    if (Math.abs(value) < size) return unit === "second" && Math.abs(value) < 30 ? "just now" : relative.format(Math.round(value), unit);
    value /= size;
  }
  return relative.format(Math.round(value), "year");
}

/** A clock time in the person's locale: "00:00". */
export function clockTime(iso: string): string {
  return new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}
