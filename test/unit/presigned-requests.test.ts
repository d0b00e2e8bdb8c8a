import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client, UploadPartCommand } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { describe, expect, it } from "vitest";
import { checkPresignedRequest } from "../../local/presigned-requests";

const credentials = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" };
// As lib/store/client.ts makes them: no default checksums (B2 refuses them).
const clientOptions = { region: "us-west-004", endpoint: "http://localhost:4301", forcePathStyle: true, requestChecksumCalculation: "WHEN_REQUIRED", responseChecksumValidation: "WHEN_REQUIRED" } as const;
const client = new S3Client({ ...clientOptions, credentials });
const host = "localhost:4301";

/** The request a browser makes with a presigned URL: its path and query as sent, Host, and the headers it adds. */
function asReceived(url: string, method: string, headers: Record<string, string> = {}) {
  const parsed = new URL(url);
  return { method, url: parsed.pathname + parsed.search, headers: { host, ...headers } };
}

describe("presigned request check", () => {
  it("passes URLs as the AWS SDK signs them: a PUT with its length, a part of a multipart upload, a GET", async () => {
    const put = await getSignedUrl(client, new PutObjectCommand({ Bucket: "b", Key: "users/u/uploads/x/My export (1).json", ContentLength: 5, ContentType: "application/json" }), {
      expiresIn: 900,
      signableHeaders: new Set(["content-type", "content-length"]),
    });
    const part = await getSignedUrl(client, new UploadPartCommand({ Bucket: "b", Key: "users/u/uploads/x/é.zip", UploadId: "abc/def+=", PartNumber: 3, ContentLength: 7 }), {
      expiresIn: 900,
      signableHeaders: new Set(["content-length"]),
    });
    const get = await getSignedUrl(client, new GetObjectCommand({ Bucket: "b", Key: "users/u/vault.json" }), { expiresIn: 60 });

    expect(checkPresignedRequest(asReceived(put, "PUT", { "content-length": "5", "content-type": "application/json" }), credentials)).toBeUndefined();
    expect(checkPresignedRequest(asReceived(part, "PUT", { "content-length": "7" }), credentials)).toBeUndefined();
    expect(checkPresignedRequest(asReceived(get, "GET"), credentials)).toBeUndefined();
  });

  it("refuses any change to what was signed: key, part number, method, length, content type, host", async () => {
    const part = await getSignedUrl(client, new UploadPartCommand({ Bucket: "b", Key: "users/u/uploads/x/a.zip", UploadId: "up", PartNumber: 1, ContentLength: 7 }), {
      expiresIn: 900,
      signableHeaders: new Set(["content-length"]),
    });
    const put = await getSignedUrl(client, new PutObjectCommand({ Bucket: "b", Key: "users/u/uploads/x/a.zip", ContentLength: 7, ContentType: "application/zip" }), {
      expiresIn: 900,
      signableHeaders: new Set(["content-length", "content-type"]),
    });
    const ok = { "content-length": "7", "content-type": "application/zip" };
    const refused = (url: string, method: string, headers: Record<string, string>) => checkPresignedRequest(asReceived(url, method, headers), credentials)?.code;

    expect(refused(part, "PUT", ok)).toBeUndefined();
    expect(refused(put, "PUT", ok)).toBeUndefined();
    expect(refused(part.replace("/a.zip", "/b.zip"), "PUT", ok)).toBe("SignatureDoesNotMatch");
    expect(refused(part.replace("/users/u/", "/users/v/"), "PUT", ok)).toBe("SignatureDoesNotMatch");
    expect(refused(part.replace("partNumber=1", "partNumber=2"), "PUT", ok)).toBe("SignatureDoesNotMatch");
    expect(refused(`${part}&x-id=DeleteObject`, "PUT", ok)).toBe("SignatureDoesNotMatch");
    expect(refused(part, "POST", ok)).toBe("SignatureDoesNotMatch");
    expect(refused(part, "PUT", { ...ok, "content-length": "8" })).toBe("SignatureDoesNotMatch");
    expect(refused(put, "PUT", { ...ok, "content-type": "text/html" })).toBe("SignatureDoesNotMatch");
    expect(checkPresignedRequest({ ...asReceived(part, "PUT", ok), headers: { ...ok, host: "evil.example" } }, credentials)?.code).toBe("SignatureDoesNotMatch");
  });

  it("refuses an expired URL, another access key, a forged signature, and none at all", async () => {
    const signed = (options: { signingDate?: Date; expiresIn: number }, keys = credentials) =>
      getSignedUrl(new S3Client({ ...clientOptions, credentials: keys }), new GetObjectCommand({ Bucket: "b", Key: "k" }), options);
    const now = new Date("2026-06-01T12:00:00Z");

    const expired = await signed({ signingDate: new Date("2026-06-01T11:00:00Z"), expiresIn: 3599 });
    const fresh = await signed({ signingDate: new Date("2026-06-01T11:00:00Z"), expiresIn: 3601 });
    const otherKey = await signed({ expiresIn: 60 }, { accessKeyId: "someone-else", secretAccessKey: "x" });
    const wrongSecret = await signed({ expiresIn: 60 }, { accessKeyId: credentials.accessKeyId, secretAccessKey: "guessed" });

    expect(checkPresignedRequest(asReceived(expired, "GET"), credentials, now)).toEqual({ code: "AccessDenied", message: "Request has expired." });
    expect(checkPresignedRequest(asReceived(fresh, "GET"), credentials, now)).toBeUndefined();
    expect(checkPresignedRequest(asReceived(otherKey, "GET"), credentials)?.code).toBe("AccessDenied");
    expect(checkPresignedRequest(asReceived(wrongSecret, "GET"), credentials)?.code).toBe("SignatureDoesNotMatch");
    expect(checkPresignedRequest(asReceived("http://localhost:4301/b/k", "GET"), credentials)?.code).toBe("AccessDenied");
    expect(checkPresignedRequest(asReceived("http://localhost:4301/b/k?X-Amz-Signature=%zz", "GET"), credentials)?.code).toBe("AuthorizationQueryParametersError");
  });

  it("refuses an upload whose URL does not sign its length", async () => {
    const put = await getSignedUrl(client, new PutObjectCommand({ Bucket: "b", Key: "k" }), { expiresIn: 60 });

    expect(checkPresignedRequest(asReceived(put, "PUT", { "content-length": "3" }), credentials)?.code).toBe("AccessDenied");
  });
});

