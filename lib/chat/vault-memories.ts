import type { MemoryRetriever } from "./send-message";

// WIP: replaced by the search module's retrieveMemories once it is on main. Never lands like this.
export function getMemoryRetriever(): MemoryRetriever {
  return async () => [];
}
