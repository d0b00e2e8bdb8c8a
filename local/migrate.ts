/**
 * `npm run migrate [-- down [count]]`: applies (or undoes) migrations against DATABASE_URL by hand.
 * `sst deploy` migrates a deployed database itself (functions/deploy/migrate-database.ts); `npm start`
 * and the tests migrate their own databases.
 */
import { loadConfig } from "../lib/config";
import { migrate } from "../lib/db/migrate";

const [direction = "up", count] = process.argv.slice(2);
if (direction !== "up" && direction !== "down") {
  console.error("usage: npm run migrate [-- up|down [count]]");
  process.exit(2);
}
if (!process.env.DATABASE_URL) {
  console.error("Set DATABASE_URL to the database to migrate.");
  process.exit(2);
}
const config = loadConfig();
const applied = await migrate(config.database.url, { direction, count: count ? Number(count) : undefined, log: (line) => console.log(line) });
console.log(applied.length ? `${direction}: ${applied.join(", ")}` : "Nothing to migrate.");
