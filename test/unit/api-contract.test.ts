import { describe, expect, it } from "vitest";
import { routes } from "../../functions/manifest";
import { resolveRoute } from "../../lib/api/client";
import { ROUTE_KEYS } from "../../lib/api/contract";

describe("the API contract", () => {
  // The handlers, the CLI, the tests and the web app read a route's shapes from lib/api/contract.ts; a
  // route added to the manifest without its entry there would have no typed client at all.
  it("has an entry for every route of the manifest, and no other", () => {
    const declared = routes.map((route) => `${route.method} ${route.path}`).sort();
    expect([...ROUTE_KEYS].sort(), "add the route to ApiContract and ROUTE_KEYS in lib/api/contract.ts").toEqual(declared);
  });

  it("fills a route's path parameters, escaped, and leaves out empty query values", () => {
    expect(resolveRoute("GET /api/personal/vault/upload/{upload_id}", { upload_id: "a/b c" }, { q: "x y", k: 5, source: undefined, to: "" })).toEqual({
      method: "GET",
      path: "/api/personal/vault/upload/a%2Fb%20c?q=x+y&k=5",
    });
  });

  it("refuses to call a route whose path parameter is missing", () => {
    expect(() => resolveRoute("DELETE /api/personal/vault/uploads/{upload_id}", {})).toThrow('"upload_id" is missing');
  });
});
