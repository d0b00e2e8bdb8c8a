/**
 * One status line per step (checking, uploading, processing): redrawn in place on a terminal; elsewhere
 * (CI logs, a pipe) printed when the label says something new or another tenth of the way is done. Within a step the bar never moves backwards, so a
 * step that restarts its own count (or a server that reports less than before) cannot make it jump
 * back; `finish` replaces the bar with a sentence saying how the step ended.
 */
export function createProgressLine(stream: NodeJS.WriteStream = process.stderr) {
  const interactive = Boolean(stream.isTTY);
  let last = "";
  let lastKey = "";
  let highest = 0;
  const clear = () => {
    if (interactive && last) stream.write(`\r${" ".repeat(last.length)}\r`);
    last = "";
    lastKey = "";
    highest = 0;
  };
  return {
    update(pct: number, label: string) {
      highest = Math.max(highest, Math.max(0, Math.min(100, pct)));
      const width = 30;
      const filled = Math.round((highest / 100) * width);
      const line = `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${String(Math.round(highest)).padStart(3)}% ${label}`;
      if (line === last) return;
      // Counts inside a label ("3 of 8 chunks") change too often for a log: they alone do not earn a line.
      const key = `${label.replace(/[\d.,]+/g, "#")} ${Math.floor(highest / 10)}`;
      if (interactive) stream.write(`\r${line.padEnd(last.length)}`);
      else if (key !== lastKey) stream.write(`${line}\n`);
      last = line;
      lastKey = key;
    },
    /** Ends the step: the bar gives way to `sentence` (or is just cleared). */
    finish(sentence?: string) {
      clear();
      if (sentence) stream.write(`${sentence}\n`);
    },
  };
}
