/**
 * Sends a file straight from the browser to the vault store through the presigned URLs the API hands
 * out, then follows the ingest pipeline until the upload is complete or failed. XMLHttpRequest, not
 * fetch: only it reports upload progress.
 */
import { api, ApiError } from "./api.js";

/** @typedef {import("./api.js").UploadTarget} UploadTarget */
/** @typedef {import("./api.js").UploadView} UploadView */
/** @typedef {import("./api.js").CompletedPart} CompletedPart */

/** Parts in flight at once: enough to fill a home uplink without starving the page's own requests. */
const PART_CONCURRENCY = 3;
/** Tries per part; a dropped connection should not cost the whole export. */
const PART_ATTEMPTS = 3;
const POLL_INTERVAL_MS = 700;
/** Consecutive failed polls before giving up (about half a minute of outage). */
const POLL_FAILURES_ALLOWED = 40;

/**
 * PUTs the file, in one request or in parts, and completes a multipart upload. Resolves once the store
 * holds the whole object; the pipeline picks it up from there.
 * @param {UploadTarget} target what `POST /vault/uploads` answered.
 * @param {Blob} file
 * @param {{ onProgress?: (sent: number, total: number) => void, signal?: AbortSignal }} [options]
 */
export async function sendFile(target, file, options = {}) {
  const onProgress = options.onProgress ?? (() => undefined);
  if (target.method === "PUT") {
    await put(target.url, file, target.headers, (loaded) => onProgress(loaded, file.size), options.signal);
    onProgress(file.size, file.size);
    return;
  }
  /** @type {Map<number, number>} bytes sent so far of each part */
  const sent = new Map();
  const report = () => onProgress([...sent.values()].reduce((sum, bytes) => sum + bytes, 0), file.size);
  /** @type {CompletedPart[]} */
  const completed = [];
  const queue = [...target.parts];
  const worker = async () => {
    for (let part = queue.shift(); part; part = queue.shift()) {
      const start = (part.part_number - 1) * target.part_size;
      const body = file.slice(start, start + part.size);
      const partNumber = part.part_number;
      const etag = await withRetries(() =>
        put(/** @type {NonNullable<typeof part>} */ (part).url, body, {}, (loaded) => {
          sent.set(partNumber, loaded);
          report();
        }, options.signal),
      );
      if (!etag) throw new ApiError(0, "etag_hidden", "The storage server did not return the part's ETag, so the upload cannot be finished. Its CORS rule must expose the ETag header.");
      sent.set(partNumber, part.size);
      report();
      completed.push({ part_number: partNumber, etag });
    }
  };
  await Promise.all(Array.from({ length: Math.min(PART_CONCURRENCY, target.parts.length) }, worker));
  await api.completeUpload(target.upload_id, completed.sort((a, b) => a.part_number - b.part_number));
}

/**
 * Polls the upload until it is complete or failed, reporting every answer.
 * @param {string} uploadId
 * @param {{ onUpdate: (view: UploadView) => void, signal?: AbortSignal }} options
 * @returns {Promise<UploadView>}
 */
export async function followUpload(uploadId, options) {
  let failures = 0;
  for (;;) {
    if (options.signal?.aborted) throw abortError();
    try {
      const view = await api.upload(uploadId);
      failures = 0;
      options.onUpdate(view);
      if (view.status === "complete" || view.status === "failed") return view;
    } catch (error) {
      // A lost session or a vanished upload will not come back by asking again.
      if (!(error instanceof ApiError) || error.status === 401 || error.status === 404 || ++failures > POLL_FAILURES_ALLOWED) throw error;
    }
    await delay(POLL_INTERVAL_MS, options.signal);
  }
}

/**
 * One PUT to a presigned URL. Resolves with the response's ETag (empty when the store hides it).
 * @param {string} url
 * @param {Blob} body
 * @param {Record<string, string>} headers exactly the headers the URL was signed with.
 * @param {(loaded: number) => void} onProgress
 * @param {AbortSignal} [signal]
 * @returns {Promise<string>}
 */
function put(url, body, headers, onProgress, signal) {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError());
    const xhr = new XMLHttpRequest();
    const abort = () => xhr.abort();
    signal?.addEventListener("abort", abort, { once: true });
    const settle = () => signal?.removeEventListener("abort", abort);
    xhr.open("PUT", url);
    for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
    xhr.upload.addEventListener("progress", (event) => onProgress(event.loaded));
    xhr.addEventListener("load", () => {
      settle();
      if (xhr.status >= 200 && xhr.status < 300) resolve(xhr.getResponseHeader("ETag") ?? "");
      else reject(new ApiError(xhr.status, "store_refused", `The storage server refused the file (HTTP ${xhr.status}). Try again; if it keeps failing, start the upload over.`));
    });
    xhr.addEventListener("error", () => {
      settle();
      reject(new ApiError(0, "store_unreachable", "The file could not be sent to your vault's storage. Check your connection and try again."));
    });
    xhr.addEventListener("abort", () => {
      settle();
      reject(abortError());
    });
    xhr.send(body);
  });
}

/**
 * @template T
 * @param {() => Promise<T>} attempt
 * @returns {Promise<T>}
 */
async function withRetries(attempt) {
  for (let tries = 1; ; tries++) {
    try {
      return await attempt();
    } catch (error) {
      const retriable = error instanceof ApiError && (error.status === 0 || error.status >= 500) && error.code !== "aborted";
      if (!retriable || tries >= PART_ATTEMPTS) throw error;
      await delay(500 * 2 ** tries);
    }
  }
}

/**
 * @param {number} ms
 * @param {AbortSignal} [signal]
 * @returns {Promise<void>}
 */
function delay(ms, signal) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(abortError());
      },
      { once: true },
    );
  });
}

function abortError() {
  return new ApiError(0, "aborted", "Upload cancelled.");
}
