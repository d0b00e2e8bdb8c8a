import { readFile } from "node:fs/promises";
/** Whether a process exists (signal 0 checks without signalling; EPERM means it exists but is not ours). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Alive and not a zombie. A killed process whose parent is gone waits as a zombie until whoever took
 * it over reaps it; it holds nothing any more (proc(5): state `Z` in /proc/[pid]/stat).
 */
export async function isProcessRunning(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
  return isProcessAlive(pid) && !/^\d+ \(.*\) Z/s.test(stat);
}
