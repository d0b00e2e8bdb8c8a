import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type ExportRecord, isExportFormatError } from "../../lib/exports";
import { fixtureText, readBytes, zipOfFixtures } from "./support/read-all";

const JSON_FIXTURES = [
  "chatgpt/branches.json",
  "chatgpt/hidden-and-tools.json",
  "chatgpt/null-fields.json",
  "chatgpt/wrapper.json",
  "claude/conversations.json",
  "grok/prod-grok-backend.json",
  "gemini/MyActivity.json",
].map((path) => ({ path, bytes: Buffer.from(fixtureText(path)) }));

const ZIP = zipOfFixtures({ "conversations.json": "claude/conversations.json", "memories.json": "claude/memories.json" });

/** One random damage: a changed byte, a cut, a deleted run, or inserted junk. */
const damage = fc.oneof(
  fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), length: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), junk: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
);
type Damage = typeof damage extends fc.Arbitrary<infer T> ? T : never;

function applyDamage(bytes: Buffer, damages: Damage[]): Buffer {
  let result = Buffer.from(bytes);
  for (const change of damages) {
    const at = change.at % Math.max(1, result.length);
    if (change.kind === "flip") result[at] = change.byte;
    if (change.kind === "truncate") result = result.subarray(0, at);
    if (change.kind === "delete") result = Buffer.concat([result.subarray(0, at), result.subarray(at + change.length)]);
    if (change.kind === "insert") result = Buffer.concat([result.subarray(0, at), change.junk, result.subarray(at)]);
  }
  return result;
}

function wellFormed(record: ExportRecord): boolean {
  const sourceOk = ["openai", "anthropic", "grok", "gemini"].includes(record.source);
  if (record.kind === "profile") return sourceOk && /^[0-9a-f]{32}$/.test(record.id) && record.text.trim() !== "";
  return (
    sourceOk &&
    /^[0-9a-f]{32}$/.test(record.id) &&
    typeof record.human === "string" &&
    typeof record.assistant === "string" &&
    (record.human !== "" || record.assistant !== "") &&
    (record.created_at === null || !Number.isNaN(Date.parse(record.created_at)))
  );
}

/** Either well-formed records, or an ExportFormatError: never another exception. */
async function readsOrRefuses(name: string, bytes: Buffer, chunkBytes?: number): Promise<void> {
  try {
    const { records } = await readBytes(name, bytes, chunkBytes === undefined ? {} : { chunkBytes });
    expect(records.every(wellFormed)).toBe(true);
  } catch (error) {
    if (!isExportFormatError(error)) throw error;
  }
}

describe("reading damaged exports", () => {
  it("never crashes on randomly damaged JSON exports", async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...JSON_FIXTURES), fc.array(damage, { minLength: 1, maxLength: 4 }), fc.integer({ min: 1, max: 4096 }), async (fixture, damages, chunkBytes) => {
        await readsOrRefuses(fixture.path, applyDamage(fixture.bytes, damages), chunkBytes);
      }),
      { numRuns: 400 },
    );
  });

  it("never crashes on randomly damaged zips", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(damage, { minLength: 1, maxLength: 3 }), async (damages) => {
        await readsOrRefuses("export.zip", applyDamage(ZIP, damages));
      }),
      { numRuns: 300 },
    );
  });

  it("never crashes when any field of a conversation holds any JSON value", async () => {
    const shapes = [
      (value: unknown) => ({ title: value, mapping: { a: { id: "a", parent: value, message: value } }, current_node: value }),
      (value: unknown) => ({ id: "c", mapping: { a: { id: "a", parent: null, message: { id: "m", author: { role: "user" }, content: value, metadata: value } } }, current_node: "a" }),
      (value: unknown) => ({ uuid: value, name: value, chat_messages: [value, { sender: "human", text: value, content: value, attachments: value }] }),
      (value: unknown) => ({ conversation: value, responses: [value, { response: { sender: value, message: value, create_time: value } }] }),
      (value: unknown) => ({ header: "Gemini Apps", title: value, time: value, safeHtmlItem: value, attachedFiles: value }),
      (value: unknown) => ({ conversations_memory: value, project_memories: value }),
    ];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...shapes), fc.jsonValue({ maxDepth: 4 }), async (shape, value) => {
        await readsOrRefuses("conversations.json", Buffer.from(JSON.stringify([shape(value)])));
      }),
      { numRuns: 400 },
    );
  });

  it("reads the same records whatever the chunk boundaries", async () => {
    const expected = new Map<string, string>();
    for (const fixture of JSON_FIXTURES) expected.set(fixture.path, JSON.stringify((await readBytes(fixture.path, fixture.bytes)).records));

    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...JSON_FIXTURES), fc.integer({ min: 1, max: 300 }), async (fixture, chunkBytes) => {
        const { records } = await readBytes(fixture.path, fixture.bytes, { chunkBytes });

        expect(JSON.stringify(records)).toBe(expected.get(fixture.path));
      }),
      { numRuns: 100 },
    );
  });
});
