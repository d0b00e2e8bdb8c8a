import { execFile } from "node:child_process";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../local/ports";
import { startPostgres, type LocalPostgres } from "../../local/postgres";
import { productionStart } from "../support/production-env";
import { buildFunctionFolders, writeLinks, type FunctionFolder } from "../support/sst-bundle";
import { recordStack, type RecordedFunction } from "../support/sst-recorder";

/**
 * Every function of the stack as Lambda would run it: bundled as SST bundles it, unpacked in a folder
 * with no node_modules anywhere above it, started by Node 22 with the production environment and its
 * links, the way the Lambda runtime imports `bundle.mjs` and calls the handler.
 */
const root = process.cwd();
let work: string;
let postgres: LocalPostgres;
let functions: RecordedFunction[];
let folders: Map<string, FunctionFolder>;
let warnings: string[];

/**
 * What the Lambda Node.js runtime does for a handler: it defines the \`awslambda\` global that response
 * streaming uses (https://docs.aws.amazon.com/lambda/latest/dg/config-rs-write-functions.html), imports
 * the bundle, and calls the export with the event and a context.
 */
const RUNNER = `
globalThis.awslambda = {
  streamifyResponse: (handler) => Object.assign(handler, { streaming: true }),
  HttpResponseStream: { from: (stream) => stream },
};
const [file, exportName, event] = process.argv.slice(2);
const loaded = await import(file);
const answer = { exported: typeof loaded[exportName] };
if (event) {
  const context = { functionName: "test", awsRequestId: "req-1", getRemainingTimeInMillis: () => 30000 };
  answer.result = await loaded[exportName](JSON.parse(event), context);
}
console.log("~" + JSON.stringify(answer));
process.exit(0);
`;

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), "cogzy-bundles-"));
  await writeFile(path.join(work, "runner.mjs"), RUNNER);
  postgres = await startPostgres({ dataDir: path.join(work, "postgres"), port: await freePort() });
  functions = (await recordStack()).functions();
  // One folder per handler: functions sharing a handler (the dead-letter consumers) share a bundle.
  const byHandler = new Map(functions.map((fn) => [fn.args.handler as string, fn]));
  ({ folders, warnings } = await buildFunctionFolders(
    root,
    work,
    [...byHandler.values()].map((fn) => ({ name: folderName(fn), handler: fn.args.handler, runtime: fn.args.runtime, copyFiles: fn.args.copyFiles, install: fn.args.nodejs?.install })),
  ));
}, 300_000);

afterAll(async () => {
  await postgres?.stop();
  await rm(work, { recursive: true, force: true });
});

function folderName(fn: RecordedFunction): string {
  return fn.args.handler.replace(/[^A-Za-z0-9]+/g, "-");
}

async function run(fn: RecordedFunction, options: { event?: unknown; overrides?: Record<string, string> } = {}) {
  const folder = folders.get(folderName(fn))!;
  const { env, links } = productionStart(fn, options.overrides);
  const linkEnvironment = await writeLinks(folder, links);
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [path.join(work, "runner.mjs"), folder.file, folder.exportName, ...(options.event ? [JSON.stringify(options.event)] : [])],
    // Only what Lambda gives a function: its folder as working directory, its environment, its links.
    { cwd: folder.dir, env: { PATH: process.env.PATH, ...env, ...linkEnvironment, LOG_LEVEL: "silent" } },
  );
  return JSON.parse(stdout.split("\n").find((line) => line.startsWith("~"))!.slice(1)) as { exported: string; result?: any };
}

describe("deployed bundles", () => {
  it("every function loads under Node 22 with the production configuration and exports its handler", async () => {
    expect(process.versions.node.split(".")[0]).toBe("22");
    expect(warnings).toEqual([]);
    const handlers = [...new Map(functions.map((fn) => [fn.args.handler as string, fn])).values()];
    // Two at a time, as many as this machine has cores.
    for (let at = 0; at < handlers.length; at += 2) {
      const answers = await Promise.all(handlers.slice(at, at + 2).map(async (fn) => [fn.source, (await run(fn)).exported]));
      for (const [source, exported] of answers) expect(exported, source).toBe("function");
    }
  }, 600_000);

  it("an API route answers at cold start, its configuration read from the environment and the decrypted links", async () => {
    const me = functions.find((fn) => fn.args.handler === "functions/http/me.handler")!;
    const event = {
      version: "2.0",
      routeKey: "GET /api/personal/me",
      rawPath: "/api/personal/me",
      rawQueryString: "",
      headers: {},
      requestContext: { http: { method: "GET", path: "/api/personal/me" }, requestId: "r1", routeKey: "GET /api/personal/me" },
      isBase64Encoded: false,
    };

    const answer = await run(me, { event });

    expect(answer.result.statusCode).toBe(401);
    expect(JSON.parse(answer.result.body).error).toBeTruthy();
  });

  it("the migration function applies the migrations it carries and answers the newest one", async () => {
    const migrator = functions.find((fn) => fn.args.handler === "functions/deploy/migrate-database.handler")!;
    const databaseUrl = `${postgres.url}?sslmode=disable`;

    const answer = await run(migrator, { event: { migrations: "digest" }, overrides: { "secret:DatabaseUrl": databaseUrl } });

    const newest = (await readdir("migrations")).sort().at(-1)!.replace(/\.sql$/, "");
    expect(answer.result.schema).toBe(newest);
    expect(answer.result.applied.at(-1)).toBe(newest);
    const client = new pg.Client({ connectionString: postgres.url });
    await client.connect();
    const { rows } = await client.query("SELECT name FROM pgmigrations ORDER BY id");
    await client.end();
    expect(rows.map((row) => row.name)).toEqual(answer.result.applied);

    const again = await run(migrator, { event: { migrations: "digest" }, overrides: { "secret:DatabaseUrl": databaseUrl } });
    expect(again.result).toEqual({ applied: [], schema: newest });
  }, 60_000);
});
