import { routes } from "../functions/manifest";
import type { Queues } from "./queues";
import type { Settings } from "./secrets";

/** The HTTP API (API Gateway v2, payload format 2.0): one function per route of `functions/manifest.ts`. */
export function createApi(_settings: Settings, queues: Queues) {
  const api = new sst.aws.ApiGatewayV2("Api");
  for (const route of routes) {
    api.route(`${route.method} ${route.path}`, {
      handler: route.handler,
      timeout: `${route.timeoutSeconds ?? 30} seconds`,
      ...(route.memoryMb ? { memory: `${route.memoryMb} MB` as const } : {}),
      ...(route.tmpMb ? { storage: `${route.tmpMb} MB` as const } : {}),
      // Native addons (USearch) are installed into the function, not bundled by esbuild; the package
      // carries prebuilt linux-x64 and linux-arm64 binaries, so the install downloads and compiles nothing.
      ...(route.nativePackages ? { nodejs: { install: route.nativePackages } } : {}),
      environment: queues.environment,
      link: Object.values(queues.queues),
    });
  }
  return api;
}
