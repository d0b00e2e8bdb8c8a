import { z } from "zod";

/** The reduce queue (FIFO, grouped by vault, like merges): write the vault version without a forget's memories. */
export const forgetMessageSchema = z.object({
  type: z.literal("forget"),
  forget_id: z.uuid(),
  vault_id: z.uuid(),
});
export type ForgetMessage = z.infer<typeof forgetMessageSchema>;
