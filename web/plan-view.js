/**
 * The plan card: today's messages and the vault's space against the plan's limits (`usage` from
 * `GET /me`), and the offer of Premium with the price and limits the server enforces (`GET /plans`),
 * so the page never states a limit of its own.
 */
import { api, ApiError } from "./api.js";
import { formatBytes, formatCount } from "./format.js";

/** @typedef {import("./api.js").Usage} Usage */
/** @typedef {import("./api.js").Plans} Plans */

const MB = 1024 * 1024;

/** A plan's size as its price list says it: 100 MB, 10 GB. @param {number} megabytes */
function planSize(megabytes) {
  return megabytes >= 1000 ? `${formatCount(megabytes / 1000)} GB` : `${formatCount(megabytes)} MB`;
}

/** @param {string} id */
const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

/** @param {Usage} usage */
export function renderUsage(usage) {
  const messages = $("plan-messages");
  messages.textContent = usage.messages_limit === null ? formatCount(usage.messages_used) : `${formatCount(usage.messages_used)} of ${formatCount(usage.messages_limit)}`;
  messages.dataset.exhausted = String(usage.messages_remaining === 0);
  $("plan-messages-note").textContent = usage.messages_limit === null ? "No daily limit" : `More at ${new Date(usage.resets_at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })}`;
  $("plan-space").textContent = `${formatBytes(usage.vault_bytes)} of ${planSize(usage.vault_limit_bytes / MB)}`;
  $("plan-space").dataset.exhausted = String(usage.vault_bytes >= usage.vault_limit_bytes);
  const badge = $("tier-badge");
  badge.textContent = usage.tier === "premium" ? "Premium" : "Free plan";
  badge.dataset.tier = usage.tier;
  $("upgrade-box").hidden = usage.tier === "premium";
}

/** Fills the offer from the server's plans; the card works without it if they cannot be read. */
export async function renderOffer() {
  /** @type {Plans} */
  let plans;
  try {
    plans = await api.plans();
  } catch {
    return;
  }
  const premium = plans.premium;
  const limit = premium.messages_per_day === null ? "unlimited messages" : `${formatCount(premium.messages_per_day)} messages a day`;
  $("upgrade-offer").textContent = `${premium.name}: ${limit}, ${planSize(premium.max_vault_size_mb)} of vault space and memory search.`;
  $("upgrade").textContent = `Upgrade · $${premium.price_monthly_usd}/month`;
}

/** Sends the person to Stripe Checkout; a server without payments says so in its own words. */
export async function upgrade() {
  const button = /** @type {HTMLButtonElement} */ ($("upgrade"));
  const error = $("upgrade-error");
  error.hidden = true;
  button.disabled = true;
  try {
    const { url } = await api.checkout();
    window.location.assign(url);
  } catch (failure) {
    error.textContent = failure instanceof ApiError ? failure.message : "Checkout could not be opened. Try again in a moment.";
    error.hidden = false;
    button.disabled = false;
  }
}
