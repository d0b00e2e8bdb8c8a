/**
 * The one name of the production stage (`sst deploy --stage production`), and what it means: its
 * resources are retained when removed and `sst remove` refuses to run on it
 * (https://sst.dev/docs/reference/config/#protect). Every other stage is disposable.
 */
export const PRODUCTION_STAGE = "production";

export function stagePolicy(stage: string | undefined): { removal: "retain" | "remove"; protect: boolean } {
  const production = stage === PRODUCTION_STAGE;
  return { removal: production ? "retain" : "remove", protect: production };
}
