import http from "node:http";
import { describe, expect, it } from "vitest";
import { uniqueEmail } from "../support/api";
import { useTestStack } from "../support/stack";

const ctx = useTestStack({ consumers: false });

async function signedIn() {
  const { body } = await ctx.api.signUp(uniqueEmail("hostile"));
  return body as { token: string; user_id: string };
}

/** A raw request, for what fetch refuses to send (malformed paths, oversize bodies, raw bytes). */
function raw(method: string, path: string, headers: Record<string, string>, body?: Buffer | (() => AsyncIterable<Buffer>)) {
  const url = new URL(ctx.stack.apiUrl);
  return new Promise<{ status: number; body: any }>((resolve, reject) => {
    const request = http.request({ host: "127.0.0.1", port: url.port, method, path, headers, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let parsed: any = text;
        try {
          parsed = JSON.parse(text);
        } catch {
          // keep text
        }
        resolve({ status: response.statusCode ?? 0, body: parsed });
      });
    });
    request.on("error", reject);
    if (typeof body === "function") {
      void (async () => {
        try {
          for await (const chunk of body()) if (!request.write(chunk)) await new Promise((r) => request.once("drain", r));
          request.end();
        } catch {
          // the server may stop reading once it has answered
        }
      })();
    } else request.end(body);
  });
}

const anError = { error: expect.any(String), message: expect.any(String) };

describe("inputs that used to answer 500", () => {
  it("refuses a file name with a NUL byte with 400", async () => {
    const { token } = await signedIn();

    const answer = await ctx.api.call("POST", "/api/personal/vault/uploads", { token, body: { filename: "conversations\u0000.json", size: 10 } });

    expect(answer.status).toBe(400);
    expect(answer.body).toEqual(anError);
  });

  it("treats a session cookie with a malformed %-escape as no session (401)", async () => {
    const answer = await ctx.api.call("GET", "/api/personal/me", { cookie: "session_id=%E0%A4%A" });

    expect(answer.status).toBe(401);
    expect(answer.body).toEqual(anError);
  });

  it("answers a malformed %-escape in the path with 400", async () => {
    const { token } = await signedIn();

    const api = await raw("GET", "/api/personal/vault/upload/%zz", { authorization: `Bearer ${token}` });
    const page = await raw("GET", "/%E0%A4%A", {});

    expect(api).toEqual({ status: 400, body: anError });
    expect(page.status).toBe(400);
  });

  it("answers a body over the gateway's 10 MB limit with 413, announced or not", async () => {
    const big = Buffer.alloc(11 * 1024 * 1024, 0x20);

    const announced = await raw("POST", "/api/personal/auth/login", { "content-type": "application/json", "content-length": String(big.length) }, big);
    const chunked = await raw("POST", "/api/personal/auth/login", { "content-type": "application/json", "transfer-encoding": "chunked" }, async function* () {
      for (let i = 0; i < 11; i += 1) yield Buffer.alloc(1024 * 1024, 0x20);
    });

    expect(announced).toEqual({ status: 413, body: anError });
    expect(chunked).toEqual({ status: 413, body: anError });
  });

  it("refuses a password with a lone surrogate at sign-up and at log-in", async () => {
    const email = uniqueEmail("surrogate");
    const signUp = await ctx.api.call("POST", "/api/personal/auth/signup", { body: `{"email":"${email}","password":"abcdefgh\\ud800"}` });
    await ctx.api.signUp(email, "abcdefgh\ufffd");

    const logIn = await ctx.api.call("POST", "/api/personal/auth/login", { body: `{"email":"${email}","password":"abcdefgh\\udfff"}` });

    expect(signUp.status).toBe(400);
    expect(logIn.status).toBe(400);
    expect(logIn.body).toEqual(anError);
  });

  it("refuses a body that is not UTF-8 with 400", async () => {
    const bytes = Buffer.concat([Buffer.from('{"email":"a@example.com","password":"abcdefgh'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]);

    const answer = await raw("POST", "/api/personal/auth/login", { "content-type": "application/json" }, bytes);

    expect(answer).toEqual({ status: 400, body: anError });
  });
});

describe("cookie-authenticated writes", () => {
  it("refuses a JSON body sent as text/plain (what a cross-site form can send) with 415", async () => {
    const { token } = await signedIn();

    const answer = await ctx.api.call("POST", "/api/personal/vault/uploads", {
      cookie: `session_id=${token}`,
      headers: { "content-type": "text/plain" },
      body: JSON.stringify({ filename: "conversations.json", size: 10 }),
    });

    expect(answer.status).toBe(415);
    expect(answer.body).toEqual(anError);
  });

  it("refuses a write whose Origin is another site with 403, and accepts the page's own origin", async () => {
    const { token } = await signedIn();
    const send = (origin: string) =>
      ctx.api.call("POST", "/api/personal/vault/uploads", { cookie: `session_id=${token}`, headers: { origin }, body: { filename: "conversations.json", size: 10 } });

    const foreign = await send("https://evil.example");
    const own = await send(new URL(ctx.stack.apiUrl).origin);

    expect(foreign.status).toBe(403);
    expect(foreign.body).toEqual(anError);
    expect(own.status).toBe(201);
  });

  it("refuses a cross-site log-out and cancel, which carry no body", async () => {
    const { token } = await signedIn();
    const upload = await ctx.api.call("POST", "/api/personal/vault/uploads", { token, body: { filename: "conversations.json", size: 10 } });
    const headers = { origin: "https://evil.example" };

    const cancel = await ctx.api.call("DELETE", `/api/personal/vault/uploads/${upload.body.upload_id}`, { cookie: `session_id=${token}`, headers });
    const logOut = await ctx.api.call("POST", "/api/personal/auth/logout", { cookie: `session_id=${token}`, headers });

    expect(cancel.status).toBe(403);
    expect(logOut.status).toBe(403);
    expect((await ctx.api.me(token)).status).toBe(200);
  });
});
