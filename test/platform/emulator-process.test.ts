import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isProcessAlive, isProcessRunning } from "../../local/processes";
import { apiClient, uniqueEmail } from "../support/api";
import { chatgptExport, conversations } from "../support/exports";
import { uploadBytes, waitForUpload } from "../support/ingest";
import { startStackProcess, type StackProcess } from "../support/stack-process";

/**
 * `npm start` runs the S3 + SQS emulator in a child process (local/emulator-process.ts). Killing the
 * stack's process outright must not leave that child behind, and one that could not exit (here: stopped
 * with SIGSTOP, as a hung process would be) is killed by the next start on the same data.
 */
let dataDir: string;
let running: StackProcess | undefined;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), "cogzy-emulator-"));
});

afterAll(async () => {
  await running?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

const emulatorPid = async () => Number(await readFile(path.join(dataDir, "emulator.pid"), "utf8"));

describe("the emulator's child process", () => {
  it("runs apart from the stack's process and exits when that process is killed with SIGKILL", async () => {
    running = await startStackProcess(dataDir);
    const pid = await emulatorPid();
    expect(pid).not.toBe(running.process.pid);
    expect(isProcessAlive(pid)).toBe(true);
    // Its garbage is collected on its own thread, not by helper threads competing with the functions'.
    expect((await readFile(`/proc/${pid}/cmdline`, "utf8")).split("\0")).toContain("--single-threaded-gc");

    await running.kill();
    running = undefined;

    // Gone, or a zombie its new parent has not reaped yet (on a busy machine that can take a while).
    await expect.poll(() => isProcessRunning(pid), { timeout: 10_000, interval: 50 }).toBe(false);
  }, 60_000);

  it("is killed by the next start when a killed run left it hung, and the new stack ingests an upload", async () => {
    running = await startStackProcess(dataDir);
    const api = apiClient(running.apiUrl);
    const { body } = await api.signUp(uniqueEmail("orphan"));
    const hung = await emulatorPid();
    process.kill(hung, "SIGSTOP");
    await running.kill();
    running = undefined;
    expect(isProcessAlive(hung)).toBe(true);

    running = await startStackProcess(dataDir);

    // Killed: gone, or a zombie until whoever took it over reaps it (it holds nothing then).
    expect(await isProcessRunning(hung)).toBe(false);
    expect(await emulatorPid()).not.toBe(hung);
    const again = apiClient(running.apiUrl);
    const uploadId = await uploadBytes(again, body.token, "conversations.json", chatgptExport(conversations("after-orphan", 2)));
    expect(await waitForUpload(again, body.token, uploadId, 60_000)).toMatchObject({ status: "complete", nodes_created: 6 });
  }, 120_000);
});
