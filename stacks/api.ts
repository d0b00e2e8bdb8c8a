import { routes } from "../functions/manifest";
import type { Queues } from "./queues";
import type { Settings } from "./secrets";

/**
 * The HTTP API (API Gateway v2, payload format 2.0): one function per route of `functions/manifest.ts`.
 * A `streaming` route gets its own function URL in RESPONSE_STREAM mode instead, since API Gateway
 * cannot stream (https://docs.aws.amazon.com/lambda/latest/dg/configuration-response-streaming.html).
 */
export function createApi(_settings: Settings, queues: Queues) {
  const api = new sst.aws.ApiGatewayV2("Api");
  const streamingUrls: Record<string, $util.Output<string>> = {};
  for (const route of routes) {
    const args = {
      handler: route.handler,
      timeout: `${route.timeoutSeconds ?? 30} seconds` as const,
      ...(route.memoryMb ? { memory: `${route.memoryMb} MB` as const } : {}),
      ...(route.tmpMb ? { storage: `${route.tmpMb} MB` as const } : {}),
      // Native addons (USearch) are installed into the function, not bundled by esbuild; the package
      // carries prebuilt linux-x64 and linux-arm64 binaries, so the install downloads and compiles nothing.
      ...(route.nativePackages ? { nodejs: { install: route.nativePackages } } : {}),
      environment: queues.environment,
      link: Object.values(queues.queues),
    };
    if (route.streaming) {
      const name = route.path.split(/[^A-Za-z0-9]+/).filter(Boolean).map((part) => part.charAt(0).toUpperCase() + part.slice(1)).join("");
      streamingUrls[route.path] = new sst.aws.Function(`${name}Stream`, { ...args, streaming: true, url: true }).url;
    } else {
      api.route(`${route.method} ${route.path}`, args);
    }
  }
  return { url: api.url, streamingUrls };
}
