import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import { queues } from "../manifest";
import { getConfig } from "../../lib/config";
import { getPool } from "../../lib/db/pool";
import { logger } from "../../lib/log";
import { sweepStaleUploads } from "../../lib/ingest/sweep-stale-uploads";
import { getSqs } from "../../lib/queues/client";
import { getStore } from "../../lib/store/client";

/** Every few minutes (functions/manifest.ts): re-drive or fail uploads that stopped making progress. */
export async function main() {
  const config = getConfig();
  return sweepStaleUploads({
    db: getPool(),
    store: getStore(),
    sqs: getSqs(),
    ingestQueueUrl: config.queues.ingestUrl,
    embedQueueUrl: config.queues.embedUrl,
    reduceQueueUrl: config.queues.reduceUrl,
    stageTimeoutSeconds: {
      parsing: queues.ingest.consumer!.timeoutSeconds,
      embedding: queues.embed.consumer!.timeoutSeconds,
      merging: queues.reduce.consumer!.timeoutSeconds,
    },
    maxRedrives: 3,
  });
}

export const handler = middy(main).use(injectLambdaContext(logger, { resetKeys: true }));
