import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { importConversations, newUser, type TestUser } from "./support";
import { useTestStack } from "../support/stack";

const ctx = useTestStack();
let alice: TestUser;
let bob: TestUser;
const clients: Client[] = [];

beforeAll(async () => {
  alice = await newUser(ctx.api, ctx.db, "alice");
  bob = await newUser(ctx.api, ctx.db, "bob");
  await importConversations(ctx.api, alice, [
    {
      id: "alice-ferry",
      title: "Ferry booking",
      startTime: Date.UTC(2024, 6, 2) / 1000,
      turns: [
        ["I booked ferry ticket FRY-20931 to Bornholm.", "Ferry FRY-20931 leaves Ystad at 08:30."],
        ["Do I need to print it?", "No, the QR code on your phone is enough."],
      ],
    },
  ]);
  await importConversations(ctx.api, bob, [{ id: "bob-ferry", title: "Bob's ferry", turns: [["My ferry ticket is FRY-55555 to Gotland.", "Ferry FRY-55555 leaves Nynäshamn at noon."]] }]);
}, 120_000);

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
});

/** The SDK's own client, over streamable HTTP, with a personal access token as an MCP client config would send it. */
async function connect(user: TestUser): Promise<Client> {
  const created = await ctx.api.call("POST", "/api/personal/tokens", { token: user.token, body: { name: "mcp test" } });
  const transport = new StreamableHTTPClientTransport(new URL(`${ctx.stack.apiUrl}/mcp`), {
    requestInit: { headers: { Authorization: `Bearer ${created.body.token}` } },
  });
  const client = new Client({ name: "cogzy-test", version: "1.0.0" });
  await client.connect(transport);
  clients.push(client);
  return client;
}

function textOf(result: Awaited<ReturnType<Client["callTool"]>>): string {
  return (result.content as { type: string; text: string }[]).map((part) => part.text).join("\n");
}

describe("MCP server", () => {
  it("lists search_memories and get_memory as read-only tools", async () => {
    const client = await connect(alice);

    const { tools } = await client.listTools();

    expect(tools.map((tool) => tool.name).sort()).toEqual(["get_memory", "search_memories"]);
    expect(tools.every((tool) => tool.annotations?.readOnlyHint === true)).toBe(true);
    expect(tools.find((tool) => tool.name === "search_memories")!.inputSchema.properties).toHaveProperty("query");
  });

  it("answers search_memories with quotable text: title, date, source, link, id and the exchange", async () => {
    const client = await connect(alice);

    const result = await client.callTool({ name: "search_memories", arguments: { query: "FRY-20931", k: 3 } });
    const text = textOf(result);

    expect(result.isError).toBeFalsy();
    expect(text).toContain('[1] "Ferry booking" — ChatGPT, 2024-07-02');
    expect(text).toContain("link: https://chatgpt.com/c/alice-ferry");
    expect(text).toContain("User: I booked ferry ticket FRY-20931 to Bornholm.");
    expect(text).toContain("Assistant: Ferry FRY-20931 leaves Ystad at 08:30.");
  });

  it("answers get_memory with the memory and the turn after it", async () => {
    const client = await connect(alice);
    const found = textOf(await client.callTool({ name: "search_memories", arguments: { query: "FRY-20931", k: 1 } }));
    const id = /id: ([0-9a-f]{32})/.exec(found)![1]!;

    const text = textOf(await client.callTool({ name: "get_memory", arguments: { id } }));

    expect(text).toContain("(this memory)");
    expect(text).toContain("(later)");
    expect(text).toContain("No, the QR code on your phone is enough.");
  });

  it("keeps each user to their own vault: Bob's tools never see Alice's memories", async () => {
    const asAlice = await connect(alice);
    const asBob = await connect(bob);
    const aliceText = textOf(await asAlice.callTool({ name: "search_memories", arguments: { query: "FRY-20931", k: 1 } }));
    const aliceId = /id: ([0-9a-f]{32})/.exec(aliceText)![1]!;

    const bobSearch = textOf(await asBob.callTool({ name: "search_memories", arguments: { query: "FRY-20931 Bornholm Ystad", k: 50 } }));
    const bobFetch = await asBob.callTool({ name: "get_memory", arguments: { id: aliceId } });

    expect(bobSearch).not.toContain("Bornholm");
    expect(bobSearch).toContain("FRY-55555");
    expect(bobFetch.isError).toBe(true);
    expect(textOf(bobFetch)).toBe("There is no memory with this id in your vault.");
  });

  it("reports bad arguments as a tool error the model can read", async () => {
    const client = await connect(alice);

    const result = await client.callTool({ name: "search_memories", arguments: { query: "ferry", from: "yesterday" } });

    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain("ISO date");
  });

  it("refuses a free user's client with 403 before any tool runs", async () => {
    const user = await newUser(ctx.api, ctx.db, "free", "free");

    await expect(connect(user)).rejects.toThrow(/403|feature_not_in_plan/);
  });
});
