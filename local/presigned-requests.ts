import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";

/**
 * Checks a signed S3 request the way B2 and S3 do before touching anything (AWS Signature Version 4):
 * the signature over method, path, query and the signed headers, the credential, and the date. Either
 * form is accepted, as S3 accepts both: a presigned URL (query-string authentication, with its expiry),
 * as browsers use, or an `Authorization` header, as the SDK and the AWS CLI send with the stack's keys.
 * The path is part of what is signed, so a URL for one key cannot write another; `Content-Length`, when
 * signed, is the length of the body the server will read.
 *
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-auth-using-authorization-header.html
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html
 */
export interface PresignedRequest {
  method: string;
  /** Path and query exactly as received (still %-encoded). */
  url: string;
  headers: IncomingHttpHeaders;
}

export interface StoreCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/** Why a request is refused, as an S3 error code and message; `undefined` when it may pass. */
export type PresignRefusal = { code: "AccessDenied" | "SignatureDoesNotMatch" | "AuthorizationQueryParametersError"; message: string };

const ALGORITHM = "AWS4-HMAC-SHA256";
/** SigV4 presigned URLs live at most 7 days (S3 and B2 alike). */
const MAX_EXPIRES_SECONDS = 7 * 24 * 3600;
/** Clock skew tolerated for a signing date in the future, as S3 allows. */
const MAX_SKEW_SECONDS = 15 * 60;

export function checkPresignedRequest(request: PresignedRequest, credentials: StoreCredentials, now = new Date()): PresignRefusal | undefined {
  const [rawPath = "/", rawQuery = ""] = splitOnce(request.url, "?");
  const query = parseQuery(rawQuery);
  if (!query) return { code: "AuthorizationQueryParametersError", message: "The query string is malformed." };
  const get = (name: string) => query.find(([key]) => key === name)?.[1];

  const signature = get("X-Amz-Signature");
  if (!signature) {
    if (typeof request.headers.authorization === "string") return checkHeaderSignature(request, rawPath, query, credentials, now);
    return { code: "AccessDenied", message: "This port accepts signed requests only (a presigned URL or an Authorization header)." };
  }
  if (get("X-Amz-Algorithm") !== ALGORITHM) return { code: "AuthorizationQueryParametersError", message: `X-Amz-Algorithm must be ${ALGORITHM}.` };

  const credential = (get("X-Amz-Credential") ?? "").split("/");
  const [accessKeyId, scopeDate, region, service, terminator] = credential;
  if (credential.length !== 5 || service !== "s3" || terminator !== "aws4_request" || !region || !scopeDate) {
    return { code: "AuthorizationQueryParametersError", message: "X-Amz-Credential is malformed." };
  }
  if (accessKeyId !== credentials.accessKeyId) return { code: "AccessDenied", message: "The access key in the URL is not known here." };

  const amzDate = get("X-Amz-Date") ?? "";
  const signedAt = parseAmzDate(amzDate);
  const expires = Number(get("X-Amz-Expires"));
  if (!signedAt || amzDate.slice(0, 8) !== scopeDate) return { code: "AuthorizationQueryParametersError", message: "X-Amz-Date is malformed." };
  if (!Number.isInteger(expires) || expires < 1 || expires > MAX_EXPIRES_SECONDS) {
    return { code: "AuthorizationQueryParametersError", message: `X-Amz-Expires must be between 1 and ${MAX_EXPIRES_SECONDS} seconds.` };
  }
  const ageSeconds = (now.getTime() - signedAt.getTime()) / 1000;
  if (ageSeconds > expires) return { code: "AccessDenied", message: "Request has expired." };
  if (ageSeconds < -MAX_SKEW_SECONDS) return { code: "AccessDenied", message: "Request is not yet valid." };

  const signedHeaders = (get("X-Amz-SignedHeaders") ?? "").split(";").filter(Boolean);
  if (!signedHeaders.includes("host")) return { code: "AuthorizationQueryParametersError", message: "The host header must be signed." };
  // This deployment signs every upload's length (lib/uploads/presign.ts): an unsigned one was not made by it.
  if (request.method === "PUT" && !signedHeaders.includes("content-length")) {
    return { code: "AccessDenied", message: "Uploads must be signed for their length." };
  }

  const signed = { method: request.method, rawPath, query: query.filter(([key]) => key !== "X-Amz-Signature"), headers: request.headers, signedHeaders, payloadHash: "UNSIGNED-PAYLOAD" };
  if (!signatureMatches(signed, { amzDate, scopeDate, region, signature }, credentials)) {
    return { code: "SignatureDoesNotMatch", message: "The request signature does not match the URL, its headers or its length." };
  }
  return undefined;
}

