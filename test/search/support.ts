import type pg from "pg";
import { expect } from "vitest";
import { uniqueEmail, type apiClient } from "../support/api";
import { chatgptExport, type ConversationSpec } from "../support/exports";
import { uploadBytes, waitForUpload } from "../support/ingest";

type Api = ReturnType<typeof apiClient>;

export interface TestUser {
  email: string;
  token: string;
  userId: string;
}

/** Signs up a user, on the premium plan unless told otherwise. */
export async function newUser(api: Api, db: pg.Pool, label: string, tier: "free" | "premium" = "premium"): Promise<TestUser> {
  const email = uniqueEmail(label);
  const { body } = await api.signUp(email);
  await db.query("UPDATE personal.user_tiers SET tier = $2 WHERE user_id = $1", [body.user_id, tier]);
  return { email, token: body.token, userId: body.user_id };
}

/** Uploads a ChatGPT export of `conversations` and waits until it is merged. */
export async function importConversations(api: Api, user: TestUser, conversations: ConversationSpec[]) {
  const uploadId = await uploadBytes(api, user.token, "conversations.json", chatgptExport(conversations));
  const done = await waitForUpload(api, user.token, uploadId);
  expect(done.status, JSON.stringify(done)).toBe("complete");
  return done;
}

/** Filler conversations about one theme, so a planted fact is one memory among many similar ones. */
export function fillerConversations(prefix: string, count: number, theme: string): ConversationSpec[] {
  return Array.from({ length: count }, (_, c) => ({
    id: `${prefix}-filler-${c}`,
    title: `${theme} notes ${c}`,
    turns: [
      [`Tell me more about ${theme}, part ${c}.`, `Here is more about ${theme}: detail ${c}, with examples of ${theme} in practice.`],
      [`And how does ${theme} relate to orders and deliveries?`, `${theme} and orders: usually the delivery depends on the order status.`],
    ],
  }));
}

export function search(api: Api, token: string, params: Record<string, string | number>) {
  const query = new URLSearchParams(Object.entries(params).map(([key, value]): [string, string] => [key, String(value)]));
  return api.call("GET", `/api/personal/vault/search?${query}`, { token });
}
