/// <reference path="./.sst/platform/config.d.ts" />

/**
 * Cogzy Vaults on AWS, with the vault bucket on Backblaze B2 (or AWS S3). `sst deploy --stage prod`.
 * Infrastructure lives in `stacks/`, one module per concern, imported inside `run()` as SST requires.
 */
export default $config({
  app(input) {
    return {
      name: "cogzy-vaults",
      home: "aws",
      removal: input?.stage === "production" ? "retain" : "remove",
      protect: input?.stage === "production",
      providers: { aws: { region: (process.env.AWS_REGION as aws.Region | undefined) ?? "us-east-1" } },
    };
  },
  async run() {
    // Lambda's Node.js 22 runtime, as the project runs locally (see package.json "engines").
    $transform(sst.aws.Function, (args) => {
      args.runtime ??= "nodejs22.x";
      args.architecture ??= "arm64";
    });
    const { secrets } = await import("./stacks/secrets");
    const { createQueues } = await import("./stacks/queues");
    const { createApi } = await import("./stacks/api");
    const { createSchedules } = await import("./stacks/schedules");
    const { createWebApp } = await import("./stacks/web-app");
    const { routes } = await import("./functions/manifest");
    const settings = secrets();
    const queues = createQueues(settings);
    const api = createApi(settings, queues);
    createSchedules(queues);
    const web = createWebApp(api, routes);
    return { web: web.router.url, api: api.url, webhook: $interpolate`${web.router.url}/webhooks/b2`, streaming: api.streamingUrls };
  },
});
