/**
 * The signed-in screen's rendering: the account header, the vault's figures and the list of uploads.
 * Rows are keyed, so a row being updated every few hundred milliseconds keeps its element (and any focus
 * inside it) instead of being rebuilt.
 */
import { embedderLabel, formatBytes, formatCount, outcomeParts, phaseLabel, sourceLabel, timeAgo, VAULT_STATES } from "./format.js";

/** @typedef {import("./api.js").Me} Me */
/** @typedef {import("./api.js").VaultDetail} VaultDetail */
/** @typedef {import("./api.js").VaultSummary} VaultSummary */
/** @typedef {import("./api.js").UploadView} UploadView */

/**
 * An upload as the list shows it: either only known to this page (still being sent) or known to the API.
 * @typedef {object} UploadRow
 * @property {string} key stable while the row lives: the upload id once there is one.
 * @property {string} filename
 * @property {number} size
 * @property {{ sent: number, total: number } | null} sending bytes sent to the store, while sending.
 * @property {UploadView | null} view the API's latest answer about it.
 * @property {string | null} error a failure before the pipeline had the file (sending, or refused).
 * @property {(() => void) | null} cancel offered while the file is still being sent.
 * @property {boolean} [abandoned] registered earlier but its file never arrived (a closed tab, a lost connection).
 */

/** @param {string} id */
const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

/** @param {Me} me */
export function renderAccount(me) {
  $("user-email").textContent = me.email;
}

/** @param {VaultSummary & Partial<VaultDetail>} vault */
export function renderVault(vault) {
  $("stat-memories").textContent = formatCount(vault.node_count);
  $("stat-size").textContent = formatBytes(vault.total_bytes);
  const status = $("vault-status");
  status.textContent = VAULT_STATES[vault.status] ?? vault.status;
  status.dataset.state = vault.status;
  if (vault.last_sync_at !== undefined) {
    const synced = $("stat-synced");
    synced.textContent = vault.last_sync_at ? timeAgo(vault.last_sync_at) : "Never";
    if (vault.last_sync_at) synced.title = new Date(vault.last_sync_at).toLocaleString();
  }
  if (vault.embedder !== undefined) $("embedder-line").textContent = embedderLabel(vault.embedder);
}

/** Says a sentence to screen readers without moving focus. @param {string} text */
export function announce(text) {
  const announcer = $("announcer");
  announcer.textContent = "";
  // A fresh text node after a tick, so repeating the same sentence is announced again.
  setTimeout(() => (announcer.textContent = text), 50);
}

/**
 * Brings the list in line with `rows` (newest first), reusing each row's element.
 * @param {UploadRow[]} rows
 */
export function renderUploads(rows) {
  const list = $("upload-list");
  $("uploads-empty").hidden = rows.length > 0;
  /** @type {Map<string, HTMLLIElement>} */
  const existing = new Map();
  for (const item of /** @type {HTMLLIElement[]} */ ([...list.children])) existing.set(item.dataset.key ?? "", item);
  let previous = /** @type {Element | null} */ (null);
  for (const row of rows) {
    const item = existing.get(row.key) ?? createRow(row.key);
    existing.delete(row.key);
    updateRow(item, row);
    const expectedPosition = previous ? previous.nextElementSibling : list.firstElementChild;
    if (expectedPosition !== item) list.insertBefore(item, expectedPosition);
    previous = item;
  }
  for (const stale of existing.values()) stale.remove();
}

/** @param {string} key */
function createRow(key) {
  const item = document.createElement("li");
  item.className = "upload";
  item.dataset.key = key;
  item.innerHTML = `
    <div class="upload-head">
      <span class="upload-name"></span>
      <span class="upload-meta"></span>
    </div>
    <div class="progress" role="progressbar" aria-valuemin="0" aria-valuemax="100"><span class="progress-fill"></span></div>
    <div class="upload-foot">
      <p class="upload-status"></p>
      <button type="button" class="button small ghost upload-cancel" hidden>Cancel</button>
    </div>
    <p class="upload-outcome" hidden></p>
    <p class="upload-error" role="alert" hidden></p>`;
  return item;
}

