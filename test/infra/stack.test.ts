import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { build } from "esbuild";
import { beforeAll, describe, expect, it } from "vitest";
import { DEAD_LETTER_CONSUMER, DEFAULT_DB_POOL_SIZE, queues as definitions, routes, schedules } from "../../functions/manifest";
import { linkedSettings } from "../../lib/config";
import { recordStack, ownerOf, text, type Recording } from "../support/sst-recorder";

/** SST's defaults when an argument is left out (platform/src/components/aws/queue.ts and function.ts). */
const SST_DEFAULT_VISIBILITY = "30 seconds";
const SST_DEFAULT_TIMEOUT = "20 seconds";

function seconds(duration: string): number {
  const match = /^(\d+) (second|minute|hour)s?$/.exec(duration);
  if (!match) throw new Error(`not a duration: ${duration}`);
  return Number(match[1]) * { second: 1, minute: 60, hour: 3600 }[match[2] as "second"];
}

/** What a `transform` callback of SST sets on the resource's arguments. */
function transformed(transform: ((args: any) => void) | undefined): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  transform?.(args);
  return args;
}

let stack: Recording;
beforeAll(async () => {
  stack = await recordStack();
});

describe("queues", () => {
  it("give every queue a visibility timeout of at least its consumer's timeout, dead-letter queues included", () => {
    const subscribed = stack.functions().filter((fn) => fn.owner?.type === "sst.aws.Queue");
    expect(subscribed.map((fn) => fn.owner!.name).sort()).toEqual(["Embed", "EmbedDlq", "Ingest", "IngestDlq", "Reduce", "ReduceDlq"]);
    for (const fn of subscribed) {
      const visibility = seconds(fn.owner!.args.visibilityTimeout ?? SST_DEFAULT_VISIBILITY);
      const timeout = seconds(fn.args.timeout ?? SST_DEFAULT_TIMEOUT);
      // AWS refuses the event source mapping below 1×; Lambda's guidance is 6×.
      expect(visibility, fn.owner!.name).toBeGreaterThanOrEqual(6 * timeout);
    }
  });

  it("keep dead letters 14 days, longer than their source queues keep messages", () => {
    for (const queue of stack.ofType("sst.aws.Queue")) {
      const retention = transformed(queue.args.transform?.queue).messageRetentionSeconds;
      expect(retention, queue.name).toBe(queue.name.endsWith("Dlq") ? 14 * 24 * 3600 : 4 * 24 * 3600);
    }
  });

  it("redrive to their own dead-letter queue after the manifest's receive count", () => {
    for (const definition of Object.values(definitions)) {
      const name = definition.name.charAt(0).toUpperCase() + definition.name.slice(1);
      const queue = stack.one("sst.aws.Queue", name);
      expect(ownerOf(queue.args.dlq.queue)?.name).toBe(`${name}Dlq`);
      expect(queue.args.dlq.retry).toBe(definition.maxReceiveCount);
      expect(queue.args.fifo).toBe(definition.fifo);
      expect(stack.one("sst.aws.Queue", `${name}Dlq`).args.fifo).toBe(definition.fifo);
    }
  });

  it("are consumed with partial batch responses at the manifest's maximum concurrency", () => {
    for (const queue of stack.ofType("sst.aws.Queue")) {
      const [subscription] = queue.calls.filter((call) => call.method === "subscribe");
      const options = subscription!.args[1] as any;
      const consumer = queue.name.endsWith("Dlq") ? DEAD_LETTER_CONSUMER : definitions[queue.name.toLowerCase() as keyof typeof definitions].consumer!;
      expect(options.batch).toEqual({ size: consumer.batchSize, partialResponses: true });
      expect(transformed(options.transform.eventSourceMapping).scalingConfig).toEqual({ maximumConcurrency: Math.max(2, consumer.maxConcurrency) });
    }
  });
});

