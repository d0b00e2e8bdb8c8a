/**
 * Entry point of the `vault` command: finds the command in the table (`commands.ts`), parses its
 * arguments and runs it. Returns the process exit code: 0 done, 1 failed, 2 called wrongly.
 */
import { commandHelp, overviewHelp, parseCommandArgs, shortUsage, UsageError, type CommandSpec } from "./command-line";
import { COMMANDS } from "./commands";

export async function main(argv: string[], commands: Record<string, CommandSpec> = COMMANDS, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const found = findCommand(argv, commands);
  if (!found) {
    const [first] = argv;
    const asked = first === undefined || first === "help" || first === "--help" || first === "-h";
    if (asked) {
      process.stdout.write(overviewHelp(commands));
      return 0;
    }
    const names = Object.keys(commands).join(", ");
    process.stderr.write(`vault: there is no command ${JSON.stringify(first)}. The commands are ${names}; \`vault --help\` shows them with their options.\n`);
    return 2;
  }
  const { name, spec, args } = found;
  let input;
  try {
    input = parseCommandArgs(spec, args, env);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`vault ${name}: ${error.message}\n${shortUsage(name, spec)}`);
    return 2;
  }
  if (input === "help") {
    process.stdout.write(commandHelp(name, spec));
    return 0;
  }
  const module = await spec.load();
  return module.run(input);
}

/** The longest command name that the leading words spell: "tier set" before "tier". */
function findCommand(argv: string[], commands: Record<string, CommandSpec>) {
  let best: { name: string; spec: CommandSpec; args: string[] } | undefined;
  for (const [name, spec] of Object.entries(commands)) {
    const words = name.split(" ");
    if (words.every((word, i) => argv[i] === word) && (!best || words.length > best.name.split(" ").length)) {
      best = { name, spec, args: argv.slice(words.length) };
    }
  }
  return best;
}
