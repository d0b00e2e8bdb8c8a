/// <reference path="./.sst/platform/config.d.ts" />

/**
 * Cogzy Vaults on AWS, with the vault bucket on Backblaze B2 (or AWS S3): `sst deploy --stage production`.
 * Infrastructure lives in `stacks/`, one module per concern, imported inside `app()` and `run()` as SST
 * requires (https://sst.dev/docs/reference/config/).
 */
export default $config({
  async app(input) {
    const { stagePolicy } = await import("./stacks/stage");
    return {
      name: "cogzy-vaults",
      home: "aws",
      ...stagePolicy(input?.stage),
      providers: { aws: { region: (process.env.AWS_REGION as aws.Region | undefined) ?? "us-east-1" } },
    };
  },
  async run() {
    // Lambda's Node.js 22 runtime, as the project runs locally (see package.json "engines").
    $transform(sst.aws.Function, (args) => {
      args.runtime ??= "nodejs22.x";
      args.architecture ??= "arm64";
    });
    const { createApp } = await import("./stacks/app");
    return createApp();
  },
});
