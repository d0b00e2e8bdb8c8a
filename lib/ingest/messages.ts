import { z } from "zod";
import { forgetMessageSchema } from "../forgets/messages";

/** The embed queue: one message per chunk, a pointer to its input in the store (never the contents). */
export const embedChunkMessageSchema = z.object({
  type: z.literal("embed-chunk"),
  upload_id: z.uuid(),
  vault_id: z.uuid(),
  attempt: z.number().int().positive(),
  chunk_index: z.number().int().nonnegative(),
  input_key: z.string().min(1),
});
export type EmbedChunkMessage = z.infer<typeof embedChunkMessageSchema>;

/** The reduce queue (FIFO, grouped by vault): merge a finished upload's chunks into its vault. */
export const mergeUploadMessageSchema = z.object({
  type: z.literal("merge-upload"),
  upload_id: z.uuid(),
  vault_id: z.uuid(),
  attempt: z.number().int().positive(),
});
export type MergeUploadMessage = z.infer<typeof mergeUploadMessageSchema>;

/**
 * The reduce queue, too: delete an emptied vault's files (lib/vaults/empty-vault.ts), in the vault's
 * FIFO group so it runs after any merge of the vault already under way and before any later one.
 */
export const emptyVaultMessageSchema = z.object({
  type: z.literal("empty-vault"),
  vault_id: z.uuid(),
  /** The empty version the vault was moved to. */
  version: z.number().int().positive(),
});
export type EmptyVaultMessage = z.infer<typeof emptyVaultMessageSchema>;

/** Everything the reduce queue carries, each in its vault's FIFO group (a forget: lib/forgets/messages.ts). */
export const reduceMessageSchema = z.discriminatedUnion("type", [mergeUploadMessageSchema, emptyVaultMessageSchema, forgetMessageSchema]);
export type ReduceMessage = z.infer<typeof reduceMessageSchema>;
