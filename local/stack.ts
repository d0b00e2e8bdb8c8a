import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import {
  DEAD_LETTER_CONSUMER,
  DEFAULT_DB_POOL_SIZE,
  nodeOptions,
  queues as queueDefinitions,
  routes,
  schedules,
  type ConsumerDefinition,
  type QueueName,
} from "../functions/manifest";
import { getConfig, loadConfig, resetConfig } from "../lib/config";
import { closePool } from "../lib/db/pool";
import { migrate } from "../lib/db/migrate";
import { closeSqs, getSqs } from "../lib/queues/client";
import { closeIndexCache } from "../lib/search/index-cache";
import { closeMemoryTextCache } from "../lib/search/memory-texts";
import { closeStore, getStore } from "../lib/store/client";
import { startB2Bridge } from "./b2-bridge";
import { projectRoot } from "./data-dir";
import { recoverAbandonedEmulator, startEmulatorProcess, type EmulatorProcess } from "./emulator-process";
import { startGateway, type Gateway } from "./gateway";
import { startHandlerThreads, type HandlerThreads } from "./handler-threads";
import { loadHandler } from "./lambda-context";
import { assertPortFree, freePort } from "./ports";
import { isProcessAlive } from "./processes";
import { webDist } from "./web-build";
import { recoverAbandonedServer, startPostgres, type LocalPostgres } from "./postgres";
import { startQueuePoller, type QueuePoller, type SqsHandler } from "./queue-poller";
import { startSchedule, type LocalSchedule } from "./schedules";

export interface StackOptions {
  /** Where Postgres, queues and objects keep their data. */
  dataDir: string;
  /** API and web port; 0 picks free ports for everything (tests). */
  port: number;
  storePort?: number;
  pgPort?: number;
  /** Start the queue consumers (default true). */
  consumers?: boolean;
  /** Run the scheduled functions on their timers (default: when consumers run); `runNow` works either way. */
  scheduleTimers?: boolean;
  log?: (line: string) => void;
  /** Also pass PostgreSQL's own log lines to `log`. */
  verbose?: boolean;
  /**
   * Worker threads each queue function may run on (default: one per core). 0 runs the queue handlers
   * on this process's own thread, with the API (for a test that must reach into a handler's modules).
   */
  handlerThreads?: number;
}

export interface Stack {
  apiUrl: string;
  /** The store as browsers (presigned URLs) reach it. */
  storeEndpoint: string;
  databaseUrl: string;
  dataDir: string;
  /** The S3 + SQS emulator, in a child process of its own. */
  emulator: EmulatorProcess;
  /** Queue pollers by queue name; dead-letter queues as `{name}-dlq`. */
  pollers: Record<string, QueuePoller>;
  /** The threads the queue handlers run on; undefined when they run in this thread (`handlerThreads: 0`). */
  handlerThreads?: HandlerThreads;
  /** The scheduled functions of the manifest, by name. */
  schedules: Record<string, LocalSchedule>;
  /**
   * Settles once every queue function's threads have loaded their modules (at once when the handlers
   * run on this thread). The stack takes work before then; an upload sent meanwhile shares the cores
   * with the loading (~1 s of CPU a thread).
   */
  loaded: Promise<void>;
  stop(): Promise<void>;
}

/**
 * Brings up the whole system: embedded PostgreSQL (migrated, its own server process), the S3 + SQS
 * emulator with the vault bucket and every queue (a child process, so it has a core of its own), and in
 * this process the API gateway in front of the route handlers, the queue pollers in front of the queue
 * handlers (which run on worker threads, each function on threads of its own, as Lambda runs each
 * function in instances of its own), timers in front of the scheduled functions, and the B2 webhook
 * bridge. Configuration reaches the handlers through the environment, exactly as in a deployed function.
 */
