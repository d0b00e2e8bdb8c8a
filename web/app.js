/**
 * The Cogzy Vaults page: decides between the signed-out and signed-in screens from `GET /me`, and runs
 * uploads from the moment a file is chosen until the pipeline has merged it into the vault.
 */
import { setupAccountForm } from "./account-form.js";
import { api, ApiError } from "./api.js";
import { watchFilePicker } from "./file-picker.js";
import { outcomeLabel, phaseLabel } from "./format.js";
import { setupChat } from "./chat-view.js";
import { renderOffer, renderUsage, upgrade } from "./plan-view.js";
import { followUpload, sendFile } from "./upload.js";
import { announce, renderAccount, renderUploads, renderVault } from "./vault-view.js";

/** @typedef {import("./api.js").Me} Me */
/** @typedef {import("./api.js").UploadView} UploadView */
/** @typedef {import("./vault-view.js").UploadRow & { uploadId: string | null }} LiveRow */

/** @param {string} id */
const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

const state = {
  /** Uploads chosen on this page, newest first. @type {LiveRow[]} */
  live: [],
  /** Recent uploads as `/vault/status` last listed them. @type {UploadView[]} */
  history: [],
  /** Uploads from an earlier visit that are still being processed, followed here. @type {Set<string>} */
  following: new Set(),
  /** Aborted on log-out: stops every send and poll that belongs to the session. */
  session: new AbortController(),
  drawPending: false,
  localKeys: 0,
};

// ---- screens ----

async function boot() {
  try {
    showVault(await api.me());
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return showAuth();
    const line = $("boot");
    line.textContent = `${messageOf(error)} `;
    const retry = document.createElement("button");
    retry.type = "button";
    retry.className = "button small";
    retry.textContent = "Try again";
    retry.onclick = () => {
      line.textContent = "Opening your vault…";
      void boot();
    };
    line.append(retry);
  }
}

/** @param {string} [message] shown above the form (a session that ended, for instance). */
function showAuth(message) {
  $("boot").hidden = true;
  $("vault-screen").hidden = true;
  $("auth-screen").hidden = false;
  document.querySelector(".skip-link")?.setAttribute("href", "#main");
  document.title = "Cogzy Vaults: your AI conversations, remembered privately";
  if (message) accountForm.setMode("login");
  accountForm.showError(message ?? null);
}

/** @param {Me} me */
function showVault(me) {
  $("boot").hidden = true;
  $("auth-screen").hidden = true;
  $("vault-screen").hidden = false;
  $("page-error").hidden = true;
  document.querySelector(".skip-link")?.setAttribute("href", "#vault-main");
  document.title = "Your vault · Cogzy Vaults";
  renderAccount(me);
  renderUsage(me.usage);
  chat.start(state.session.signal);
  renderVault(me.vault);
  // Someone with an empty vault most likely still needs to fetch an export.
  /** @type {HTMLDetailsElement} */ (document.querySelector(".howto")).open = me.vault.node_count === 0;
  draw();
  void refreshStatus();
}

/** @param {string} message */
function sessionEnded(message) {
  endSession();
  showAuth(message);
}

function endSession() {
  state.session.abort();
  state.session = new AbortController();
  state.live = [];
  state.history = [];
  state.following.clear();
  renderUploads([]);
}

// ---- signing up, logging in and out ----

async function logOut() {
  endSession();
  await api.logOut().catch(() => undefined);
  accountForm.setMode("login");
  showAuth();
  accountForm.focus();
}

// ---- the vault ----

async function refreshStatus() {
  try {
    const status = await api.vaultStatus();
    $("page-error").hidden = true;
    renderVault(status.vault);
    void api.usage().then(renderUsage, () => undefined);
    state.history = status.uploads;
    for (const upload of status.uploads) adoptIfProcessing(upload);
    draw();
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return sessionEnded(error.message);
    showPageError(messageOf(error));
  }
}

/**
 * An upload from an earlier visit (or another tab) that the pipeline is still working on: follow it
 * here too, so its row moves instead of looking stuck.
 * @param {UploadView} upload
 */
