import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../local/ports";
import { startPostgres, type LocalPostgres } from "../../local/postgres";
import { productionStart } from "../support/production-env";
import { recordStack } from "../support/sst-recorder";

/**
 * A database that serves TLS with a certificate from a private CA, as RDS does (its CAs are not in
 * Node's bundle), reached with a deployed function's configuration. The CA and server certificate in
 * test/fixtures/tls are for this test only; the CA's key was discarded when they were made.
 */
const fixtures = path.resolve("test/fixtures/tls");
let dataDir: string;
let postgres: LocalPostgres;
let port: number;
let environment: Record<string, string>;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), "cogzy-tls-"));
  port = await freePort();
  postgres = await startPostgres({
    dataDir: path.join(dataDir, "postgres"),
    port,
    tls: { certificate: await readFile(path.join(fixtures, "server.pem"), "utf8"), key: await readFile(path.join(fixtures, "server-key.pem"), "utf8") },
  });
  const stack = await recordStack();
  const fn = stack.functions().find((candidate) => candidate.args.handler === "functions/http/me.handler")!;
  const { env, links } = productionStart(fn, { "secret:DatabaseUrl": `postgres://postgres:postgres@127.0.0.1:${port}/cogzy` });
  // SST hands linked values to the function; `SST_RESOURCE_<Name>` is the form sst/resource reads from an environment.
  environment = { ...env, SST_RESOURCE_App: JSON.stringify({ name: "cogzy-vaults", stage: "production" }) };
  for (const [name, value] of Object.entries(links)) environment[`SST_RESOURCE_${name}`] = JSON.stringify(value);
});

afterAll(async () => {
  await postgres?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

async function probe(extra: Record<string, string>): Promise<{ ssl?: boolean; error?: string }> {
  const { PATH, HOME } = process.env;
  const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", "test/support/postgres-probe.ts"], {
    env: { PATH, HOME, ...environment, LOG_LEVEL: "silent", ...extra },
  });
  return JSON.parse(stdout.trim().split("\n").at(-1)!);
}

describe("Postgres TLS in production", () => {
  it("connects encrypted when the server's CA is among NODE_EXTRA_CA_CERTS, as the stack sets for RDS", async () => {
    expect(await probe({ NODE_EXTRA_CA_CERTS: path.join(fixtures, "ca.pem") })).toEqual({ ssl: true });
  });

  it("refuses a server whose certificate no trusted CA signed", async () => {
    const outcome = await probe({ NODE_EXTRA_CA_CERTS: "" });
    expect(outcome.error).toMatch(/self[- ]signed certificate in certificate chain|unable to (get|verify)/i);
  });
});