export async function startStack(options: StackOptions): Promise<Stack> {
  const say = options.log ?? (() => undefined);
  const dataDir = path.resolve(options.dataDir);
  await mkdir(dataDir, { recursive: true });
  await claimDataDir(dataDir);
  // A hard-killed earlier run can leave its PostgreSQL holding the port, or an emulator that could not
  // notice holding the queues' database: recover before checking ports.
  await recoverAbandonedServer(path.join(dataDir, "postgres"));
  await recoverAbandonedEmulator(dataDir);
  const ports = await choosePorts(options);

  const started: Array<() => Promise<void> | void> = [];
  const stopAll = async () => {
    for (const stop of started.reverse()) await Promise.resolve(stop()).catch((error) => say(`shutdown: ${(error as Error).message}`));
    started.length = 0;
  };

  try {
    const postgres: LocalPostgres = await startPostgres({ dataDir: path.join(dataDir, "postgres"), port: ports.pg, log: options.verbose ? say : undefined });
    started.push(() => postgres.stop());
    const bucket = process.env.STORE_BUCKET ?? "cogzy-vaults";
    // Functions reach the emulator directly; browsers reach it on the store port, which checks presigned
    // URLs with the keys the functions sign them with and answers CORS (store-cors-relay.ts).
    const { accessKeyId = "local", secretAccessKey = "local" } = loadConfig().store;
    const emulator = await startEmulatorProcess({ dataDir, port: 0, bucket, publicStore: { port: ports.store, credentials: { accessKeyId, secretAccessKey } } });
    started.push(() => emulator.stop());
    const publicStoreEndpoint = emulator.publicEndpoint!;

    Object.assign(process.env, {
      APP_ENV: process.env.APP_ENV === "test" ? "test" : "local",
      DATABASE_URL: postgres.url,
      STORE_ENDPOINT: emulator.endpoint,
      STORE_PUBLIC_ENDPOINT: publicStoreEndpoint,
      SQS_ENDPOINT: emulator.endpoint,
      STORE_BUCKET: bucket,
      INGEST_QUEUE_URL: emulator.queues.ingest.url,
      EMBED_QUEUE_URL: emulator.queues.embed.url,
      REDUCE_QUEUE_URL: emulator.queues.reduce.url,
      // One process runs every function here, up to 200 at once, on one pool; in the cloud each
      // function instance has its own pool of the manifest's size.
      DATABASE_POOL_SIZE: process.env.DATABASE_POOL_SIZE ?? "40",
    });
    resetConfig();
    started.push(async () => {
      await closeIndexCache();
      closeMemoryTextCache();
      closeStore();
      closeSqs();
      return closePool();
    });

    await migrate(postgres.url);
    const gateway: Gateway = await startGateway({ root: projectRoot, routes, port: ports.api, webDir: webDist });
    started.push(() => gateway.close());

    const pollers: Stack["pollers"] = {};
    const loading: Promise<void>[] = [];
    let handlerThreads: HandlerThreads | undefined;
    if (options.consumers !== false) {
      const threadsPerFunction = options.handlerThreads ?? os.availableParallelism();
      if (threadsPerFunction > 0) {
        const threads = startHandlerThreads({ root: projectRoot, threadsPerFunction });
        handlerThreads = threads;
        // Stopped after the pollers (`started` stops in reverse), once their invocations are done.
        started.push(() => threads.stop());
      }
      const startPoller = async (name: string, handlerName: string, url: string, arn: string, consumer: ConsumerDefinition) => {
        const options = nodeOptions(consumer);
        // NODE_OPTIONS as the deployed function has it; its thread takes the young generation it names.
        const env = { DATABASE_POOL_SIZE: String(threadPoolSize(consumer, threadsPerFunction)), ...(options && { NODE_OPTIONS: options }) };
        // A thread for each function starts loading now, in the background: an upload's first split,
        // embed and merge then find their modules loaded (a thread's load is ~1 s of CPU, more under
        // load), and the stack is up without waiting for them. The embed queue gets a message per chunk
        // while the split is still parsing, so its function soon runs on every thread of its pool: they
        // all load now, not the second one in the middle of the split, which holds both cores then.
        if (handlerThreads) loading.push(handlerThreads.warm(handlerName, env, name === "embed" ? threadsPerFunction : 1));
        const handler = handlerThreads ? (handlerThreads.invoker(handlerName, env) as SqsHandler) : await loadHandler<SqsHandler>(projectRoot, handlerName);
        const poller = startQueuePoller({
          sqs: getSqs(),
          functionName: handlerName,
          queueUrl: url,
          queueArn: arn,
          handler,
          batchSize: consumer.batchSize,
          maxConcurrency: consumer.maxConcurrency,
          timeoutSeconds: consumer.timeoutSeconds,
        });
        pollers[name] = poller;
        started.push(() => poller.stop());
      };
      for (const [name, definition] of Object.entries(queueDefinitions) as [QueueName, (typeof queueDefinitions)[QueueName]][]) {
        const queue = emulator.queues[name];
        if (definition.consumer) await startPoller(name, definition.consumer.handler, queue.url, queue.arn, definition.consumer);
        if (definition.deadLetterHandler) {
          await startPoller(`${name}-dlq`, definition.deadLetterHandler, queue.dlqUrl, queue.dlqArn, DEAD_LETTER_CONSUMER);
        }
      }
    }

    const scheduled: Stack["schedules"] = {};
    for (const definition of schedules) {
      const schedule = await startSchedule(projectRoot, definition, { timer: options.scheduleTimers ?? options.consumers !== false });
      scheduled[definition.name] = schedule;
      started.push(() => schedule.stop());
    }

    const bridge = startB2Bridge({
      server: emulator.server,
      store: getStore(),
      webhookUrl: `${gateway.url}/webhooks/b2`,
      secret: getConfig().webhooks.b2Secret,
    });
    started.push(() => bridge.stop());

    return {
      apiUrl: gateway.url,
      storeEndpoint: publicStoreEndpoint,
      databaseUrl: postgres.url,
      dataDir,
      emulator,
      pollers,
      handlerThreads,
      schedules: scheduled,
      // A thread that fails to load is the invocation's to report, as before.
      loaded: Promise.allSettled(loading).then(() => undefined),
      stop: async () => {
        await stopAll();
        await releaseDataDir(dataDir);
      },
    };
  } catch (error) {
    await stopAll();
    await releaseDataDir(dataDir);
    throw error;
  }
}

