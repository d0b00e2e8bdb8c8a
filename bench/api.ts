/**
 * API throughput and latency: GET /me, upload creation and log-in against the stack `npm start` runs
 * (a child process, its own data folder and free ports), next to a bare node:http server answering a
 * small JSON body, measured by the same client in the same run. Each route gets the same closed loop:
 * `--concurrency` requests in flight on keep-alive connections for `--seconds`; a worker told 429 waits
 * Retry-After, as real clients do. Printed: 2xx answers per second, p50 and p99 latency of all answers,
 * non-2xx answers, and the ratio to the bare server. Then the throttle figures:
 * of 60 (and 300) concurrent wrong guesses at one account, how many were checked.
 *
 * Run: npm run bench:api [-- --seconds 5] [--concurrency 16]
 */
import { fork, spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:http";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { setTimeout as sleep } from "node:timers/promises";
import { Pool } from "undici";
import { freePort } from "../local/ports";

const root = fileURLToPath(new URL("..", import.meta.url));

if (process.argv.includes("--bare")) await serveBare();
else await main();

/** The baseline: node:http and nothing else, in its own process like the stack. */
async function serveBare(): Promise<void> {
  const body = JSON.stringify({ user_id: "00000000-0000-0000-0000-000000000000", email: "bare@example.com", tier: "free" });
  const server = createServer((request, response) => {
    request.resume();
    request.on("end", () => {
      response.writeHead(200, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(body) });
      response.end(body);
    });
  });
  server.listen(0, "127.0.0.1", () => process.send!({ port: (server.address() as { port: number }).port }));
  process.on("disconnect", () => process.exit(0));
}

interface Figures {
  requests: number;
  /** Answers of 2xx per second. */
  perSecond: number;
  p50: number;
  p99: number;
  failures: number;
  statuses: Record<number, number>;
}

type RequestSpec = { method: "GET" | "POST"; path: string; headers?: Record<string, string>; body?: (worker: number) => string };

