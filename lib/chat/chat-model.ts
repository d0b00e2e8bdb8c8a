import { AppError } from "../errors";

/** One message of an OpenAI-style conversation (https://platform.openai.com/docs/api-reference/chat/create). */
export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

/** A memory as the model is shown it: numbered, with its date, source and title. */
export interface PromptMemory {
  /** 1-based, as cited in the prompt (`[1]`). */
  number: number;
  /** `2024-03-05 · ChatGPT · "Trip to Lisbon"` */
  label: string;
  /** What was said, cut to the prompt's budget. */
  text: string;
}

export interface ChatRequest {
  /** The whole prompt: system (with the memories), earlier turns, the question. */
  messages: ChatMessage[];
  /** The memories inside the system message, for a responder that works from them directly. */
  memories: PromptMemory[];
  question: string;
  signal?: AbortSignal;
  /** Called with each piece of the reply as it arrives; without it the reply comes whole. */
  onDelta?: (text: string) => void;
}

export interface ChatTokenUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export interface ChatCompletion {
  reply: string;
  /** The model that answered, as named in settings (or `offline` for the built-in responder). */
  model: string;
  tokens: ChatTokenUsage | null;
}

/** Answers a prompt. The hosted model (CHAT_URL) and the offline responder both implement it. */
export interface ChatModel {
  readonly model: string;
  readonly offline: boolean;
  reply(request: ChatRequest): Promise<ChatCompletion>;
}

export type ChatModelErrorCode = "chat_model_unavailable" | "chat_model_rejected" | "chat_model_bad_response";

/**
 * The model did not give a reply. Shown to the person (the message is written for them, and says their
 * message was not counted); the provider's own words stay in `details`, for the logs.
 */
export class ChatModelError extends AppError {
  declare readonly code: ChatModelErrorCode;
  constructor(code: ChatModelErrorCode, details: Record<string, unknown>, cause?: unknown) {
    super(code, "The chat model did not answer, so this message was not counted. Try again in a moment.", {
      status: code === "chat_model_unavailable" ? 503 : 502,
      expose: true,
      details,
      cause,
    });
  }
}
