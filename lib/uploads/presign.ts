import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import type { Store } from "../store/client";

/** S3 and B2: parts of 5 MB to 5 GB, at most 10,000 of them. */
const MAX_PARTS = 10_000;

export const PUT_URL_SECONDS = 15 * 60;
export const PART_URL_SECONDS = 6 * 60 * 60;

export interface PresignedPut {
  method: "PUT";
  url: string;
  headers: Record<string, string>;
  expires_at: string;
}

/**
 * A short-lived URL that accepts exactly one PUT of `size` bytes of `contentType` to `key`: both headers
 * are signed, so the store refuses any other length (SigV4 signs them into the URL's signature).
 */
export async function presignPut(store: Store, key: string, size: number, contentType: string): Promise<PresignedPut> {
  const url = await getSignedUrl(
    store.presignClient,
    new PutObjectCommand({ Bucket: store.bucket, Key: key, ContentType: contentType, ContentLength: size }),
    { expiresIn: PUT_URL_SECONDS, signableHeaders: new Set(["content-type", "content-length"]) },
  );
  return { method: "PUT", url, headers: { "content-type": contentType }, expires_at: new Date(Date.now() + PUT_URL_SECONDS * 1000).toISOString() };
}

/** The preferred part size, grown in whole MiB when the file would otherwise need more than 10,000 parts. */
export function partSizeFor(size: number, preferred: number): number {
  return Math.max(preferred, Math.ceil(size / MAX_PARTS / (1024 * 1024)) * 1024 * 1024);
}

export interface MultipartPlan {
  method: "multipart";
  multipart_id: string;
  part_size: number;
  parts: Array<{ part_number: number; size: number; url: string }>;
  expires_at: string;
}

/** Starts a multipart upload and presigns one PUT per part, each for that part's exact length. */
export async function presignMultipart(store: Store, key: string, size: number, contentType: string, preferredPartSize: number): Promise<MultipartPlan> {
  const created = await store.client.send(new CreateMultipartUploadCommand({ Bucket: store.bucket, Key: key, ContentType: contentType }));
  const multipartId = created.UploadId!;
  const partSize = partSizeFor(size, preferredPartSize);
  const count = Math.ceil(size / partSize);
  const parts = await Promise.all(
    Array.from({ length: count }, async (_, index) => {
      const partSizeHere = Math.min(partSize, size - index * partSize);
      const url = await getSignedUrl(
        store.presignClient,
        new UploadPartCommand({ Bucket: store.bucket, Key: key, UploadId: multipartId, PartNumber: index + 1, ContentLength: partSizeHere }),
        { expiresIn: PART_URL_SECONDS, signableHeaders: new Set(["content-length"]) },
      );
      return { part_number: index + 1, size: partSizeHere, url };
    }),
  );
  return { method: "multipart", multipart_id: multipartId, part_size: partSize, parts, expires_at: new Date(Date.now() + PART_URL_SECONDS * 1000).toISOString() };
}

export async function completeMultipart(store: Store, key: string, multipartId: string, parts: Array<{ part_number: number; etag: string }>): Promise<void> {
  await store.client.send(
    new CompleteMultipartUploadCommand({
      Bucket: store.bucket,
      Key: key,
      UploadId: multipartId,
      MultipartUpload: { Parts: [...parts].sort((a, b) => a.part_number - b.part_number).map((part) => ({ PartNumber: part.part_number, ETag: part.etag })) },
    }),
  );
}

export async function abortMultipart(store: Store, key: string, multipartId: string): Promise<void> {
  await store.client.send(new AbortMultipartUploadCommand({ Bucket: store.bucket, Key: key, UploadId: multipartId }));
}
