import { getConfig } from "../config";
import { getPool } from "../db/pool";
import { getSqs } from "../queues/client";
import { getStore } from "../store/client";
import type { ForgetRequestDeps } from "./request-forget";

/** The process-wide clients the forget routes run on. */
export function getForgetRequestDeps(): ForgetRequestDeps {
  return { db: getPool(), store: getStore(), sqs: getSqs(), reduceQueueUrl: getConfig().queues.reduceUrl };
}
