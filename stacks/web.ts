import type { RouteDefinition } from "../functions/manifest";
import type { DeploySettings } from "./deploy-settings";
import { functionArgs, type FunctionContext } from "./functions";

/**
 * The web app as the Router serves it: the static files `npm run build:web` writes to web/dist. SST runs
 * the command in `path` (npm finds the project's package.json above it) and uploads `path`/`output`
 * (https://sst.dev/docs/component/aws/static-site).
 */
export const WEB_APP: { path: string; build?: { command: string; output: string } } = {
  path: "web",
  build: { command: "npm run build:web", output: "dist" },
};

/**
 * The path prefixes the Router sends to the API: each route's first segment (`/api`, `/webhooks`), so
 * a route under a new prefix is routed without touching the stack. Streaming routes have their own.
 */
export function apiPrefixes(routes: RouteDefinition[]): string[] {
  return [...new Set(routes.filter((route) => !route.streaming).map((route) => `/${route.path.split("/")[1]}`))].sort();
}

/** A route's name for components and alarms: `POST /api/personal/auth/login` → `PostApiPersonalAuthLogin`. */
export function routeName(route: RouteDefinition): string {
  return `${route.method.toLowerCase()} ${route.path}`
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join("");
}

/** The CloudFront distribution in front of everything, on `DOMAIN` when one is set. */
export function createRouter(deploy: DeploySettings) {
  return new sst.aws.Router("Router", deploy.domain ? { domain: deploy.domain } : {});
}

/**
 * One domain for the web app and the API, so the page's requests are same-origin and its `SameSite=Lax`
 * session cookie is sent: a CloudFront Router sends the API's prefixes to API Gateway and everything
 * else to the static site (https://sst.dev/docs/component/aws/router). The API answers no cross-origin
 * request (`cors: false`): only the page on this domain, and non-browser clients, use it.
 */
export function createWeb(router: sst.aws.Router, context: FunctionContext, routes: RouteDefinition[]) {
  const api = new sst.aws.ApiGatewayV2("Api", { cors: false });
  const functions: { name: string; functionName: $util.Input<string> }[] = [];
  for (const route of routes) {
    const args = functionArgs(context, { ...route, timeoutSeconds: route.timeoutSeconds ?? 30 });
    if (route.streaming) {
      if (route.path.includes("{")) throw new Error(`${route.path}: a streaming route's path must be static; it is the Router's prefix.`);
      const fn = new sst.aws.Function(routeName(route), { ...args, streaming: true, url: { router: { instance: router, path: route.path } } });
      functions.push({ name: routeName(route), functionName: fn.name });
    } else {
      const added = api.route(`${route.method} ${route.path}`, args);
      functions.push({ name: routeName(route), functionName: added.nodes.function.name });
    }
  }
  for (const prefix of apiPrefixes(routes)) router.route(prefix, api.url);
  const site = new sst.aws.StaticSite("Web", { path: WEB_APP.path, ...(WEB_APP.build ? { build: WEB_APP.build } : {}), router: { instance: router } });
  return { router, api, site, functions };
}

export type Web = ReturnType<typeof createWeb>;
