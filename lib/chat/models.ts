import { getConfig, type Config } from "../config";
import { log } from "../log";
import type { ChatModel } from "./chat-model";
import { createHttpChatModel } from "./http-chat-model";
import { createOfflineChatModel } from "./offline-responder";

/** The model the settings name: the hosted one when CHAT_URL is set, else the offline responder. */
export function createChatModel(settings: Config["chat"]): ChatModel {
  if (!settings.baseUrl) return createOfflineChatModel();
  return createHttpChatModel({ baseUrl: settings.baseUrl, apiKey: settings.apiKey, model: settings.model, timeoutMs: settings.timeoutMs });
}

let current: { settings: Config["chat"]; model: ChatModel } | undefined;

/** The process-wide chat model, made on first use (and again if the configuration is reloaded). */
export function getChatModel(): ChatModel {
  const settings = getConfig().chat;
  if (current?.settings !== settings) {
    current = { settings, model: createChatModel(settings) };
    log.info(current.model.offline ? "chat: no CHAT_URL, the offline responder answers from memories" : "chat: hosted OpenAI-compatible model", { model: current.model.model });
  }
  return current.model;
}
