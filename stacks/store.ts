import type { DeploySettings } from "./deploy-settings";
import type { Queues } from "./queues";

/**
 * With `STORE_PROVIDER=s3` the vault bucket is the stack's: browsers PUT to it from the web app's origin
 * (ETag exposed for multipart completion), and every object created under `users/` is announced on the
 * ingest queue by S3 itself (https://docs.aws.amazon.com/AmazonS3/latest/userguide/ways-to-add-notification-config-to-bucket.html).
 * Functions are linked to it (permissions) and get its name as STORE_BUCKET. With B2 there is nothing to
 * create: `npx vault b2 setup` configures the B2 bucket.
 */
export function createVaultBucket(deploy: DeploySettings, queues: Queues, webOrigin: $util.Input<string>) {
  if (deploy.storeProvider !== "s3") return undefined;
  const bucket = new sst.aws.Bucket("VaultBucket", {
    cors: { allowOrigins: [webOrigin], allowMethods: ["PUT", "GET", "HEAD"], allowHeaders: ["*"], exposeHeaders: ["ETag"], maxAge: "1 hour" },
  });
  bucket.notify({
    notifications: [{ name: "IngestQueue", queue: queues.queues.ingest, events: ["s3:ObjectCreated:*"], filterPrefix: "users/" }],
  });
  // Parts of uploads nobody completed cost storage until aborted.
  new aws.s3.BucketLifecycleConfiguration("VaultBucketLifecycle", {
    bucket: bucket.name,
    rules: [{ id: "abort-unfinished-uploads", status: "Enabled", filter: { prefix: "users/" }, abortIncompleteMultipartUpload: { daysAfterInitiation: 2 } }],
  });
  return bucket;
}
