/**
 * One status line: redrawn in place on a terminal, printed only when it changes otherwise (CI logs).
 */
export function createProgressLine(stream: NodeJS.WriteStream = process.stderr) {
  const interactive = Boolean(stream.isTTY);
  let last = "";
  return {
    update(pct: number, label: string) {
      const width = 30;
      const filled = Math.round((Math.max(0, Math.min(100, pct)) / 100) * width);
      const line = `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${String(Math.round(pct)).padStart(3)}% ${label}`;
      if (line === last) return;
      if (interactive) stream.write(`\r${line.padEnd(last.length)}`);
      else if (label !== last.replace(/^.*% /, "")) stream.write(`${line}\n`);
      last = line;
    },
    done() {
      if (interactive && last) stream.write("\n");
      last = "";
    },
  };
}
