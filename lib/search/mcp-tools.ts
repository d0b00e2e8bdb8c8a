import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import { isAppError } from "../errors";
import { DEFAULT_K, MAX_K, type MemoryResult, queryText, searchFilters, searchOptionsShape } from "../api/contract";
import { profileTitle } from "../exports/profile-title";
import { sourceName } from "../exports/source-names";
import { getMemory, retrieveMemories, type RetrievalDeps } from "./retrieve";

/**
 * The vault as MCP tools (https://modelcontextprotocol.io/specification/2025-06-18/server/tools) for one
 * signed-in user: `search_memories` and `get_memory`, answering text a model can quote — title, date,
 * source and link, then the exchange. The same retrieval, isolation and plan rules as the HTTP API (the
 * caller has been authenticated and its plan checked before this server exists).
 */
const SOURCES = ["openai", "anthropic", "grok", "gemini"] as const;
/** Characters of each side of an exchange shown in search results; get_memory shows everything. */
const RESULT_CHARS = 1500;

const searchArguments = z.object({ q: queryText, ...searchOptionsShape });

export function createVaultMcpServer(deps: RetrievalDeps, userId: string): McpServer {
  const server = new McpServer({ name: "cogzy-vault", version: "1.0.0" });

  server.registerTool(
    "search_memories",
    {
      title: "Search my memories",
      description:
        "Search everything the user discussed with ChatGPT, Claude, Grok and Gemini (their imported chat history). " +
        "Hybrid search: meaning and exact words (names, numbers, code identifiers). Returns the best matching exchanges with their date, source, link and id; " +
        "call get_memory with an id for the whole exchange and the turns around it.",
      inputSchema: {
        query: z.string().describe("What to look for, in the user's words or exact terms"),
        k: z.number().int().min(1).max(MAX_K).optional().describe(`How many memories (default ${DEFAULT_K})`),
        source: z.enum(SOURCES).optional().describe("Only memories from this provider"),
        from: z.string().optional().describe("Only memories said on or after this ISO date, e.g. 2024-01-31"),
        to: z.string().optional().describe("Only memories said on or before this ISO date"),
      },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async ({ query, ...options }) =>
      answer(async () => {
        const parsed = searchArguments.safeParse({ q: query, ...options });
        if (!parsed.success) return failure(parsed.error.issues.map((issue) => `${issue.path.join(".") || "query"}: ${issue.message}`).join("; "));
        const found = await retrieveMemories(deps, userId, parsed.data.q, { k: parsed.data.k, filters: searchFilters(parsed.data) });
        if (found.results.length === 0) return text("No memories match this search.");
        return text(found.results.map((memory, index) => formatMemory(memory, `[${index + 1}]`, RESULT_CHARS)).join("\n\n---\n\n"));
      }),
  );

  server.registerTool(
    "get_memory",
    {
      title: "Read one memory",
      description: "The whole of one memory (an exchange of a past conversation) by the id search_memories gave, with the turns just before and after it.",
      inputSchema: { id: z.string().describe("The memory id from search_memories") },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async ({ id }) =>
      answer(async () => {
        const found = await getMemory(deps, userId, id.trim());
        const parts = [
          ...found.before.map((memory) => formatMemory(memory, "(earlier)", RESULT_CHARS)),
          formatMemory(found.memory, "(this memory)", Infinity),
          ...found.after.map((memory) => formatMemory(memory, "(later)", RESULT_CHARS)),
        ];
        return text(parts.join("\n\n---\n\n"));
      }),
  );
  return server;
}

type ToolAnswer = { content: { type: "text"; text: string }[]; isError?: boolean };

function text(value: string): ToolAnswer {
  return { content: [{ type: "text", text: value }] };
}

function failure(message: string): ToolAnswer {
  return { ...text(message), isError: true };
}

/** Expected failures (not found, bad input, model mismatch) become a tool error the model can read. */
async function answer(run: () => Promise<ToolAnswer>): Promise<ToolAnswer> {
  try {
    return await run();
  } catch (error) {
    if (isAppError(error) && error.expose) return failure(error.message);
    throw error;
  }
}

function formatMemory(memory: Omit<MemoryResult, "score" | "snippet">, label: string, maxChars: number): string {
  const when = memory.created_at ? memory.created_at.slice(0, 10) : "undated";
  const source = sourceName(memory.source) ?? memory.source;
  const title = memory.kind === "profile" ? `Profile: ${profileTitle(memory)}` : memory.conversation_title ?? "Untitled conversation";
  const head = [`${label} "${title}" — ${source}, ${when}`, `id: ${memory.id}`, memory.source_url ? `link: ${memory.source_url}` : ""].filter(Boolean).join("\n");
  if (memory.kind === "profile") return `${head}\n${clip(memory.human, maxChars)}`;
  return `${head}\nUser: ${clip(memory.human, maxChars)}\nAssistant: ${clip(memory.assistant, maxChars)}`;
}

function clip(value: string, maxChars: number): string {
  return value.length <= maxChars ? value : `${value.slice(0, maxChars)}… (get_memory has the rest)`;
}
