/**
 * The web app as SST deploys it: the static files `npm run build:web` writes to web/dist, behind one
 * CloudFront Router that also sends the API's prefixes to API Gateway. One domain for both, so the
 * page's requests are same-origin and its `SameSite=Lax` session cookie goes with them
 * (https://sst.dev/docs/component/aws/router, https://sst.dev/docs/component/aws/static-site).
 */
import type { RouteDefinition } from "../functions/manifest";

/**
 * The site's folder and build: SST runs the command in `path` (npm finds the project's package.json
 * above it) and uploads `path`/`output`.
 */
export const WEB_APP: { path: string; build?: { command: string; output: string } } = {
  path: "web",
  build: { command: "npm run build:web", output: "dist" },
};

/** The path prefixes the Router sends to the API: each route's first segment (`/api`, `/webhooks`). */
export function apiPrefixes(routes: RouteDefinition[]): string[] {
  return [...new Set(routes.map((route) => `/${route.path.split("/")[1]}`))].sort();
}

/**
 * The Router: the API's prefixes to API Gateway, each streaming route (chat) to its own function URL
 * (the longer path wins), everything else to the static site.
 */
export function createWebApp(api: { url: $util.Output<string>; streamingUrls: Record<string, $util.Output<string>> }, routes: RouteDefinition[]) {
  const router = new sst.aws.Router("Router");
  for (const prefix of apiPrefixes(routes)) router.route(prefix, api.url);
  for (const [path, url] of Object.entries(api.streamingUrls)) router.route(path, url);
  const site = new sst.aws.StaticSite("Web", { path: WEB_APP.path, ...(WEB_APP.build ? { build: WEB_APP.build } : {}), router: { instance: router } });
  return { router, site };
}
