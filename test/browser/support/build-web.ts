import { ensureWebBuild } from "../../../local/web-build";

/** Vitest global setup for the browser tests: they test the built app, so build it if it is stale. */
export default async function setup(): Promise<void> {
  await ensureWebBuild((line) => console.log(line));
}
