import { describe, expect, it } from "vitest";
import { readAhead } from "../../lib/ingest/merge-upload";

/** A read whose completion the test decides, to see how many are started before their turn. */
function controlledReads() {
  const pending = new Map<number, { resolve: (value: string) => void; reject: (error: Error) => void }>();
  const read = (item: number) => new Promise<string>((resolve, reject) => void pending.set(item, { resolve, reject }));
  return { pending, read };
}

describe("readAhead", () => {
  it("yields every read in order, with at most `ahead` reads started past the one awaited", async () => {
    const { pending, read } = controlledReads();
    const reads = readAhead([0, 1, 2, 3, 4, 5], read, 2);
    const first = reads.next();
    await expect.poll(() => [...pending.keys()]).toEqual([0, 1, 2]);
    // Later reads finishing first change nothing: results come in the items' order.
    pending.get(2)!.resolve("c");
    pending.get(1)!.resolve("b");
    pending.get(0)!.resolve("a");
    expect(await first).toEqual({ done: false, value: "a" });
    expect(await reads.next()).toEqual({ done: false, value: "b" });
    // Asking for b started 3 (b's turn, two past it: c and d), and no more.
    expect([...pending.keys()]).toEqual([0, 1, 2, 3]);
    const rest = (async () => {
      const out: string[] = [];
      for await (const value of reads) out.push(value);
      return out;
    })();
    for (const item of [3, 4, 5]) {
      await expect.poll(() => pending.has(item)).toBe(true);
      pending.get(item)!.resolve(String.fromCharCode(97 + item));
    }
    expect(await rest).toEqual(["c", "d", "e", "f"]);
  });

  it("reports a read that failed ahead of its turn when its turn comes, never as an unhandled rejection", async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => void unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    try {
      const { pending, read } = controlledReads();
      const reads = readAhead([0, 1, 2], read, 2);
      const first = reads.next();
      await expect.poll(() => pending.size).toBe(3);
      pending.get(1)!.reject(new Error("chunk 1 is missing"));
      // Give the failure every chance to surface as unhandled before its turn.
      await new Promise((resolve) => setImmediate(resolve));
      pending.get(0)!.resolve("a");
      expect(await first).toEqual({ done: false, value: "a" });
      await expect(reads.next()).rejects.toThrow("chunk 1 is missing");
      await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).toEqual([]);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });
});