function adoptIfProcessing(upload) {
  const active = upload.status === "processing" || (upload.status === "pending" && upload.phase !== "awaiting_upload");
  if (!active || state.following.has(upload.upload_id) || state.live.some((row) => row.uploadId === upload.upload_id)) return;
  state.following.add(upload.upload_id);
  const signal = state.session.signal;
  followUpload(upload.upload_id, {
    signal,
    onUpdate: (view) => {
      state.history = state.history.map((known) => (known.upload_id === view.upload_id ? view : known));
      draw();
    },
  })
    .then(() => refreshStatus())
    .catch(() => undefined)
    .finally(() => state.following.delete(upload.upload_id));
}

/** @param {string} message */
function showPageError(message) {
  const banner = $("page-error");
  banner.textContent = message;
  banner.hidden = false;
}

/** Redraws the list at most once a frame; upload progress events arrive far more often. */
function draw() {
  if (state.drawPending) return;
  state.drawPending = true;
  requestAnimationFrame(() => {
    state.drawPending = false;
    const liveIds = new Set(state.live.map((row) => row.uploadId));
    const earlier = state.history
      .filter((view) => !liveIds.has(view.upload_id))
      .map((view) => ({
        key: view.upload_id,
        filename: view.filename,
        size: view.bytes,
        sending: null,
        view,
        error: null,
        cancel: null,
        abandoned: view.status === "pending" && view.phase === "awaiting_upload",
      }));
    renderUploads([...state.live, ...earlier]);
  });
}

// ---- uploading ----

/** @param {File} file */
async function startUpload(file) {
  /** @type {LiveRow} */
  const row = { key: `local-${++state.localKeys}`, uploadId: null, filename: file.name, size: file.size, sending: null, view: null, error: null, cancel: null };
  state.live.unshift(row);
  draw();
  const session = state.session.signal;
  const own = new AbortController();
  const signal = AbortSignal.any([session, own.signal]);
  try {
    const target = await api.createUpload(file.name, file.size);
    row.uploadId = target.upload_id;
    row.sending = { sent: 0, total: file.size };
    row.cancel = () => own.abort();
    draw();
    announce(`Uploading ${file.name}.`);
    await sendFile(target, file, {
      signal,
      onProgress: (sent, total) => {
        row.sending = { sent, total };
        draw();
      },
    });
    row.sending = null;
    row.cancel = null;
    draw();
    announce(`${file.name} is uploaded. Reading it now.`);
    let phase = "";
    const final = await followUpload(target.upload_id, {
      signal,
      onUpdate: (view) => {
        row.view = view;
        if (view.phase !== phase && view.status !== "complete" && view.status !== "failed") announce(`${file.name}: ${phaseLabel(view)}.`);
        phase = view.phase;
        draw();
      },
    });
    announce(final.status === "complete" ? `${file.name} is complete: ${outcomeLabel(final)}.` : `${file.name} failed: ${final.error_message ?? "the upload failed"}.`);
    await refreshStatus();
  } catch (error) {
    if (session.aborted) return;
    if (error instanceof ApiError && error.status === 401) return sessionEnded(error.message);
    // The file never fully arrived: release the pending upload (and its stored parts) on the server.
    if (row.uploadId && row.sending) void api.cancelUpload(row.uploadId).catch(() => undefined);
    row.sending = null;
    row.cancel = null;
    row.error = own.signal.aborted ? "Upload cancelled." : messageOf(error);
    draw();
    announce(`${file.name}: ${row.error}`);
  }
}

/** @param {unknown} error */
function messageOf(error) {
  return error instanceof ApiError ? error.message : "Something went wrong on this page. Reload it and try again.";
}

// ---- wiring ----

const accountForm = setupAccountForm({
  onSignedIn: async () => {
    showVault(await api.me());
    $("vault-main").focus();
  },
});
$("logout").addEventListener("click", () => void logOut());
$("upgrade").addEventListener("click", () => void upgrade());
const chat = setupChat({ onUsage: renderUsage });
void renderOffer();
watchFilePicker({
  input: /** @type {HTMLInputElement} */ ($("file-input")),
  dropzone: $("dropzone"),
  onFiles: (files) => {
    for (const file of files) void startUpload(file);
  },
});

void boot();
