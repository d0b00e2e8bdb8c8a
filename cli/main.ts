/**
 * Entry point of the `vault` command: dispatches to one module per sub-command. Each command module
 * exports `run(args): Promise<number>` and returns the process exit code.
 */
type Command = { summary: string; load: () => Promise<{ run: (args: string[]) => Promise<number> }> };

const commands: Record<string, Command> = {
  parse: { summary: "parse <file>      read a chat export and print one JSON record per line", load: () => import("./parse") },
  import: { summary: "import <file>     upload an export into your vault and follow it to the end", load: () => import("./import") },
};

export async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  const command = name ? commands[name] : undefined;
  if (!command) {
    const lines = Object.values(commands).map((c) => `  vault ${c.summary}`);
    process.stderr.write(`usage:\n${lines.join("\n")}\n`);
    return name && name !== "help" && name !== "--help" ? 2 : 0;
  }
  const module = await command.load();
  return module.run(args);
}
