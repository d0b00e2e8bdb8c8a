import { beforeAll, describe, expect, it } from "vitest";
import { useChatStandIn } from "../chat/support/stand-in";
import { buildZip } from "../exports/support/zip-writer";
import { importConversations, newUser, search, type TestUser } from "../search/support";
import { chatgptExport } from "../support/exports";
import { uploadBytes, waitForUpload } from "../support/ingest";
import { useTestStack } from "../support/stack";

/**
 * Request bodies holding NUL or a lone surrogate are refused at the edge (hostile-requests.test.ts), but
 * an export is the person's own history and is taken as it is: JSON allows `\u0000` and unpaired
 * `\ud800` escapes (RFC 8259 §8.2), and real exports carry them (pasted binary, emoji cut in two). That
 * text must not break anything downstream that stores it: the upload, search, and the chat that keeps
 * the memories it used.
 */
useChatStandIn();
const ctx = useTestStack();

const ODD = "The boiler code is K7\u0000QX and the half emoji \ud83d was cut off; the lone \udfff too.";
let person: TestUser;

beforeAll(async () => {
  person = await newUser(ctx.api, ctx.db, "odd-text", "premium");
  await importConversations(ctx.api, person, [
    { id: "odd-boiler", title: "Boiler \u0000 code \ud800", turns: [["What is the boiler reset code?", ODD]] },
    { id: "plain", title: "Plain", turns: [["How tall do sunflowers grow?", "Up to three metres in a sunny spot."]] },
  ]);
}, 180_000);

describe("an export whose text holds NUL and lone surrogates", () => {
  it("is searchable like any other", async () => {
    const answer = await search(ctx.api, person.token, { q: "boiler reset code", k: 3 });

    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    expect(JSON.stringify(answer.body)).toContain("boiler");
  });

  it("can be quoted in a chat, which answers and keeps the exchange with the memories it used", async () => {
    const answer = await ctx.api.call("POST", "/api/personal/chat", { token: person.token, body: { message: "What is the boiler reset code?" } });

    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    const used = answer.body.memories_used as Array<{ conversation_title: string; snippet: string }>;
    expect(used.some((memory) => memory.snippet.includes("K7\u0000QX")), JSON.stringify(used)).toBe(true);
    const kept = await ctx.api.call("GET", `/api/personal/chat/conversations/${answer.body.conversation_id}`, { token: person.token });
    expect(kept.status).toBe(200);
    // Kept with U+FFFD where PostgreSQL could not keep the character.
    expect(JSON.stringify(kept.body)).toContain("K7\uFFFDQX");
  });

  it("in a zip whose entry name holds NUL: the upload completes with its memories", async () => {
    const zip = buildZip([{ name: "odd\u0000name/conversations.json", data: chatgptExport([{ id: "zip-odd", title: "Zipped", turns: [["Where is the zip?", "In the drawer."]] }]) }]);

    const done = await waitForUpload(ctx.api, person.token, await uploadBytes(ctx.api, person.token, "export.zip", zip));

    expect(done, JSON.stringify(done)).toMatchObject({ status: "complete", nodes_created: 1 });
  });
});