describe("functions", () => {
  it("every manifest route, consumer and schedule is deployed, plus the migration", () => {
    const handlers = stack.functions().map((fn) => fn.args.handler);
    for (const schedule of schedules) {
      const cron = stack.ofType("sst.aws.Cron").find((component) => component.args.function.handler === schedule.handler);
      expect(cron?.args.schedule, schedule.name).toBe(schedule.schedule);
    }
    for (const route of routes) expect(handlers).toContain(route.handler);
    for (const definition of Object.values(definitions)) {
      if (definition.consumer) expect(handlers).toContain(definition.consumer.handler);
      if (definition.deadLetterHandler) expect(handlers).toContain(definition.deadLetterHandler);
    }
    expect(handlers).toContain("functions/deploy/migrate-database.handler");
  });

  it("run on Lambda's Node.js 22 on arm64, as the project runs locally", () => {
    for (const fn of stack.functions()) expect([fn.source, fn.args.runtime, fn.args.architecture]).toEqual([fn.source, "nodejs22.x", "arm64"]);
  });

  it("get no secret as an environment variable, and are linked to every setting their configuration reads", () => {
    const secrets = stack.ofType("sst.Secret").map((secret) => secret.name);
    expect(secrets.sort()).toEqual(Object.values(linkedSettings).map((setting) => setting.link).sort());
    for (const fn of stack.functions()) {
      const environment = Object.keys(fn.args.environment);
      for (const name of Object.keys(linkedSettings)) expect(environment, fn.source).not.toContain(name);
      const linked = (fn.args.link as unknown[]).map((link) => ownerOf(link)?.name);
      expect(linked, fn.source).toEqual(expect.arrayContaining(secrets));
    }
  });

  it("trust Amazon's CA certificates (RDS) and size their Postgres pool as the manifest says, one connection for each of the 200 embed workers", () => {
    const declared = new Map<string, number | undefined>([
      ...routes.map((route) => [route.handler, route.dbPoolSize] as const),
      ...schedules.map((schedule) => [schedule.handler, schedule.dbPoolSize] as const),
      ...Object.values(definitions).flatMap((definition) => (definition.consumer ? [[definition.consumer.handler, definition.consumer.dbPoolSize] as const] : [])),
    ]);
    for (const fn of stack.functions()) {
      expect(fn.args.environment.NODE_EXTRA_CA_CERTS, fn.source).toBe("/var/runtime/ca-cert.pem");
      const size = Number(fn.args.environment.DATABASE_POOL_SIZE);
      expect(size, fn.source).toBe(declared.get(fn.args.handler) ?? DEFAULT_DB_POOL_SIZE);
      if (fn.owner?.type === "sst.aws.Queue") expect(size, fn.source).toBeLessThanOrEqual(2);
    }
    const embed = stack.functions().find((fn) => fn.args.handler === definitions.embed.consumer!.handler)!;
    expect(embed.args.environment.DATABASE_POOL_SIZE).toBe("1");
  });

  it("run the split, the embed workers and the merge with the young generation the manifest gives them, and no other function with NODE_OPTIONS", () => {
    const ingest = new Set([definitions.ingest, definitions.embed, definitions.reduce].map((definition) => definition.consumer!.handler));
    for (const fn of stack.functions()) {
      const options = fn.args.environment.NODE_OPTIONS;
      if (ingest.has(fn.args.handler)) expect(options, fn.source).toBe("--max-semi-space-size=64");
      else expect(options, fn.source).toBeUndefined();
    }
    expect(stack.functions().filter((fn) => ingest.has(fn.args.handler))).toHaveLength(3);
  });
});

describe("migrations", () => {
  it("run in a function the deploy invokes, with a copy of migrations/, whenever a migration changes", () => {
    const migrator = stack.one("sst.aws.Function", "DatabaseMigrator");
    expect(migrator.args.copyFiles).toEqual([{ from: "migrations", to: "migrations" }]);
    expect(migrator.args.environment.MIGRATIONS_DIR).toBe("migrations");
    const invocation = stack.one("aws.lambda.Invocation", "DatabaseMigration");
    expect(ownerOf(invocation.args.functionName)).toBe(migrator);
    expect(JSON.parse(invocation.args.input).migrations).toMatch(/^[0-9a-f]{64}$/);
  });

  it("come first: every other function's configuration depends on the migration's result", () => {
    for (const fn of stack.functions()) {
      if (fn.args.handler === "functions/deploy/migrate-database.handler") continue;
      expect(String(text(fn.args.environment.DATABASE_SCHEMA)), fn.source).toContain("aws.lambda.Invocation:DatabaseMigration.result");
    }
  });
});