/**
 * @param {HTMLLIElement} item
 * @param {UploadRow} row
 */
function updateRow(item, row) {
  const model = describeRow(row);
  item.dataset.state = model.state;
  if (row.view) item.dataset.uploadId = row.view.upload_id;
  setText(item, ".upload-name", row.filename);
  const name = /** @type {HTMLElement} */ (item.querySelector(".upload-name"));
  name.title = row.filename;
  setText(item, ".upload-meta", model.meta);
  const bar = /** @type {HTMLElement} */ (item.querySelector(".progress"));
  // A bar without a value is indeterminate: the file is waiting for the pipeline, which has no measure yet.
  if (model.pct === null) bar.removeAttribute("aria-valuenow");
  else bar.setAttribute("aria-valuenow", String(model.pct));
  bar.classList.toggle("indeterminate", model.pct === null);
  bar.setAttribute("aria-label", `${row.filename}: ${model.status}`);
  bar.hidden = model.state !== "working";
  /** @type {HTMLElement} */ (bar.firstElementChild).style.width = `${model.pct ?? 0}%`;
  setText(item, ".upload-status", model.status);
  const outcome = /** @type {HTMLElement} */ (item.querySelector(".upload-outcome"));
  outcome.hidden = row.view?.status !== "complete";
  if (row.view?.status === "complete" && outcome.dataset.for !== row.view.upload_id) {
    outcome.dataset.for = row.view.upload_id;
    outcome.replaceChildren(...outcomeParts(row.view).map((part) => (typeof part === "string" ? part : strong(part.number))));
  }
  const error = /** @type {HTMLElement} */ (item.querySelector(".upload-error"));
  error.hidden = model.error === null;
  if (error.textContent !== (model.error ?? "")) error.textContent = model.error ?? "";
  const cancel = /** @type {HTMLButtonElement} */ (item.querySelector(".upload-cancel"));
  cancel.hidden = row.cancel === null;
  cancel.onclick = row.cancel;
  cancel.setAttribute("aria-label", `Cancel uploading ${row.filename}`);
}

/**
 * @param {UploadRow} row
 * @returns {{ state: "working" | "complete" | "failed" | "stalled", pct: number | null, status: string, meta: string, error: string | null }}
 */
function describeRow(row) {
  const view = row.view;
  const meta = [view ? sourceLabel(view.source_type) : "", formatBytes(view?.bytes ?? row.size), view ? timeAgo(view.uploaded_at) : "just now"].filter(Boolean).join(" · ");
  if (row.error !== null || view?.status === "failed") {
    return { state: "failed", pct: 0, status: "Failed", meta, error: row.error ?? view?.error_message ?? "The upload failed." };
  }
  if (row.sending) {
    const pct = row.sending.total > 0 ? Math.floor((row.sending.sent / row.sending.total) * 100) : 0;
    return { state: "working", pct, status: `Uploading: ${pct}% (${formatBytes(row.sending.sent)} of ${formatBytes(row.sending.total)})`, meta, error: null };
  }
  if (!view) return { state: "working", pct: null, status: "Preparing the upload", meta, error: null };
  if (row.abandoned) return { state: "stalled", pct: 0, status: "Not finished: the file never arrived. Choose it again to upload it.", meta, error: null };
  if (view.status === "complete") return { state: "complete", pct: 100, status: "Complete", meta, error: null };
  if (view.phase === "awaiting_upload" || view.phase === "queued") return { state: "working", pct: null, status: phaseLabel(view), meta, error: null };
  return { state: "working", pct: view.progress_pct, status: `${phaseLabel(view)} (${view.progress_pct}%)`, meta, error: null };
}

/** @param {string} text */
function strong(text) {
  const element = document.createElement("strong");
  element.textContent = text;
  return element;
}

/**
 * @param {ParentNode} root
 * @param {string} selector
 * @param {string} text
 */
function setText(root, selector, text) {
  const element = /** @type {HTMLElement} */ (root.querySelector(selector));
  if (element.textContent !== text) element.textContent = text;
}
