import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import { getConfig } from "../../lib/config";
import { getPool } from "../../lib/db/pool";
import { logger } from "../../lib/log";
import { getStore } from "../../lib/store/client";
import { sweepSupersededVersions } from "../../lib/vaults/sweep-versions";

/** Every hour (functions/manifest.ts): delete vault versions and search segments no reader uses after the grace period. */
export async function main() {
  return sweepSupersededVersions({ db: getPool(), store: getStore(), graceSeconds: getConfig().sweep.graceSeconds });
}

export const handler = middy(main).use(injectLambdaContext(logger, { resetKeys: true }));
