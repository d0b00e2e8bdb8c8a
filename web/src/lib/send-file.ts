/**
 * Sends a file straight from the browser to the vault store through the presigned URLs the API hands
 * out, then follows the ingest pipeline until the upload is complete or failed. XMLHttpRequest, not
 * fetch: only it reports upload progress.
 */
import { ApiError, type ApiClient, type CompletedPart, type UploadTarget, type UploadView } from "./api";

/** Parts in flight at once: enough to fill a home uplink without starving the page's own requests. */
const PART_CONCURRENCY = 3;
/** Tries per part; a dropped connection should not cost the whole export. */
const PART_ATTEMPTS = 3;
const POLL_INTERVAL_MS = 700;
/** Consecutive failed polls before giving up (about half a minute of outage). */
const POLL_FAILURES_ALLOWED = 40;

export const CANCELLED = "Upload cancelled.";

/**
 * PUTs the file, in one request or in parts, and completes a multipart upload. Resolves once the store
 * holds the whole object; the pipeline picks it up from there. `onProgress` reports bytes the store
 * has acknowledged or is receiving; `onSent` fires once every byte is out and only the store's (and, for
 * parts, the API's) confirmation is awaited.
 */
export async function sendFile(
  client: ApiClient,
  target: UploadTarget,
  file: Blob,
  options: { onProgress?: (sent: number, total: number) => void; signal?: AbortSignal } = {},
): Promise<void> {
  const onProgress = options.onProgress ?? (() => undefined);
  if (target.method === "PUT") {
    await put(target.url, file, target.headers, (loaded) => onProgress(loaded, file.size), options.signal);
    onProgress(file.size, file.size);
    return;
  }
  const sent = new Map<number, number>();
  const report = () => onProgress([...sent.values()].reduce((sum, bytes) => sum + bytes, 0), file.size);
  const completed: CompletedPart[] = [];
  const queue = [...target.parts];
  const worker = async () => {
    for (let part = queue.shift(); part; part = queue.shift()) {
      const { part_number: partNumber, url, size } = part;
      const start = (partNumber - 1) * target.part_size;
      const body = file.slice(start, start + size);
      const etag = await withRetries(() =>
        put(url, body, {}, (loaded) => {
          sent.set(partNumber, loaded);
          report();
        }, options.signal),
      );
      if (!etag) throw new ApiError(0, "etag_hidden", "The storage server did not return the part's ETag, so the upload cannot be finished. Its CORS rule must expose the ETag header.");
      sent.set(partNumber, size);
      report();
      completed.push({ part_number: partNumber, etag });
    }
  };
  await Promise.all(Array.from({ length: Math.min(PART_CONCURRENCY, target.parts.length) }, worker));
  await client.request("POST /api/personal/vault/uploads/{upload_id}/complete", {
    params: { upload_id: target.upload_id },
    body: { parts: completed.sort((a, b) => a.part_number - b.part_number) },
    signal: options.signal,
  });
}

/** Polls the upload until it is complete or failed, reporting every answer. */
export async function followUpload(client: ApiClient, uploadId: string, options: { onUpdate: (view: UploadView) => void; signal?: AbortSignal }): Promise<UploadView> {
  let failures = 0;
  for (;;) {
    if (options.signal?.aborted) throw abortError();
    try {
      const view = await client.request("GET /api/personal/vault/upload/{upload_id}", { params: { upload_id: uploadId }, signal: options.signal });
      failures = 0;
      options.onUpdate(view);
      if (view.status === "complete" || view.status === "failed") return view;
    } catch (error) {
      // A lost session or a vanished upload will not come back by asking again.
      if (!(error instanceof ApiError) || error.status === 401 || error.status === 404 || error.code === "aborted" || ++failures > POLL_FAILURES_ALLOWED) throw error;
    }
    await delay(POLL_INTERVAL_MS, options.signal);
  }
}

/** One PUT to a presigned URL. Resolves with the response's ETag (empty when the store hides it). */
function put(url: string, body: Blob, headers: Record<string, string>, onProgress: (loaded: number) => void, signal?: AbortSignal): Promise<string> {
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

async function withRetries<T>(attempt: () => Promise<T>): Promise<T> {
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

function delay(ms: number, signal?: AbortSignal): Promise<void> {
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

function abortError(): ApiError {
  return new ApiError(0, "aborted", CANCELLED);
}
