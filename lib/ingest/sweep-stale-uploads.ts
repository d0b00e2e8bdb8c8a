import type { SQSClient } from "@aws-sdk/client-sqs";
import type pg from "pg";
import { log } from "../log";
import type { Store } from "../store/client";
import { headObject } from "../store/objects";
import { PART_URL_SECONDS, PUT_URL_SECONDS } from "../uploads/presign";
import type { UploadPhase, UploadRow } from "../uploads/upload-rows";
import { enqueueChunks, requestMerge, requestSplit } from "./pipeline-messages";
import { failUpload } from "./upload-state";

/** The stages a stalled upload can be in, each with the longest time it may go without progress. */
export type StalledPhase = Extract<UploadPhase, "awaiting_upload" | "parsing" | "embedding" | "merging">;

export interface SweepDeps {
  db: pg.Pool;
  store: Store;
  sqs: SQSClient;
  ingestQueueUrl: string;
  embedQueueUrl: string;
  reduceQueueUrl: string;
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
 * the store (its event was lost), failed otherwise.
 *
 * Each action is one guarded UPDATE ("still in this stage, still stale"), so a worker that moves the
 * upload meanwhile wins, and overlapping sweeps act once. Messages are sent after that commit.
 */
export async function sweepStaleUploads(deps: SweepDeps): Promise<SweepReport> {
  const report: SweepReport = { redriven: 0, failed: 0 };
  for (const upload of await findStalled(deps)) {
    const phase = upload.phase as StalledPhase;
    if (phase === "awaiting_upload" && !(await headObject(deps.store, upload.object_key))) {
      if (await failUpload(deps, upload, "The file never arrived: the upload was interrupted or its link expired. Your vault is unchanged; upload the file again.")) report.failed += 1;
      continue;
    }
    if (upload.redrives >= deps.maxRedrives) {
      const message = `This upload stopped making progress while ${STAGE_WORDS[phase]}, and ${deps.maxRedrives} retries did not finish it. Your vault is unchanged; upload the file again.`;
      if (await failUpload(deps, upload, message)) report.failed += 1;
      continue;
    }
    if (await redrive(deps, upload, phase)) report.redriven += 1;
  }
  if (report.redriven + report.failed > 0) log.info("swept stale uploads", { ...report });
  return report;
}

async function findStalled(deps: SweepDeps): Promise<UploadRow[]> {
  const { rows } = await deps.db.query<UploadRow>(
    `SELECT u.*, v.user_id, v.prefix AS vault_prefix
       FROM personal.vault_uploads u JOIN personal.vaults v ON v.id = u.vault_id
      WHERE u.status IN ('pending', 'processing') AND u.updated_at < now() - make_interval(secs => $1)
        AND u.updated_at < now() - make_interval(secs => ${staleAfterSql("u")})
      ORDER BY u.updated_at LIMIT $2`,
    [Math.min(...Object.values(deps.stageTimeoutSeconds), PUT_URL_SECONDS) + GRACE_SECONDS, deps.batchSize ?? 100, ...timeoutParams(deps)],
  );
  return rows;
}

/** The staleness limit of the row's stage, as SQL over parameters $3 to $5. */
function staleAfterSql(alias: string): string {
  return `CASE ${alias}.phase
    WHEN 'awaiting_upload' THEN CASE WHEN ${alias}.multipart_id IS NULL THEN ${PUT_URL_SECONDS} ELSE ${PART_URL_SECONDS} END
    WHEN 'parsing' THEN $3::int WHEN 'embedding' THEN $4::int WHEN 'merging' THEN $5::int
    ELSE $3::int END + ${GRACE_SECONDS}`;
}

function timeoutParams(deps: SweepDeps): number[] {
  return [deps.stageTimeoutSeconds.parsing, deps.stageTimeoutSeconds.embedding, deps.stageTimeoutSeconds.merging];
}

/** Counts the re-drive if the upload is still where it was and still stale, then asks for its stage again. */
async function redrive(deps: SweepDeps, upload: UploadRow, phase: StalledPhase): Promise<boolean> {
  const { rows } = await deps.db.query<{ redrives: number }>(
    `UPDATE personal.vault_uploads u SET redrives = redrives + 1
      WHERE id = $1 AND phase = $2 AND split_attempt = $6 AND status IN ('pending', 'processing')
        AND updated_at < now() - make_interval(secs => ${staleAfterSql("u")})
      RETURNING redrives`,
    [upload.id, phase, ...timeoutParams(deps), upload.split_attempt],
  );
  const counted = rows[0];
  if (!counted) return false;
  const reason = `redrive-${counted.redrives}`;
  if (phase === "awaiting_upload" || phase === "parsing") await requestSplit(deps, upload, deps.store.bucket, reason);
  else if (phase === "embedding") await enqueueChunks(deps, upload, upload.split_attempt);
  else await requestMerge(deps, upload, upload.split_attempt, reason);
  log.warn("re-drove a stalled upload", { uploadId: upload.id, phase, redrives: counted.redrives });
  return true;
}