/** A closed loop: each of `concurrency` workers sends its next request when the last one answered. */
async function measure(origin: string, spec: RequestSpec, options: { seconds: number; concurrency: number }): Promise<Figures> {
  const pool = new Pool(origin, { connections: options.concurrency, pipelining: 1 });
  const latencies: number[] = [];
  const statuses: Record<number, number> = {};
  const until = performance.now() + options.seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: options.concurrency }, async (_, worker) => {
      while (performance.now() < until) {
        const sent = performance.now();
        const answer = await pool.request({
          method: spec.method,
          path: spec.path,
          headers: { ...(spec.body ? { "content-type": "application/json" } : {}), ...spec.headers },
          body: spec.body?.(worker),
        });
        await answer.body.dump();
        latencies.push(performance.now() - sent);
        statuses[answer.statusCode] = (statuses[answer.statusCode] ?? 0) + 1;
        // A client told to come back waits as told, as the web page and the CLI do.
        if (answer.statusCode === 429) await sleep(Number(answer.headers["retry-after"] ?? 1) * 1000);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  await pool.close();
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  const failures = Object.entries(statuses).filter(([status]) => Number(status) >= 300).reduce((sum, [, n]) => sum + n, 0);
  return { requests: latencies.length, perSecond: (latencies.length - failures) / elapsed, p50: at(0.5), p99: at(0.99), failures, statuses };
}

async function startStack(): Promise<{ child: ChildProcess; apiUrl: string; dataDir: string }> {
  const dataDir = await mkdtemp(path.join(tmpdir(), "cogzy-bench-api-"));
  const [port, storePort, pgPort] = [await freePort(), await freePort(), await freePort()];
  const child = spawn(path.join(root, "node_modules/.bin/tsx"), ["local/start.ts"], {
    cwd: root,
    env: { ...process.env, PORT: String(port), STORE_PORT: String(storePort), PG_PORT: String(pgPort), DATA_DIR: dataDir, LOG_LEVEL: "error", NODE_OPTIONS: "--disable-warning=ExperimentalWarning" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  await new Promise<void>((resolve, reject) => {
    let output = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("is running")) resolve();
    });
    child.once("exit", (code) => reject(new Error(`the stack exited (${code}) before it was running:\n${output}`)));
  });
  return { child, apiUrl: `http://127.0.0.1:${port}`, dataDir };
}

async function post(origin: string, route: string, body: unknown, token?: string) {
  const answer = await fetch(`${origin}${route}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  return { status: answer.status, body: (await answer.json()) as any };
}

function row(name: string, figures: Figures, baseline?: Figures): string {
  const ratio = baseline ? `${(figures.perSecond / baseline.perSecond).toFixed(3)}×` : "1×";
  const refused = figures.failures ? ` (${Object.entries(figures.statuses).filter(([s]) => Number(s) >= 300).map(([s, n]) => `${n}× ${s}`).join(", ")})` : "";
  return `| ${name} | ${figures.perSecond.toFixed(0)} | ${figures.p50.toFixed(1)} | ${figures.p99.toFixed(1)} | ${figures.requests}${refused} | ${ratio} |`;
}

async function guesses(origin: string, email: string, count: number) {
  const started = performance.now();
  const answers = await Promise.all(Array.from({ length: count }, (_, i) => post(origin, "/api/personal/auth/login", { email, password: `wrong guess ${i}` })));
  const checked = answers.filter((answer) => answer.status === 401 || answer.status === 200).length;
  const errors = answers.filter((answer) => answer.status >= 500).length;
  return `${count} concurrent wrong guesses at one account: ${checked} checked, ${count - checked - errors} refused (429), ${errors} errors, all answered in ${((performance.now() - started) / 1000).toFixed(2)} s`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { seconds: { type: "string", default: "5" }, concurrency: { type: "string", default: "16" } } });
  const options = { seconds: Number(values.seconds), concurrency: Number(values.concurrency) };
  const bare = fork(fileURLToPath(import.meta.url), ["--bare"], { execArgv: ["--import", "tsx"], stdio: "inherit" });
  const barePort = await new Promise<number>((resolve) => bare.once("message", (message: { port: number }) => resolve(message.port)));
  const stack = await startStack();
  try {
    const origin = stack.apiUrl;
    // One account per worker for log-ins: concurrent log-ins of one account from one address share its
    // throttle budget. Made one after another: a burst of sign-ups meets the password-hashing queue's 429.
    const accounts: Array<{ email: string; token: string }> = [];
    for (let i = 0; i < options.concurrency; i += 1) {
      const email = `bench-${i}-${Date.now()}@example.com`;
      const signedUp = await post(origin, "/api/personal/auth/signup", { email, password: "a long enough passphrase" });
      if (signedUp.status !== 201) throw new Error(`sign-up failed: ${signedUp.status} ${JSON.stringify(signedUp.body)}`);
      accounts.push({ email, token: signedUp.body.token as string });
    }
    const auth = { authorization: `Bearer ${accounts[0]!.token}` };

    const baseline = await measure(`http://127.0.0.1:${barePort}`, { method: "GET", path: "/" }, options);
    const me = await measure(origin, { method: "GET", path: "/api/personal/me", headers: auth }, options);
    const uploads = await measure(origin, { method: "POST", path: "/api/personal/vault/uploads", headers: auth, body: () => JSON.stringify({ filename: "conversations.json", size: 1024 }) }, options);
    const logins = await measure(origin, { method: "POST", path: "/api/personal/auth/login", body: (worker) => JSON.stringify({ email: accounts[worker]!.email, password: "a long enough passphrase" }) }, options);

    console.log(`\nbench:api — ${options.concurrency} requests in flight, ${options.seconds} s per route, ${availableParallelism()} cores, load ${loadavg()[0]!.toFixed(1)} at the end\n`);
    console.log("| route | answered 2xx/s | p50 ms | p99 ms | requests (non-2xx) | vs bare node:http |");
    console.log("|---|---|---|---|---|---|");
    console.log(row("bare node:http server (baseline)", baseline));
    console.log(row("GET /api/personal/me", me, baseline));
    console.log(row("POST /api/personal/vault/uploads", uploads, baseline));
    console.log(row("POST /api/personal/auth/login (right password)", logins, baseline));
    console.log();
    console.log(await guesses(origin, accounts[0]!.email, 60));
    console.log(await guesses(origin, accounts[1]!.email, 300));
  } finally {
    bare.kill();
    stack.child.kill("SIGTERM");
    await new Promise((resolve) => stack.child.once("exit", resolve));
    await rm(stack.dataDir, { recursive: true, force: true });
  }
}
