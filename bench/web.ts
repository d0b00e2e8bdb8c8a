/**
 * The web app's two budgets, measured: its JavaScript + CSS gzipped (≤ 150 KB), and how long the Vault
 * screen takes to show a vault's figures in Chromium on the local stack (≤ 1 s). Next to each, a
 * baseline from the same run: the budget itself for the size, and for the render the time the same
 * browser takes merely to fetch the answers the screen needs (`/me`, `/vault/status`, `/usage`), the
 * floor no page could beat.
 *
 * Run: npm run bench:web [-- --runs 7]
 */
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { parseArgs } from "node:util";
import { launchChromium } from "../test/browser/support/browser";
import { startTestStack } from "../test/support/stack";
import { apiClient, uniqueEmail } from "../test/support/api";
import { chatgptExport, conversations } from "../test/support/exports";
import { setTimeout as sleep } from "node:timers/promises";
import { ensureWebBuild, webDist } from "../local/web-build";

const BUDGET_BYTES = 150 * 1024;
const RENDER_BUDGET_MS = 1000;
const { values } = parseArgs({ options: { runs: { type: "string", default: "7" } } });
const runs = Number(values.runs);

const median = (numbers: number[]) => [...numbers].sort((a, b) => a - b)[Math.floor(numbers.length / 2)]!;
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

await ensureWebBuild((line) => console.log(line));
const assets = path.join(webDist, "assets");
let gzipped = 0;
let raw = 0;
for (const name of await readdir(assets)) {
  if (!/\.(js|css)$/.test(name)) continue;
  const bytes = await readFile(path.join(assets, name));
  raw += bytes.length;
  gzipped += gzipSync(bytes, { level: 9 }).length;
}
console.log(`bundle   JS + CSS ${kb(gzipped)} gzipped (${kb(raw)} raw); budget ${kb(BUDGET_BYTES)}: ${((gzipped / BUDGET_BYTES) * 100).toFixed(0)}% of it`);

/**
 * Uploads an export as the page does and waits until it is merged. The bench runs outside vitest, so
 * the tests' helpers (built on `vi.waitFor` and `expect`) are not used here.
 */
async function importExport(api: ReturnType<typeof apiClient>, token: string, bytes: Buffer): Promise<void> {
  const created = await api.route("POST /api/personal/vault/uploads", { token, body: { filename: "conversations.json", size: bytes.length } });
  if (created.status !== 201 || created.body.method !== "PUT") throw new Error(`could not start the upload: ${JSON.stringify(created.body)}`);
  const put = await fetch(created.body.url, { method: "PUT", headers: created.body.headers, body: bytes });
  if (!put.ok) throw new Error(`the store refused the export: HTTP ${put.status}`);
  for (const deadline = Date.now() + 120_000; Date.now() < deadline; await sleep(200)) {
    const { body: upload } = await api.route("GET /api/personal/vault/upload/{upload_id}", { token, params: { upload_id: created.body.upload_id } });
    if (upload.status === "complete") return;
    if (upload.status === "failed") throw new Error(`the upload failed: ${upload.error_message}`);
  }
  throw new Error("the upload was not merged within 120 s");
}

const stack = await startTestStack();
const browser = await launchChromium();
try {
  const api = apiClient(stack.apiUrl);
  const email = uniqueEmail("bench-web");
  const { body } = await api.signUp(email);
  await importExport(api, body.token, chatgptExport(conversations("bench", 20)));
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.addCookies([{ name: "session_id", value: body.token, url: stack.apiUrl }]);
  const page = await context.newPage();

  const render: number[] = [];
  const fetches: number[] = [];
  for (let run = 0; run < runs + 1; run++) {
    await page.goto(stack.apiUrl);
    await page.waitForFunction(`document.querySelector('[data-testid="stat-memories"]')?.textContent === "60" && document.querySelector('[data-testid="stat-synced"]')?.textContent.trim() !== "Never"`);
    const shown = await page.evaluate<number>("performance.now()");
    const floor = await page.evaluate<number>(`(async () => {
      const started = performance.now();
      await Promise.all(["/api/personal/me", "/api/personal/vault/status", "/api/personal/usage"].map((route) => fetch(route).then((answer) => answer.json())));
      return performance.now() - started;
    })()`);
    if (run === 0) continue; // the first load warms the handlers and the browser's cache of the app
    render.push(shown);
    fetches.push(floor);
  }
  const rendered = median(render);
  console.log(
    `render   vault screen with its figures ${rendered.toFixed(0)} ms after navigation (median of ${runs}); budget ${RENDER_BUDGET_MS} ms; ` +
      `baseline: fetching its three answers ${median(fetches).toFixed(0)} ms (${(rendered / median(fetches)).toFixed(1)}×)`,
  );
  await context.close();
} finally {
  await browser.close();
  await stack.cleanup();
}
