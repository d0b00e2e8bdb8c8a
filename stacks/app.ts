import { routes as manifestRoutes, type RouteDefinition } from "../functions/manifest";
import { createAlarms } from "./alarms";
import { createDatabaseMigration } from "./database";
import { deploySettings } from "./deploy-settings";
import { AMAZON_CA_CERTIFICATES, type FunctionContext } from "./functions";
import { createQueues, subscribeConsumers } from "./queues";
import { createSchedules } from "./schedules";
import { createSettings } from "./settings";
import { createVaultBucket } from "./store";
import { createRouter, createWeb } from "./web";

/**
 * The whole deployment, in dependency order: settings, queues, the Router, the store (on AWS S3), the
 * migration (which every other function waits for), the API and web app behind the Router, the
 * consumers, the schedules, and the alarms.
 */
export function createApp(options: { routes?: RouteDefinition[]; env?: Record<string, string | undefined> } = {}) {
  const deploy = deploySettings(options.env);
  const settings = createSettings(deploy);
  const queues = createQueues();
  const router = createRouter(deploy);
  const bucket = createVaultBucket(deploy, queues, router.url);

  const base: FunctionContext = {
    environment: {
      APP_ENV: "production",
      STORE_PROVIDER: deploy.storeProvider,
      NODE_EXTRA_CA_CERTS: AMAZON_CA_CERTIFICATES,
      ...queues.environment,
      ...(bucket ? { STORE_BUCKET: bucket.name } : {}),
    },
    link: [...settings.secrets, ...Object.values(queues.queues), ...(bucket ? [bucket] : [])],
  };
  const migration = createDatabaseMigration(base);
  const context: FunctionContext = { ...base, environment: { ...base.environment, DATABASE_SCHEMA: migration.schema } };

  const web = createWeb(router, context, options.routes ?? manifestRoutes);
  const consumers = subscribeConsumers(queues, context);
  const schedules = createSchedules(context);
  const watched = [
    ...web.functions,
    ...schedules,
    ...consumers.map((consumer) => ({ name: consumer.name, functionName: consumer.subscriber.nodes.function.name })),
    { name: "DatabaseMigrator", functionName: migration.migrator.name },
  ];
  createAlarms(deploy, queues, watched);

  return {
    url: router.url,
    api: web.api.url,
    webhook: $interpolate`${router.url}/webhooks/b2`,
    ...(bucket ? { bucket: bucket.name } : {}),
  };
}
