import { GetObjectCommand, HeadObjectCommand, NoSuchKey, NotFound, PutObjectCommand } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import type { Store } from "./client";

/** Writes a JSON document (pretty enough to read in a bucket browser). */
export async function putJson(store: Store, key: string, value: unknown): Promise<void> {
  await store.client.send(
    new PutObjectCommand({
      Bucket: store.bucket,
      Key: key,
      Body: JSON.stringify(value, null, 2),
      ContentType: "application/json",
    }),
  );
}

/** Reads a JSON document, or `undefined` if there is no such object. */
export async function getJson<T = unknown>(store: Store, key: string): Promise<T | undefined> {
  try {
    const answer = await store.client.send(new GetObjectCommand({ Bucket: store.bucket, Key: key }));
    const text = await answer.Body!.transformToString("utf8");
    return JSON.parse(text) as T;
  } catch (error) {
    if (isMissingObject(error)) return undefined;
    throw error;
  }
}

export async function headObject(store: Store, key: string): Promise<{ size: number; etag: string | undefined } | undefined> {
  try {
    const answer = await store.client.send(new HeadObjectCommand({ Bucket: store.bucket, Key: key }));
    return { size: answer.ContentLength ?? 0, etag: answer.ETag };
  } catch (error) {
    if (isMissingObject(error)) return undefined;
    throw error;
  }
}

export function isMissingObject(error: unknown): boolean {
  if (error instanceof NoSuchKey || error instanceof NotFound) return true;
  const status = (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
  return status === 404;
}

/**
 * A URL that reads `key` for `seconds`, signed for this function's own endpoint (not the browsers' one):
 * for code that reads the store without the SDK, a worker thread with `fetch`
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/ShareObjectPreSignedURL.html).
 */
export async function presignGet(store: Store, key: string, seconds: number): Promise<string> {
  return getSignedUrl(store.client, new GetObjectCommand({ Bucket: store.bucket, Key: key }), { expiresIn: seconds });
}
