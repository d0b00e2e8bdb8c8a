import { readdirSync, readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { deployFunctions } from "../functions/manifest";
import { functionArgs, type FunctionContext } from "./functions";

const MIGRATIONS = "migrations";

/** A digest of every migration file: the migration runs again whenever one is added or changed. */
function migrationsDigest(): string {
  const hash = createHash("sha256");
  for (const file of readdirSync(MIGRATIONS).sort()) hash.update(file).update(readFileSync(`${MIGRATIONS}/${file}`));
  return hash.digest("hex");
}

/**
 * Migrations as part of the deploy: a function carrying a copy of `migrations/`, invoked by the deploy
 * itself (`aws.lambda.Invocation`) whenever the migrations change. The schema it answers becomes
 * `DATABASE_SCHEMA` in every other function's environment, so Pulumi can update no function before
 * the migration has succeeded; a failed migration fails the deploy with the code unchanged.
 */
export function createDatabaseMigration(context: FunctionContext) {
  const args = functionArgs(context, deployFunctions.migrateDatabase);
  const migrator = new sst.aws.Function("DatabaseMigrator", {
    ...args,
    environment: { ...(args.environment as Record<string, $util.Input<string>>), MIGRATIONS_DIR: MIGRATIONS },
    copyFiles: [{ from: MIGRATIONS, to: MIGRATIONS }],
  });
  const invocation = new aws.lambda.Invocation("DatabaseMigration", {
    functionName: migrator.name,
    input: JSON.stringify({ migrations: migrationsDigest() }),
  });
  const schema = $util.jsonParse(invocation.result).apply((result) => String(result.schema));
  return { migrator, schema };
}
