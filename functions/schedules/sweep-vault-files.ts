import middy from "@middy/core";
import { queues, routes } from "../manifest";
import { getPool } from "../../lib/db/pool";
import { getStore } from "../../lib/store/client";
import { sweepVaultFiles } from "../../lib/vaults/sweeper";

const ACCOUNT_DELETION = routes.find((route) => route.method === "DELETE" && route.path === "/api/personal/me")!;

/**
 * Every hour (functions/manifest.ts): finish interrupted account deletions and vault emptyings whose file
 * deletion never ran, remove the files of accounts that no longer exist.
 */
export async function main() {
  return sweepVaultFiles({
    db: getPool(),
    store: getStore(),
    // No invocation outlives its timeout: a deletion older than that (plus a margin) is not running any more.
    deletionTimeoutSeconds: (ACCOUNT_DELETION.timeoutSeconds ?? 30) + 60,
    // The emptying's message waits behind the vault's merges on the reduce queue; after a merge's whole
    // run (and the message's own) plus a margin, nothing of the vault from before the emptying still writes.
    emptyingTimeoutSeconds: 2 * queues.reduce.consumer!.timeoutSeconds + 600,
  });
}

export const handler = middy(main);
