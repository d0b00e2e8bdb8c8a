/**
 * The chat card: ask a question, watch the reply arrive as it is written (server-sent events from
 * `POST /api/personal/chat`), see which memories it used, and go back to earlier conversations.
 * Limits and usage come from the server's answers; a message over the day's limit shows the server's
 * own sentence.
 */
import { api, ApiError } from "./api.js";

/** @typedef {import("./api.js").ChatAnswer} ChatAnswer */
/** @typedef {import("./api.js").MemoryUsed} MemoryUsed */
/** @typedef {import("./api.js").Usage} Usage */

/** @param {string} id */
const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

const SOURCES = /** @type {Record<string, string>} */ ({ openai: "ChatGPT", anthropic: "Claude", grok: "Grok", gemini: "Gemini" });

const state = {
  /** @type {string | null} */
  conversationId: null,
  sending: false,
  /** @type {(usage: Usage) => void} */
  onUsage: () => undefined,
  /** @type {AbortSignal | undefined} */
  signal: undefined,
};

/** A memory's label as the prompt gave it to the model: date · source · title. @param {MemoryUsed} memory */
function memoryLabel(memory) {
  const date = memory.created_at ? memory.created_at.slice(0, 10) : "undated";
  return `${date} · ${SOURCES[memory.source] ?? memory.source} · ${memory.conversation_title ?? "untitled"}`;
}

/**
 * Adds one message to the log and returns the element its text goes in.
 * @param {"user" | "assistant"} role @param {string} text @param {MemoryUsed[]} [memories]
 */
function addMessage(role, text, memories) {
  const item = document.createElement("li");
  item.className = `chat-message ${role}`;
  const body = document.createElement("p");
  body.className = "chat-text";
  body.textContent = text;
  item.append(body);
  if (memories) showMemories(item, memories);
  $("chat-log").append(item);
  $("chat-empty").hidden = true;
  item.scrollIntoView({ block: "nearest" });
  return item;
}

/** @param {HTMLElement} item @param {MemoryUsed[]} memories */
function showMemories(item, memories) {
  item.querySelector(".chat-memories")?.remove();
  if (memories.length === 0) return;
  const details = document.createElement("details");
  details.className = "chat-memories";
  const summary = document.createElement("summary");
  summary.textContent = `${memories.length} ${memories.length === 1 ? "memory" : "memories"} used`;
  const list = document.createElement("ol");
  for (const memory of memories) {
    const entry = document.createElement("li");
    const label = document.createElement("strong");
    label.textContent = memoryLabel(memory);
    const snippet = document.createElement("span");
    snippet.textContent = memory.snippet.replace(/\*\*/g, "");
    entry.append(label, snippet);
    list.append(entry);
  }
  details.append(summary, list);
  item.append(details);
}

/** @param {string | null} message */
function showError(message) {
  const error = $("chat-error");
  error.textContent = message ?? "";
  error.hidden = message === null;
}

async function send() {
  const input = /** @type {HTMLTextAreaElement} */ ($("chat-input"));
  const message = input.value.trim();
  if (!message || state.sending) return;
  state.sending = true;
  showError(null);
  const button = /** @type {HTMLButtonElement} */ ($("chat-send"));
  button.disabled = true;
  addMessage("user", message);
  input.value = "";
  const reply = addMessage("assistant", "");
  reply.classList.add("pending");
  const text = /** @type {HTMLElement} */ (reply.querySelector(".chat-text"));
  try {
    const answer = await api.chat(
      { message, ...(state.conversationId ? { conversation_id: state.conversationId } : {}) },
      {
        signal: state.signal,
        onStart: (start) => {
          state.conversationId = start.conversation_id;
          showMemories(reply, start.memories_used);
        },
        onDelta: (piece) => {
          reply.classList.remove("pending");
          text.textContent += piece;
        },
      },
    );
    reply.classList.remove("pending");
    text.textContent = answer.reply;
    showMemories(reply, answer.memories_used);
    state.conversationId = answer.conversation_id;
    state.onUsage(answer.usage);
    void refreshConversations();
  } catch (error) {
    reply.remove();
    // The message was not answered: give it back to the person to send again.
    input.value = message;
    showError(error instanceof ApiError ? error.message : "The reply could not be fetched. Try again in a moment.");
    if (error instanceof ApiError && error.code === "daily_limit") void api.usage().then(state.onUsage, () => undefined);
  } finally {
    state.sending = false;
    button.disabled = false;
    input.focus();
  }
}

async function refreshConversations() {
  const select = /** @type {HTMLSelectElement} */ ($("chat-conversations"));
  try {
    const { conversations } = await api.conversations();
    select.replaceChildren(new Option("New conversation", ""), ...conversations.map((c) => new Option(c.title, c.id)));
    select.value = state.conversationId ?? "";
    select.hidden = conversations.length === 0;
    $("chat-delete").hidden = state.conversationId === null;
  } catch {
    // The list is a convenience; the chat works without it.
  }
}

/** @param {string} conversationId */
async function open(conversationId) {
  showError(null);
  $("chat-log").replaceChildren();
  state.conversationId = conversationId || null;
  $("chat-empty").hidden = Boolean(conversationId);
  $("chat-delete").hidden = !conversationId;
  if (!conversationId) return;
  try {
    const conversation = await api.conversation(conversationId);
    for (const message of conversation.messages) addMessage(message.role, message.content, message.memories_used);
  } catch (error) {
    showError(error instanceof ApiError ? error.message : "This conversation could not be opened.");
  }
}

async function remove() {
  if (!state.conversationId) return;
  try {
    await api.deleteConversation(state.conversationId);
    await open("");
    await refreshConversations();
  } catch (error) {
    showError(error instanceof ApiError ? error.message : "This conversation could not be deleted.");
  }
}

/**
 * Wires the chat card once; `start` is called on every sign-in.
 * @param {{ onUsage: (usage: Usage) => void }} options
 */
export function setupChat(options) {
  state.onUsage = options.onUsage;
  $("chat-form").addEventListener("submit", (event) => {
    event.preventDefault();
    void send();
  });
  $("chat-input").addEventListener("keydown", (event) => {
    // Enter sends, Shift+Enter starts a new line, as in other chat apps.
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      void send();
    }
  });
  $("chat-conversations").addEventListener("change", (event) => void open(/** @type {HTMLSelectElement} */ (event.target).value));
  $("chat-delete").addEventListener("click", () => void remove());
  return {
    /** @param {AbortSignal} signal ends with the session */
    start(signal) {
      state.signal = signal;
      void open("");
      void refreshConversations();
    },
  };
}
