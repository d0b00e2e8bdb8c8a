import fc from "fast-check";
import Stripe from "stripe";
import { beforeAll, describe, expect, it } from "vitest";
import { routes, type RouteDefinition } from "../../functions/manifest";
import { getConfig } from "../../lib/config";
import { signB2Body } from "../../lib/webhooks/b2-signature";
import { useTestStack } from "../support/stack";
import { authorizationMatrix, type MatrixRequest } from "./authorization-matrix";
import { requestFrom, type Answer } from "./support/from-address";
import { createMatrixFixture, type MatrixFixture } from "./support/matrix-fixture";

/**
 * One property for every route of the manifest: whatever arrives — random JSON, the route's own body
 * with fields swapped for oversize, mistyped, control-character or prototype-polluting values, bytes
 * that are not JSON or not UTF-8, odd content types, hostile path and query values — the answer is
 * never a 500, always `{error, message}` when it is an error, and never carries a stack trace.
 */
const ctx = useTestStack({ consumers: false });
let fixture: MatrixFixture;
let ownerToken: string;
const baselines = new Map<string, MatrixRequest>();

beforeAll(async () => {
  fixture = await createMatrixFixture(ctx.stack.apiUrl, ctx.db);
  ownerToken = (await fixture.tokenFor("owner"))!;
  for (const route of routes) baselines.set(key(route), (await authorizationMatrix[key(route)]?.request?.(fixture)) ?? {});
}, 120_000);

const key = (route: RouteDefinition) => `${route.method} ${route.path}`;
const RUNS = Number(process.env.HOSTILE_RUNS ?? 40);

/** Any UTF-16 code unit: control characters, NUL and lone surrogates included. */
const anyText = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)), maxLength: 64 });
const nasty = fc.constantFrom(
  "",
  "\u0000",
  "\ud800",
  "abc\udfff",
  "\u202e\u0007\u001b[2J",
  "x".repeat(100_000),
  "../../../../etc/passwd",
  "users/00000000-0000-0000-0000-000000000000/vault.json",
  "%00%zz",
  "' OR 1=1; --",
  "<script>alert(1)</script>",
  "{{constructor.constructor('return process')()}}",
);
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  anyText,
  nasty,
  fc.integer(),
  fc.double(),
  fc.constantFrom(1e308, -1, -0, 2 ** 53 + 2, Number.MAX_SAFE_INTEGER),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.jsonValue(), { maxLength: 5 }),
  fc.dictionary(anyText, fc.jsonValue(), { maxKeys: 5 }),
);

/** JSON text of an object whose own keys include the ones that poison prototypes if merged naively. */
function withPrototypeKeys(base: Record<string, unknown>, value: unknown): string {
  const poison = JSON.stringify({ polluted: value });
  const rest = JSON.stringify(base).slice(1, -1);
  return `{"__proto__":${poison},"constructor":{"prototype":${poison}}${rest ? `,${rest}` : ""}}`;
}

type Sent = { body: Buffer | string | undefined; contentType: string };

function hostileBodies(baseline: unknown): fc.Arbitrary<Sent> {
  const base = baseline && typeof baseline === "object" && !Array.isArray(baseline) ? (baseline as Record<string, unknown>) : {};
  const json = (text: string) => ({ body: text, contentType: "application/json" });
  return fc.oneof(
    fc.jsonValue().map((value) => json(JSON.stringify(value))),
    {
      weight: 3,
      arbitrary: fc
        .tuple(fc.subarray(Object.keys(base)), fc.array(hostileValue, { minLength: 1, maxLength: 4 }), fc.dictionary(anyText, hostileValue, { maxKeys: 3 }))
        .map(([keys, values, extra]) => json(JSON.stringify({ ...base, ...Object.fromEntries(keys.map((name, i) => [name, values[i % values.length]])), ...extra }))),
    },
    hostileValue.map((value) => json(withPrototypeKeys(base, value))),
    // Lone surrogates and NUL written as JSON escapes (how they reach a server), at either end of one
    // of the body's own string values, so the rest of the body still passes validation.
    { weight: 3, arbitrary: fc.tuple(fc.constantFrom("\\ud800", "\\udfff", "\\u0000"), fc.nat(), fc.boolean()).map(([escape, pick, atStart]) => json(injectEscape(base, escape, pick, atStart))) },
    anyText.map((text) => json(text)),
    fc.uint8Array({ maxLength: 256 }).map((bytes) => ({ body: Buffer.from(bytes), contentType: "application/json" })),
    fc.constantFrom("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/json; charset=latin1", "").map((contentType) => ({
      body: JSON.stringify(base),
      contentType,
    })),
  );
}