/**
 * Database connections for one handler thread: the function's own per-instance pool times the
 * invocations one thread may run at once, within 20 (PostgreSQL here takes 200 connections in all:
 * 40 for this process, the rest for the functions' threads).
 */
function threadPoolSize(consumer: ConsumerDefinition, threadsPerFunction: number): number {
  const perThread = Math.ceil(consumer.maxConcurrency / threadsPerFunction);
  return Math.min(20, perThread * (consumer.dbPoolSize ?? DEFAULT_DB_POOL_SIZE));
}

async function choosePorts(options: StackOptions) {
  if (options.port === 0) {
    // The store relay listens on port 0 itself: a port picked here and bound seconds later (after
    // PostgreSQL and the emulator's process have started) can be taken meanwhile (EADDRINUSE).
    return { api: 0, store: options.storePort ?? 0, pg: options.pgPort ?? (await freePort()) };
  }
  const ports = { api: options.port, store: options.storePort ?? options.port + 1, pg: options.pgPort ?? options.port + 2 };
  await assertPortFree(ports.api, "PORT");
  await assertPortFree(ports.store, "STORE_PORT");
  await assertPortFree(ports.pg, "PG_PORT");
  return ports;
}

/** One stack per data folder: a second `npm start` on the same data would fight the first over Postgres. */
async function claimDataDir(dataDir: string): Promise<void> {
  const lock = path.join(dataDir, "stack.pid");
  const owner = Number(await readFile(lock, "utf8").catch(() => ""));
  if (owner && owner !== process.pid && isProcessAlive(owner)) {
    throw new Error(`Cogzy is already running from ${dataDir} (process ${owner}). Stop it first, or set DATA_DIR to another folder.`);
  }
  await writeFile(lock, String(process.pid));
}

async function releaseDataDir(dataDir: string): Promise<void> {
  await rm(path.join(dataDir, "stack.pid"), { force: true });
}
