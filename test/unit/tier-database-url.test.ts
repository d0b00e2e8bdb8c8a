import { describe, expect, it } from "vitest";
import { localDatabaseUrl } from "../../cli/tier";

describe("vault tier set's database", () => {
  const at = (port: number) => `postgres://postgres:postgres@127.0.0.1:${port}/cogzy`;

  it("finds the local stack's PostgreSQL two ports above the API the other commands were given", () => {
    expect(localDatabaseUrl({ VAULT_API: "http://localhost:36600" })).toBe(at(36602));
    expect(localDatabaseUrl({ VAULT_API: "http://127.0.0.1:4100/" })).toBe(at(4102));
  });

  it("prefers DATABASE_URL, then PG_PORT, then PORT, and ignores an API on another machine", () => {
    expect(localDatabaseUrl({ DATABASE_URL: "postgres://db.example.com/cogzy", VAULT_API: "http://localhost:36600" })).toBe("postgres://db.example.com/cogzy");
    expect(localDatabaseUrl({ PG_PORT: "5432", PORT: "4000", VAULT_API: "http://localhost:36600" })).toBe(at(5432));
    expect(localDatabaseUrl({ PORT: "4000", VAULT_API: "http://localhost:36600" })).toBe(at(4002));
    expect(localDatabaseUrl({ VAULT_API: "https://vaults.example.com" })).toBe(at(3002));
    expect(localDatabaseUrl({})).toBe(at(3002));
  });
});