describe("web and API", () => {
  it("share one domain: the Router sends the API's prefixes to the API and the rest to the web app", () => {
    const router = stack.one("sst.aws.Router", "Router");
    const api = stack.one("sst.aws.ApiGatewayV2", "Api");
    const routed = router.calls.filter((call) => call.method === "route").map((call) => [call.args[0], text(call.args[1])]);
    const prefixes = [...new Set(routes.map((route) => `/${route.path.split("/")[1]}`))].sort();
    expect(prefixes).toEqual(expect.arrayContaining(["/api", "/webhooks"]));
    expect(routed).toEqual(prefixes.map((prefix) => [prefix, "{{sst.aws.ApiGatewayV2:Api.url}}"]));
    expect(api.calls.filter((call) => call.method === "route")).toHaveLength(routes.filter((route) => !route.streaming).length);
    const site = stack.one("sst.aws.StaticSite", "Web");
    expect(ownerOf(site.args.router.instance)).toBe(router);
    expect(site.args.path).toBe("web");
    // The Svelte app's build, as package.json defines it.
    expect(site.args.build).toEqual({ command: "npm run build:web", output: "dist" });
    expect(JSON.parse(readFileSync("package.json", "utf8")).scripts["build:web"]).toBeTruthy();
  });

  it("streaming routes are function URLs behind the same Router, at their own path (longer prefixes win)", () => {
    const streaming = routes.filter((route) => route.streaming);
    expect(streaming.length).toBeGreaterThan(0);
    for (const route of streaming) {
      const fn = stack.ofType("sst.aws.Function").find((component) => component.args.handler === route.handler)!;
      expect(fn.args.streaming, route.path).toBe(true);
      expect(ownerOf(fn.args.url.router.instance)?.type).toBe("sst.aws.Router");
      expect(fn.args.url.router.path).toBe(route.path);
    }
  });

  it("the API answers no cross-origin request", () => {
    expect(stack.one("sst.aws.ApiGatewayV2", "Api").args.cors).toBe(false);
  });

  it("the stack's outputs are the site, the API and the webhook on the site's domain", () => {
    expect(text(stack.outputs.url)).toBe("{{sst.aws.Router:Router.url}}");
    expect(stack.outputs.webhook).toBe("{{sst.aws.Router:Router.url}}/webhooks/b2");
  });
});

describe("alarms", () => {
  const alarms = () => stack.ofType("aws.cloudwatch.MetricAlarm");

  it("watch every function's errors and throttles", () => {
    for (const fn of stack.functions()) {
      for (const metric of ["Errors", "Throttles"]) {
        const watching = alarms().filter((alarm) => alarm.args.metricName === metric && ownerOf(alarm.args.dimensions.FunctionName) === (fn.owner ?? stack.one("sst.aws.Function", fn.source.split(":")[1]!)));
        expect(watching.length, `${metric} of ${fn.source}`).toBeGreaterThanOrEqual(1);
      }
    }
    expect(alarms().filter((alarm) => alarm.args.namespace === "AWS/Lambda")).toHaveLength(2 * stack.functions().length);
  });

  it("watch the age of the oldest message on embed and reduce, and the depth of every dead-letter queue", () => {
    const sqs = alarms().filter((alarm) => alarm.args.namespace === "AWS/SQS");
    const watched = sqs.map((alarm) => [alarm.args.metricName, ownerOf(alarm.args.dimensions.QueueName)!.name]);
    expect(watched).toEqual(
      expect.arrayContaining([
        ["ApproximateAgeOfOldestMessage", "Embed"],
        ["ApproximateAgeOfOldestMessage", "Reduce"],
        ["ApproximateNumberOfMessagesVisible", "IngestDlq"],
        ["ApproximateNumberOfMessagesVisible", "EmbedDlq"],
        ["ApproximateNumberOfMessagesVisible", "ReduceDlq"],
      ]),
    );
    expect(sqs).toHaveLength(5);
  });

  it("notify one topic, by email when ALARM_EMAIL is set", async () => {
    for (const alarm of alarms()) expect(alarm.args.alarmActions.map(text)).toEqual(["{{aws.sns.Topic:Alarms.arn}}"]);
    expect(stack.ofType("aws.sns.TopicSubscription")).toHaveLength(0);
    const withEmail = await recordStack({ env: { ALARM_EMAIL: "ops@example.com" } });
    expect(withEmail.one("aws.sns.TopicSubscription", "AlarmsEmail").args).toMatchObject({ protocol: "email", endpoint: "ops@example.com" });
  });
});

