import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { routes } from "../../functions/manifest";
import { startBanner } from "../../local/banner";
import { projectRoot } from "../../local/data-dir";
import { authorizationMatrix } from "../security/authorization-matrix";

const readme = readFileSync(path.join(projectRoot, "README.md"), "utf8");

function section(title: string): string {
  const start = readme.indexOf(`\n## ${title}\n`);
  expect(start, `README has no "## ${title}" section`).toBeGreaterThan(-1);
  const end = readme.indexOf("\n## ", start + 1);
  return readme.slice(start, end === -1 ? undefined : end);
}

/** What the API table's auth column must say, from who the authorization matrix lets in. */
function authShownFor(key: string): RegExp {
  const entry = authorizationMatrix[key];
  if (!entry) return /^$/;
  const statuses = new Set(Object.values(entry.expected));
  // Everyone answered alike: open to all, or (private) a callback only its own signature lets in.
  if (statuses.size === 1) return entry.private ? /signature/ : /^none/;
  return entry.expected.anonymous === 401 ? /^session/ : /^none/;
}

describe("README", () => {
  it("shows the banner npm start prints with the default ports", () => {
    const banner = startBanner(
      { apiUrl: "http://localhost:3000", storeEndpoint: "http://localhost:3001", databaseUrl: "postgres://postgres:postgres@127.0.0.1:3002/cogzy", dataDir: path.join(projectRoot, ".data") },
      { seconds: 1.2, bucket: "cogzy-vaults" },
    );

    expect(readme).toContain(`\`\`\`\n${banner}\n\`\`\``);
  });

  it.each(routes.map((route) => [`${route.method} ${route.path}`, route] as const))("lists %s in the API section with its auth and a curl", (_, route) => {
    const api = section("API");
    const row = api.split("\n").find((line) => line.startsWith(`| \`${route.method} ${route.path}\` |`));
    expect(row, `add a row for ${route.method} ${route.path} to the README's API table`).toBeDefined();
    const auth = row!.split("|")[2]!.trim();
    expect(auth, "the row's auth column agrees with test/security/authorization-matrix.ts").toMatch(authShownFor(`${route.method} ${route.path}`));

    const path = route.path.replace(/\{[^}]+\}/g, "[^/\\s]+").replace(/\//g, "\\/");
    const method = route.method === "GET" ? "(?!.*-X )" : `.*-X ${route.method} `;
    const curl = new RegExp(`(^|\\$\\()curl ${method}.*\\$API${path}(?=[\\s"'])`, "m");
    expect(api, `add a curl line for ${route.method} ${route.path} to the README's API section`).toMatch(curl);
  });
});
