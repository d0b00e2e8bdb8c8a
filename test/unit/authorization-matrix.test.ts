import { expect, it } from "vitest";
import { routes } from "../../functions/manifest";
import { authorizationMatrix } from "../security/authorization-matrix";

// The security suite calls every route as every principal; this fast check makes `npm test` fail too
// when a route is added without saying who may call it.
it("gives every route of the manifest an entry in the authorization matrix, and no other", () => {
  const declared = routes.map((route) => `${route.method} ${route.path}`).sort();
  expect(Object.keys(authorizationMatrix).sort()).toEqual(declared);
});
