import path from "node:path";
import { fileURLToPath } from "node:url";

/** The repository's root folder. */
export const projectRoot = fileURLToPath(new URL("..", import.meta.url));

/**
 * Where `npm start` keeps its data and `npm run reset` deletes it: DATA_DIR, default `.data` in the
 * project. A module of its own so that `npm run reset` loads nothing of the stack (the emulator's
 * SQLite import alone prints an ExperimentalWarning).
 */
export function localDataDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(projectRoot, env.DATA_DIR ?? ".data");
}
