import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import { getPool } from "../../lib/db/pool";
import { purgeExpiredRows } from "../../lib/housekeeping/expired-rows";
import { logger } from "../../lib/log";

/** Every hour (functions/manifest.ts): delete rows no request can use any more (lib/housekeeping/expired-rows.ts). */
export async function main() {
  return purgeExpiredRows({ db: getPool() });
}

export const handler = middy(main).use(injectLambdaContext(logger, { resetKeys: true }));
