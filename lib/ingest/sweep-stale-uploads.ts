import { log } from "../log";
import { headObject } from "../store/objects";
import { countRedrive, type UploadState } from "../uploads/lifecycle";
import { abortMultipart, PART_URL_SECONDS, PUT_URL_SECONDS } from "../uploads/presign";
import type { UploadRow } from "../uploads/upload-rows";
import type { PipelineDeps } from "./pipeline-deps";
import { enqueueChunks, requestMerge, requestSplit } from "./pipeline-messages";
import { failUpload } from "./upload-state";

/** The stages a stalled upload can be in, each with the longest time it may go without progress. */
export type StalledPhase = Exclude<UploadState, "complete" | "failed">;

export interface SweepDeps extends Pick<PipelineDeps, "db" | "store" | "sqs" | "ingestQueueUrl" | "embedQueueUrl" | "reduceQueueUrl"> {
  /**
   * Seconds without progress after which a stage's worker must be gone: its function's timeout. No
   * invocation outlives its timeout, so an upload that has not moved for longer is not being worked on.
   */
  stageTimeoutSeconds: Record<Exclude<StalledPhase, "awaiting_upload">, number>;
  /** Re-drives per upload before it is failed. */
  maxRedrives: number;
  /** Uploads looked at per run; the next run takes the rest. */
  batchSize?: number;
}

export interface SweepReport {
  redriven: number;
  failed: number;
}

/** Beyond a stage's timeout, a margin for clocks and for the message to reach a worker. */
const GRACE_SECONDS = 60;

const STAGE_WORDS: Record<StalledPhase, string> = {
  awaiting_upload: "waiting for the file",
  parsing: "reading the file",
  embedding: "indexing your conversations",
  merging: "adding them to your vault",
};

/**
 * The sweeper: no upload stays in processing forever. An upload whose stage has made no progress for
 * longer than that stage's timeout is re-driven — its split, its pending embeds or its merge asked
 * for again, all of which are idempotent — up to `maxRedrives` times; after that it is failed with a
 * message the person understands, which releases its claims and gives its bytes back to the quota.
 * An upload still waiting for its file after the upload URLs expired is re-driven if the file is in
 * the store (its event was lost), failed otherwise, and its multipart upload, if any, aborted. A merge that waits for another upload of its vault
 * is stalled only when nothing in that vault has moved for the merge's timeout.
 *
 * Each re-drive is counted by one guarded UPDATE ("still in this stage, still stale"), so a worker that
 * moves the upload meanwhile wins, and overlapping sweeps act once. Messages are sent after that commit.
 */
export async function sweepStaleUploads(deps: SweepDeps): Promise<SweepReport> {
  const report: SweepReport = { redriven: 0, failed: 0 };
  for (const upload of await findStalled(deps)) {
    const phase = upload.state as StalledPhase;
    if (phase === "awaiting_upload" && !(await headObject(deps.store, upload.object_key))) {
      const message = "The file never arrived: the upload was interrupted or its link expired. Your vault is unchanged; upload the file again.";
      if (await failUpload(deps, upload, message, ["awaiting_upload"])) {
        report.failed += 1;
        if (upload.multipart_id) await abandonMultipart(deps, upload);
      }
      continue;
    }
    if (upload.redrives >= deps.maxRedrives) {
      const message = `This upload stopped making progress while ${STAGE_WORDS[phase]}, and ${deps.maxRedrives} retries did not finish it. Your vault is unchanged; upload the file again.`;
      if (await failUpload(deps, upload, message, [phase])) report.failed += 1;
      continue;
    }
    if (await redrive(deps, upload, phase)) report.redriven += 1;
  }
  if (report.redriven + report.failed > 0) log.info("swept stale uploads", { ...report });
  return report;
}

/**
 * The parts a browser sent of a multipart upload it never completed stay stored, and billed, until the
 * upload is aborted (https://docs.aws.amazon.com/AmazonS3/latest/API/API_AbortMultipartUpload.html, which
 * B2's S3 API implements). Its part URLs have expired, so nothing can add to it. The bucket's lifecycle
 * rule for unfinished uploads (stacks/store.ts, `vault b2 setup`) removes what a failed abort leaves.
 */
async function abandonMultipart(deps: SweepDeps, upload: UploadRow): Promise<void> {
  try {
    await abortMultipart(deps.store, upload.object_key, upload.multipart_id!);
  } catch (error) {
    log.warn("could not abort an abandoned multipart upload", { uploadId: upload.id, error: (error as Error).message });
  }
}

/** Seconds without progress after which an upload in `state` is stalled. */
function staleAfter(deps: SweepDeps, upload: Pick<UploadRow, "state" | "multipart_id">): number {
  if (upload.state === "awaiting_upload") return (upload.multipart_id ? PART_URL_SECONDS : PUT_URL_SECONDS) + GRACE_SECONDS;
  return deps.stageTimeoutSeconds[upload.state as Exclude<StalledPhase, "awaiting_upload">] + GRACE_SECONDS;
}

async function findStalled(deps: SweepDeps): Promise<UploadRow[]> {
  const shortest = Math.min(...Object.values(deps.stageTimeoutSeconds), PUT_URL_SECONDS) + GRACE_SECONDS;
  const { rows } = await deps.db.query<UploadRow>(
    `SELECT u.*, v.user_id, v.prefix AS vault_prefix
       FROM personal.vault_uploads u JOIN personal.vaults v ON v.id = u.vault_id
      WHERE u.state NOT IN ('complete', 'failed') AND u.updated_at < now() - make_interval(secs => $1)
        AND NOT (u.state = 'merging' AND EXISTS (
          SELECT 1 FROM personal.vault_uploads o
           WHERE o.vault_id = u.vault_id AND o.id <> u.id AND o.state NOT IN ('complete', 'failed')
             AND o.updated_at >= now() - make_interval(secs => $3)))
      ORDER BY u.updated_at LIMIT $2`,
    [shortest, deps.batchSize ?? 100, deps.stageTimeoutSeconds.merging + GRACE_SECONDS],
  );
  return rows.filter((upload) => Date.now() - upload.updated_at.getTime() > staleAfter(deps, upload) * 1000);
}

/** Counts the re-drive if the upload is still where it was and still stale, then asks for its stage again. */
async function redrive(deps: SweepDeps, upload: UploadRow, phase: StalledPhase): Promise<boolean> {
  const count = await countRedrive(deps.db, upload.id, phase, upload.split_attempt, staleAfter(deps, upload));
  if (count === undefined) return false;
  if (phase === "awaiting_upload" || phase === "parsing") await requestSplit(deps, upload, deps.store.bucket, `redrive-${count}`);
  else if (phase === "embedding") await enqueueChunks(deps, upload, upload.split_attempt);
  else await requestMerge(deps, upload, upload.split_attempt);
  log.warn("re-drove a stalled upload", { uploadId: upload.id, phase, redrives: count });
  return true;
}
