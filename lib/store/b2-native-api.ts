/**
 * The few calls of Backblaze B2's native API (https://www.backblaze.com/apidocs) that set up a vault
 * bucket: rules and keys are not part of B2's S3-compatible API (event notifications and scoped keys
 * exist only natively). Authorize once with an application key, then call the account's API URL with
 * the token it answered.
 */

export class B2ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "B2ApiError";
  }
}

export interface B2CorsRule {
  corsRuleName: string;
  allowedOrigins: string[];
  allowedOperations: string[];
  allowedHeaders?: string[];
  exposeHeaders?: string[];
  maxAgeSeconds: number;
}

export interface B2LifecycleRule {
  fileNamePrefix: string;
  daysFromUploadingToHiding: number | null;
  daysFromHidingToDeleting: number | null;
  daysFromStartingToCancelingUnfinishedLargeFiles?: number | null;
}

export interface B2NotificationRule {
  name: string;
  eventTypes: string[];
  isEnabled: boolean;
  objectNamePrefix: string;
  targetConfiguration: { targetType: "webhook"; url: string; hmacSha256SigningSecret?: string; customHeaders?: { name: string; value: string }[] | null };
}

export interface B2Bucket {
  bucketId: string;
  bucketName: string;
  corsRules: B2CorsRule[];
  lifecycleRules: B2LifecycleRule[];
  revision: number;
}

export interface B2Session {
  accountId: string;
  apiUrl: string;
  /** The S3-compatible endpoint of the account's region, e.g. `https://s3.us-west-004.backblazeb2.com`. */
  s3ApiUrl: string;
  /** A call by name: POST with a JSON body, or GET with the fields as query parameters where B2 documents GET. */
  call<T>(name: string, body: Record<string, unknown>, method?: "POST" | "GET"): Promise<T>;
}

/** Where B2's native API starts; every account is then sent to its own API URL. */
export const B2_API_BASE = "https://api.backblazeb2.com";

async function answer<T>(response: Response): Promise<T> {
  const text = await response.text();
  let body: any;
  try {
    body = text ? JSON.parse(text) : {};
  } catch {
    throw new B2ApiError(response.status, "bad_response", `B2 answered ${response.status} with something that is not JSON.`);
  }
  if (!response.ok) throw new B2ApiError(response.status, String(body.code ?? "error"), String(body.message ?? `B2 answered ${response.status}.`));
  return body as T;
}

/**
 * `b2_authorize_account` (v3) with an application key; the session calls the account's API URL.
 */
export async function authorizeB2(options: { keyId: string; key: string; apiBase?: string; fetch?: typeof fetch }): Promise<B2Session> {
  const send = options.fetch ?? fetch;
  const authorized = await answer<{ accountId: string; authorizationToken: string; apiInfo: { storageApi: { apiUrl: string; s3ApiUrl: string } } }>(
    await send(`${options.apiBase ?? B2_API_BASE}/b2api/v3/b2_authorize_account`, {
      headers: { authorization: `Basic ${Buffer.from(`${options.keyId}:${options.key}`).toString("base64")}` },
    }),
  );
  const { apiUrl, s3ApiUrl } = authorized.apiInfo.storageApi;
  return {
    accountId: authorized.accountId,
    apiUrl,
    s3ApiUrl,
    async call<T>(name: string, body: Record<string, unknown>, method: "POST" | "GET" = "POST"): Promise<T> {
      const url = new URL(`${apiUrl}/b2api/v3/${name}`);
      if (method === "GET") for (const [key, value] of Object.entries(body)) url.searchParams.set(key, String(value));
      return answer<T>(
        await send(url, {
          method,
          headers: { authorization: authorized.authorizationToken, ...(method === "POST" ? { "content-type": "application/json" } : {}) },
          ...(method === "POST" ? { body: JSON.stringify(body) } : {}),
        }),
      );
    },
  };
}
