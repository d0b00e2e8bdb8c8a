import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { isProcessAlive, isProcessRunning } from "../../local/processes";

describe("process checks", () => {
  it("count a killed process nobody has reaped yet (a zombie) as alive, but not as running", async () => {
    // `sleep 30 &` then exec: the shell becomes `sleep 300`, which never waits for its child, so the
    // child, once killed, stays a zombie: as a killed emulator does until whoever took it over reaps it.
    const parent = spawn("bash", ["-c", "sleep 30 & echo $!; exec sleep 300"], { stdio: ["ignore", "pipe", "ignore"] });
    try {
      const child = Number(await new Promise<string>((resolve) => parent.stdout.once("data", (data: Buffer) => resolve(data.toString()))));
      expect(await isProcessRunning(child)).toBe(true);

      process.kill(child, "SIGKILL");
      await expect.poll(async () => (await readFile(`/proc/${child}/stat`, "utf8")).split(" ")[2], { timeout: 5_000, interval: 20 }).toBe("Z");

      expect(isProcessAlive(child)).toBe(true);
      expect(await isProcessRunning(child)).toBe(false);
    } finally {
      parent.kill("SIGKILL");
    }
  });

  it("count a process that is gone as neither", async () => {
    const gone = spawn("true");
    await new Promise((resolve) => gone.once("exit", resolve));
    expect(isProcessAlive(gone.pid!)).toBe(false);
    expect(await isProcessRunning(gone.pid!)).toBe(false);
  });
});
