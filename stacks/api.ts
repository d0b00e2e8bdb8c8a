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
      environment: queues.environment,
      link: Object.values(queues.queues),
    });
  }
  return api;
}
