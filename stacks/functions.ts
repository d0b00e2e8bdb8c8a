import { DEFAULT_DB_POOL_SIZE, nodeOptions } from "../functions/manifest";

/**
 * What every function of the stack shares: the production switch, the store provider, Amazon's CA
 * certificates for TLS to RDS, the queues' URLs, the schema the database was migrated to, and links
 * (secrets, queues, the bucket) through which SST grants permissions and hands over secret values.
 */
export interface FunctionContext {
  environment: Record<string, $util.Input<string>>;
  link: unknown[];
}

/**
 * Lambda's Node.js 20+ runtimes no longer trust Amazon's private CAs (RDS's among them) unless told to
 * (https://docs.aws.amazon.com/lambda/latest/dg/lambda-nodejs.html#nodejs-certificate-loading).
 */
export const AMAZON_CA_CERTIFICATES = "/var/runtime/ca-cert.pem";

export interface FunctionSpec {
  handler: string;
  timeoutSeconds: number;
  memoryMb?: number;
  /** Disk at /tmp, MB. */
  tmpMb?: number;
  /**
   * Native addons SST installs into the function with npm instead of bundling them; the package must
   * carry prebuilt linux-x64 and linux-arm64 binaries, so the install downloads and compiles nothing.
   */
  nativePackages?: string[];
  /** Postgres connections one container may hold (`DATABASE_POOL_SIZE`); the manifest's default when absent. */
  dbPoolSize?: number;
  /** V8's young-generation semi-space, MiB (`NODE_OPTIONS`, functions/manifest.ts `nodeOptions`). */
  semiSpaceMb?: number;
}

/** The arguments of one function: its own handler, limits and pool size on top of the shared context. */
export function functionArgs(context: FunctionContext, spec: FunctionSpec): sst.aws.FunctionArgs {
  const options = nodeOptions(spec);
  return {
    handler: spec.handler,
    timeout: `${spec.timeoutSeconds} seconds`,
    ...(spec.memoryMb ? { memory: `${spec.memoryMb} MB` as const } : {}),
    ...(spec.tmpMb ? { storage: `${spec.tmpMb} MB` as const } : {}),
    ...(spec.nativePackages ? { nodejs: { install: spec.nativePackages } } : {}),
    environment: { ...context.environment, DATABASE_POOL_SIZE: String(spec.dbPoolSize ?? DEFAULT_DB_POOL_SIZE), ...(options && { NODE_OPTIONS: options }) },
    link: context.link as sst.aws.FunctionArgs["link"],
  };
}
