import { beforeAll, describe, expect, it } from "vitest";
import { routes } from "../../functions/manifest";
import { authorizationMatrix, principals, READ_SCOPE } from "./authorization-matrix";
import { createMatrixFixture, type MatrixFixture } from "./support/matrix-fixture";
import { useTestStack } from "../support/stack";

const ctx = useTestStack({ consumers: false });
let fixture: MatrixFixture;
beforeAll(async () => {
  fixture = await createMatrixFixture(ctx.stack.apiUrl, ctx.db);
});

/** `/a/{id}/b` with `{id: "x"}` → `/a/x/b`; a parameter the entry forgot is left visible in the path. */
function fillPath(path: string, params: Record<string, string> = {}): string {
  return path.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? encodeURIComponent(params[name]!) : whole));
}

describe.each(routes.map((route) => [`${route.method} ${route.path}`, route] as const))("%s", (routeKey, route) => {
  const entry = authorizationMatrix[routeKey];

  it("has an entry in test/security/authorization-matrix.ts", () => {
    expect(entry, `add "${routeKey}" to test/security/authorization-matrix.ts`).toBeDefined();
  });
  if (!entry) return;

  it.each(principals)("as %s", async (principal) => {
    const [method, path] = routeKey.split(" ") as [string, string];
    const request = (await entry.request?.(fixture)) ?? {};
    const token = await fixture.tokenFor(principal);

    const query = request.query ? `?${new URLSearchParams(request.query)}` : "";
    const answer = await ctx.api.call(method, fillPath(path, request.params) + query, { token, body: request.body, headers: request.headers });

    const expected = entry.expected[principal];
    expect(answer.status, JSON.stringify(answer.body)).toBe(expected === READ_SCOPE ? (route.acceptsAccessTokens ? entry.expected.owner : 403) : expected);
    if (answer.status >= 400) expect(answer.body).toEqual({ error: expect.any(String), message: expect.any(String) });
    if (entry.private && principal !== "owner" && principal !== "ownerToken") {
      const text = JSON.stringify(answer.body ?? "");
      expect(text).not.toContain(fixture.owner.userId);
      expect(text).not.toContain(fixture.owner.email);
      for (const value of Object.values(request.params ?? {})) expect(text).not.toContain(value);
    }
  });
});

it("has no entry for a route the manifest no longer declares", () => {
  const declared = new Set(routes.map((route) => `${route.method} ${route.path}`));
  expect(Object.keys(authorizationMatrix).filter((key) => !declared.has(key))).toEqual([]);
});