/** `Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…` with `x-amz-date` and `x-amz-content-sha256`. */
function checkHeaderSignature(request: PresignedRequest, rawPath: string, query: Array<[string, string]>, credentials: StoreCredentials, now: Date): PresignRefusal | undefined {
  const malformed = { code: "AccessDenied", message: "The Authorization header is malformed." } as const;
  const header = String(request.headers.authorization);
  if (!header.startsWith(`${ALGORITHM} `)) return malformed;
  const fields = new Map<string, string>(
    header
      .slice(ALGORITHM.length + 1)
      .split(",")
      .map((part) => {
        const [name, value = ""] = splitOnce(part.trim(), "=");
        return [name, value];
      }),
  );
  const credential = (fields.get("Credential") ?? "").split("/");
  const [accessKeyId, scopeDate, region, service, terminator] = credential;
  const signedHeaders = (fields.get("SignedHeaders") ?? "").split(";").filter(Boolean);
  const signature = fields.get("Signature") ?? "";
  if (credential.length !== 5 || service !== "s3" || terminator !== "aws4_request" || !region || !scopeDate || !signedHeaders.includes("host")) return malformed;
  if (accessKeyId !== credentials.accessKeyId) return { code: "AccessDenied", message: "The access key in the request is not known here." };

  const amzDate = headerValue(request.headers, "x-amz-date");
  const signedAt = parseAmzDate(amzDate);
  if (!signedAt || amzDate.slice(0, 8) !== scopeDate) return { code: "AccessDenied", message: "x-amz-date is missing or malformed." };
  if (Math.abs(now.getTime() - signedAt.getTime()) > MAX_SKEW_SECONDS * 1000) return { code: "AccessDenied", message: "The request time is too far from the server's." };
  // S3 requires the payload's hash as a header; what the body then hashes to is the emulator's business.
  const payloadHash = headerValue(request.headers, "x-amz-content-sha256");
  if (!payloadHash) return { code: "AccessDenied", message: "x-amz-content-sha256 is missing." };

  if (!signatureMatches({ method: request.method, rawPath, query, headers: request.headers, signedHeaders, payloadHash }, { amzDate, scopeDate, region, signature }, credentials)) {
    return { code: "SignatureDoesNotMatch", message: "The request signature does not match its method, path, query or headers." };
  }
  return undefined;
}

interface CanonicalParts {
  method: string;
  rawPath: string;
  query: Array<[string, string]>;
  headers: IncomingHttpHeaders;
  signedHeaders: string[];
  payloadHash: string;
}

/** SigV4: the canonical request, the string to sign under the credential's scope, the HMAC chain; compared in constant time. */
function signatureMatches(parts: CanonicalParts, scope: { amzDate: string; scopeDate: string; region: string; signature: string }, credentials: StoreCredentials): boolean {
  const canonicalRequest = [
    parts.method,
    parts.rawPath,
    canonicalQuery(parts.query),
    ...parts.signedHeaders.map((name) => `${name}:${headerValue(parts.headers, name)}`),
    "",
    parts.signedHeaders.join(";"),
    parts.payloadHash,
  ].join("\n");
  const credentialScope = `${scope.scopeDate}/${scope.region}/s3/aws4_request`;
  const stringToSign = [ALGORITHM, scope.amzDate, credentialScope, sha256Hex(canonicalRequest)].join("\n");
  const expected = signingKey(credentials.secretAccessKey, scope.scopeDate, scope.region).update(stringToSign).digest();
  const given = Buffer.from(/^[0-9a-f]{64}$/.test(scope.signature) ? scope.signature : "", "hex");
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function signingKey(secret: string, date: string, region: string) {
  const hmac = (key: string | Buffer, data: string) => createHmac("sha256", key).update(data).digest();
  return createHmac("sha256", hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), "s3"), "aws4_request"));
}

function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** Decoded name/value pairs, or `undefined` if an escape is malformed. */
function parseQuery(raw: string): Array<[string, string]> | undefined {
  const pairs: Array<[string, string]> = [];
  for (const part of raw.split("&").filter(Boolean)) {
    const [name = "", value = ""] = splitOnce(part, "=");
    try {
      pairs.push([decodeURIComponent(name.replaceAll("+", " ")), decodeURIComponent(value.replaceAll("+", " "))]);
    } catch {
      return undefined;
    }
  }
  return pairs;
}

/** SigV4's canonical query: RFC 3986 encoding of each name and value, sorted by name, then value. */
function canonicalQuery(pairs: Array<[string, string]>): string {
  return pairs
    .map(([name, value]) => [uriEncode(name), uriEncode(value)] as const)
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join("&");
}

function uriEncode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** A header's value as SigV4 signs it: trimmed, inner runs of spaces collapsed, repeats joined by commas. */
function headerValue(headers: IncomingHttpHeaders, name: string): string {
  const value = headers[name];
  const joined = Array.isArray(value) ? value.join(",") : (value ?? "");
  return joined.trim().replace(/\s+/g, " ");
}

function parseAmzDate(value: string): Date | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s] = match.map(Number) as number[];
  return new Date(Date.UTC(y!, mo! - 1, d!, h!, mi!, s!));
}

function splitOnce(text: string, separator: string): [string, string?] {
  const at = text.indexOf(separator);
  return at < 0 ? [text] : [text.slice(0, at), text.slice(at + 1)];
}