describe("header-signed request check", () => {
  /** The request the SDK would send, signed with `keys`, captured instead of sent. */
  async function signedBySdk(command: GetObjectCommand | PutObjectCommand | ListObjectsV2Command, keys = credentials) {
    let captured: { method: string; path: string; query: Record<string, string | string[] | null>; headers: Record<string, string> } | undefined;
    const capturing = new S3Client({
      ...clientOptions,
      credentials: keys,
      requestHandler: {
        handle: async (request: typeof captured) => {
          captured = request;
          throw new Error("captured");
        },
      },
    });
    await capturing.send(command as GetObjectCommand).catch(() => undefined);
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(captured!.query ?? {})) for (const one of [value].flat()) search.append(name, one ?? "");
    const query = search.toString().replaceAll("+", "%20");
    return { method: captured!.method, url: captured!.path + (query ? `?${query}` : ""), headers: Object.fromEntries(Object.entries(captured!.headers).map(([k, v]) => [k.toLowerCase(), v])) };
  }

  it("passes the SDK's own requests: a GET, a PUT with a body, a listing with a query", async () => {
    expect(checkPresignedRequest(await signedBySdk(new GetObjectCommand({ Bucket: "b", Key: "users/u/vault.json" })), credentials)).toBeUndefined();
    expect(checkPresignedRequest(await signedBySdk(new PutObjectCommand({ Bucket: "b", Key: "users/u/é (1).json", Body: "hello" })), credentials)).toBeUndefined();
    expect(checkPresignedRequest(await signedBySdk(new ListObjectsV2Command({ Bucket: "b", Prefix: "users/u/", MaxKeys: 5 })), credentials)).toBeUndefined();
  });

  it("refuses other keys, an edited path or query, a stale date, and a header that is not SigV4", async () => {
    const get = await signedBySdk(new GetObjectCommand({ Bucket: "b", Key: "users/u/vault.json" }));
    const otherSecret = await signedBySdk(new GetObjectCommand({ Bucket: "b", Key: "users/u/vault.json" }), { ...credentials, secretAccessKey: "not-the-secret" });
    const otherKey = await signedBySdk(new GetObjectCommand({ Bucket: "b", Key: "users/u/vault.json" }), { ...credentials, accessKeyId: "SOMEONEELSE" });

    expect(checkPresignedRequest(otherSecret, credentials)?.code).toBe("SignatureDoesNotMatch");
    expect(checkPresignedRequest(otherKey, credentials)?.code).toBe("AccessDenied");
    expect(checkPresignedRequest({ ...get, url: "/b/users/other/vault.json" }, credentials)?.code).toBe("SignatureDoesNotMatch");
    expect(checkPresignedRequest({ ...get, url: `${get.url}?x-id=ListObjects` }, credentials)?.code).toBe("SignatureDoesNotMatch");
    expect(checkPresignedRequest(get, credentials, new Date(Date.now() + 20 * 60_000))?.code).toBe("AccessDenied");
    expect(checkPresignedRequest({ ...get, headers: { ...get.headers, authorization: "Basic bG9jYWw6bG9jYWw=" } }, credentials)?.code).toBe("AccessDenied");
    const { authorization: _dropped, ...unsigned } = get.headers;
    expect(checkPresignedRequest({ ...get, headers: unsigned }, credentials)?.code).toBe("AccessDenied");
  });
});