/** The body's JSON with `escape` written into its `pick`-th string value (keys left alone). */
function injectEscape(base: Record<string, unknown>, escape: string, pick: number, atStart: boolean): string {
  const text = JSON.stringify(base);
  const values = [...text.matchAll(/"((?:[^"\\]|\\.)*)"(?=[,}\]])/g)];
  if (values.length === 0) return text;
  const target = values[pick % values.length]!;
  const inner = atStart ? `${escape}${target[1]}` : `${target[1]}${escape}`;
  return `${text.slice(0, target.index)}"${inner}"${text.slice(target.index! + target[0].length)}`;
}

function hostilePathValue(): fc.Arbitrary<string> {
  // encodeURIComponent refuses lone surrogates; the raw escapes below stand for those.
  return fc.oneof(anyText.map((text) => encodeURIComponent(text.replace(/[\ud800-\udfff]/g, "?"))), fc.constantFrom("%zz", "%E0%A4%A", "..%2F..%2Fvault.json", "%00", "0".repeat(5000), "00000000-0000-0000-0000-000000000000"));
}

function signFor(route: RouteDefinition, body: Buffer | string | undefined): Record<string, string> {
  const bytes = body ?? "";
  if (route.path === "/webhooks/b2") return { "x-bz-event-notification-signature": signB2Body(bytes, getConfig().webhooks.b2Secret) };
  if (route.path === "/webhooks/stripe") {
    return { "stripe-signature": Stripe.webhooks.generateTestHeaderString({ payload: bytes.toString(), secret: getConfig().stripe.webhookSecret! }) };
  }
  return {};
}

async function send(route: RouteDefinition, path: string, sent: Sent, signed: boolean): Promise<Answer> {
  const headers: Record<string, string> = { ...(sent.contentType ? { "content-type": sent.contentType } : {}), ...(signed ? signFor(route, sent.body) : {}) };
  return requestFrom(ctx.stack.apiUrl, "127.0.2.1", route.method, path, { body: sent.body, token: ownerToken, headers });
}

function expectComposed(answer: Answer, what: string): void {
  expect(answer.status, `${what} → ${answer.status} ${answer.text.slice(0, 300)}`).not.toBe(500);
  expect(answer.text, what).not.toMatch(/\n\s+at |node_modules|\.ts:\d+|internal_error/);
  if (answer.status >= 400) expect(answer.body, `${what}: ${answer.text.slice(0, 300)}`).toEqual({ error: expect.any(String), message: expect.any(String) });
}

function pathOf(route: RouteDefinition, baseline: MatrixRequest, override?: Record<string, string>, query?: string): string {
  const filled = route.path.replace(/\{(\w+)\}/g, (_, name: string) => override?.[name] ?? encodeURIComponent(baseline.params?.[name] ?? "x"));
  const search = query ?? (baseline.query ? `?${new URLSearchParams(baseline.query)}` : "");
  return filled + search;
}

describe.each(routes.map((route) => [key(route), route] as const))("%s", (_name, route) => {
  if (route.method !== "GET") {
    it("answers any body without a 500 or a stack trace", async () => {
      const baseline = baselines.get(key(route))!;
      await fc.assert(
        fc.asyncProperty(hostileBodies(baseline.body), fc.boolean(), async (sent, signed) => {
          expectComposed(await send(route, pathOf(route, baseline), sent, signed), `${key(route)} body ${String(sent.body).slice(0, 120)}`);
        }),
        { numRuns: RUNS },
      );
      // Log-in and sign-up hash a password per request: 40 of them on a loaded 2-core machine take a while.
    }, 180_000);
  }

  if (route.path.includes("{")) {
    it("answers any path parameter without a 500 or a stack trace", async () => {
      const baseline = baselines.get(key(route))!;
      const names = [...route.path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]!);
      await fc.assert(
        fc.asyncProperty(fc.array(hostilePathValue(), { minLength: names.length, maxLength: names.length }), async (values) => {
          const path = pathOf(route, baseline, Object.fromEntries(names.map((name, i) => [name, values[i]!])));
          const body = baseline.body === undefined ? undefined : JSON.stringify(baseline.body);
          expectComposed(await send(route, path, { body, contentType: body ? "application/json" : "" }, false), `${key(route)} ${path.slice(0, 200)}`);
        }),
        { numRuns: RUNS },
      );
    });
  }

  if (route.method === "GET") {
    it("answers any query string without a 500 or a stack trace", async () => {
      const baseline = baselines.get(key(route))!;
      const names = [...Object.keys(baseline.query ?? {}), "k", "q", "from", "to", "__proto__"];
      await fc.assert(
        fc.asyncProperty(fc.dictionary(fc.constantFrom(...names), hostilePathValue(), { minKeys: 1, maxKeys: 4 }), async (query) => {
          const search = `?${Object.entries(query).map(([name, value]) => `${name}=${value}`).join("&")}`;
          const path = pathOf(route, baseline, undefined, search);
          expectComposed(await send(route, path, { body: undefined, contentType: "" }, false), `${key(route)} ${path.slice(0, 200)}`);
        }),
        { numRuns: RUNS },
      );
    });
  }
});

it("leaves Object.prototype untouched after all of that", () => {
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
});
