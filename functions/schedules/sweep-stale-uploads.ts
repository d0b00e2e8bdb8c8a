import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import { queues } from "../manifest";
import { pipelineDeps } from "../../lib/ingest/pipeline-deps";
import { sweepStaleUploads } from "../../lib/ingest/sweep-stale-uploads";
import { logger } from "../../lib/log";

/** Every few minutes (functions/manifest.ts): re-drive or fail uploads that stopped making progress. */
export async function main() {
  return sweepStaleUploads({
    ...pipelineDeps(),
    stageTimeoutSeconds: {
      parsing: queues.ingest.consumer!.timeoutSeconds,
      embedding: queues.embed.consumer!.timeoutSeconds,
      merging: queues.reduce.consumer!.timeoutSeconds,
    },
    maxRedrives: 3,
  });
}

export const handler = middy(main).use(injectLambdaContext(logger, { resetKeys: true }));
