/**
 * What each tier allows (brief, Task 1B). Free users can upload: memory is the hook; premium lifts the
 * daily message limit and raises the vault quota.
 */
export type Tier = "free" | "premium";

export interface TierLimits {
  /** Chat messages per UTC day; `null` means unlimited. */
  messagesPerDay: number | null;
  uploadEnabled: boolean;
  maxVaultSizeMb: number;
  features: readonly string[];
}

export const TIERS: Record<Tier, TierLimits> = {
  free: {
    messagesPerDay: 20,
    uploadEnabled: true,
    maxVaultSizeMb: 100,
    features: ["basic_chat", "memory_upload"],
  },
  premium: {
    messagesPerDay: null,
    uploadEnabled: true,
    maxVaultSizeMb: 10_000,
    features: ["basic_chat", "memory_upload", "memory_search"],
  },
};

export function tierLimits(tier: Tier): TierLimits {
  return TIERS[tier];
}
