import path from "node:path";
import { projectRoot } from "./data-dir";

/** What `npm start` prints once everything listens; the README shows it for the default ports (a test keeps them equal). */
export function startBanner(stack: { apiUrl: string; storeEndpoint: string; databaseUrl: string; dataDir: string }, options: { seconds: number; bucket: string }): string {
  const relative = path.relative(projectRoot, stack.dataDir);
  const dataDir = relative !== "" && !relative.startsWith("..") && !path.isAbsolute(relative) ? relative : stack.dataDir;
  return [
    `Cogzy Vaults is running (${options.seconds.toFixed(1)} s)`,
    `  web and API   ${stack.apiUrl}`,
    `  S3 + SQS      ${stack.storeEndpoint}   (the emulator; bucket ${options.bucket})`,
    `  PostgreSQL    ${stack.databaseUrl}`,
    `  B2 webhook    ${stack.apiUrl}/webhooks/b2`,
    `  data          ${dataDir}   (npm run reset wipes it)`,
    "Press Ctrl-C to stop.",
  ].join("\n");
}