describe("the vault bucket on AWS S3 (STORE_PROVIDER=s3)", () => {
  let s3: Recording;
  beforeAll(async () => {
    s3 = await recordStack({ env: { STORE_PROVIDER: "s3" } });
  });

  it("is created, accepts PUTs from the web app's origin, and announces new objects under users/ on the ingest queue", () => {
    const bucket = s3.one("sst.aws.Bucket", "VaultBucket");
    expect(text(bucket.args.cors.allowOrigins[0])).toBe("{{sst.aws.Router:Router.url}}");
    expect(bucket.args.cors.exposeHeaders).toContain("ETag");
    const [notify] = bucket.calls.filter((call) => call.method === "notify");
    const [notification] = (notify!.args[0] as any).notifications;
    expect(ownerOf(notification.queue)?.name).toBe("Ingest");
    expect(notification).toMatchObject({ events: ["s3:ObjectCreated:*"], filterPrefix: "users/" });
  });

  it("is linked to every function, named in STORE_BUCKET, and replaces the B2 settings", () => {
    for (const fn of s3.functions()) {
      expect((fn.args.link as unknown[]).map((link) => ownerOf(link)?.name), fn.source).toContain("VaultBucket");
      expect(fn.args.environment).toMatchObject({ STORE_PROVIDER: "s3", STORE_BUCKET: expect.anything() });
    }
    expect(s3.ofType("sst.Secret").map((secret) => secret.name)).not.toContain("StoreAccessKeyId");
  });

  it("is not created on B2", () => {
    expect(stack.ofType("sst.aws.Bucket")).toHaveLength(0);
  });
});

/**
 * `app()` evaluated as SST evaluates it: sst.config.ts bundled by esbuild with `$config` as the identity,
 * then `await mod.app({ stage })` run by Node (sst/sst pkg/project/project.go).
 */
async function appFor(stage: string): Promise<{ removal: string; protect: boolean; name: string }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "cogzy-sst-app-"));
  try {
    const bundled = await build({
      stdin: { contents: `import mod from "./sst.config.ts";\nconsole.log("~j" + JSON.stringify(await mod.app({ stage: process.argv[2] })));`, resolveDir: process.cwd(), loader: "ts" },
      bundle: true,
      platform: "node",
      format: "esm",
      banner: { js: "function $config(input) { return input }" },
      write: false,
    });
    writeFileSync(path.join(dir, "eval.mjs"), bundled.outputFiles[0]!.text);
    const output = execFileSync(process.execPath, [path.join(dir, "eval.mjs"), stage], { encoding: "utf8" });
    return JSON.parse(output.split("\n").find((line) => line.startsWith("~j"))!.slice(2));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("the README's limits before launch", () => {
  it("state the queues' total maximum concurrency and the connections it opens, as the stack declares them", () => {
    let concurrency = 0;
    let connections = 0;
    for (const queue of stack.ofType("sst.aws.Queue")) {
      const [subscription] = queue.calls.filter((call) => call.method === "subscribe");
      const maximum = (transformed((subscription!.args[1] as any).transform.eventSourceMapping).scalingConfig as { maximumConcurrency: number }).maximumConcurrency;
      concurrency += maximum;
      connections += maximum * Number((subscription!.args[0] as any).environment.DATABASE_POOL_SIZE);
    }
    const readme = readFileSync("README.md", "utf8");
    expect(readme).toContain(`adds up to ${concurrency} (`);
    expect(readme).toContain(`= ${connections} connections`);
  });
});

describe("the production stage", () => {
  it("is protected from removal and retains its resources; any other stage is disposable", async () => {
    expect(await appFor("production")).toMatchObject({ name: "cogzy-vaults", removal: "retain", protect: true });
    expect(await appFor("prod")).toMatchObject({ removal: "remove", protect: false });
  });

  it("has one name, and the README deploys exactly that stage", async () => {
    const { PRODUCTION_STAGE } = await import("../../stacks/stage");
    const readme = readFileSync("README.md", "utf8");
    const stages = [...readme.matchAll(/--stage[ =](\S+)/g)].map((match) => match[1]);
    expect(stages.length).toBeGreaterThan(0);
    expect(new Set(stages)).toEqual(new Set([PRODUCTION_STAGE]));
  });
});
