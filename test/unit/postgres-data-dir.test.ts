import { chmod, mkdtemp, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { reachableByPostgresUser } from "../../local/postgres";

const made: string[] = [];
afterEach(async () => {
  await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function folder(mode: number): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "cogzy-pgdir-"));
  made.push(dir);
  await chmod(dir, mode);
  return dir;
}

const modeOf = async (dir: string) => (await stat(dir)).mode & 0o7777;

describe("the local database's folder, made reachable for the postgres user", () => {
  it("opens up a private parent folder (mkdtemp makes them 0700) so the server can walk through it", async () => {
    const parent = await folder(0o700);
    expect(await reachableByPostgresUser(path.join(parent, "postgres"))).toBe(path.join(parent, "postgres"));
    expect(await modeOf(parent)).toBe(0o755);
  });

  it("leaves a shared parent such as /tmp (sticky, everyone may write) as it is", async () => {
    const shared = await folder(0o1777);
    expect(await reachableByPostgresUser(path.join(shared, "postgres"))).toBe(path.join(shared, "postgres"));
    expect(await modeOf(shared)).toBe(0o1777);
  });
});
