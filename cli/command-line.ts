/**
 * The machinery behind the `vault` command table (`commands.ts`): option parsing with node's
 * `util.parseArgs`, environment fallbacks and defaults, operand counts, and help text generated from
 * the same declarations, so a command's usage can never disagree with what it accepts.
 */
import { parseArgs } from "node:util";

export interface OptionSpec {
  type: "string" | "boolean";
  /** Shown in help as `--name <value>`; string options only. */
  value?: string;
  /** One line for help. */
  description: string;
  /** Environment variable read when the option is not given. */
  env?: string;
  /** Used when neither the option nor its environment variable is given. */
  default?: string;
  /** A usage error when missing (after `env` and `default`). */
  required?: boolean;
  /** A one-letter alias, e.g. `-e`. */
  short?: string;
}

export type OptionSpecs = Record<string, OptionSpec>;

/** What a command receives: boolean options are always set; string options unless optional and absent. */
export type OptionValues<O extends OptionSpecs> = {
  -readonly [K in keyof O]: O[K]["type"] extends "boolean"
    ? boolean
    : O[K] extends { required: true } | { default: string }
      ? string
      : string | undefined;
};

/** What a command's `run` receives; its module spells out `V`, and the table checks it against the options. */
export interface Invocation<V> {
  values: V;
  /** The operands, checked against the command's `operands` (e.g. exactly one for `<file>`). */
  operands: string[];
}

export type CommandInput<O extends OptionSpecs> = Invocation<OptionValues<O>>;

export interface CommandSpec<O extends OptionSpecs = OptionSpecs> {
  /** Operands as help shows them: `<file>` is required, `[query]` optional, `...` (e.g. `[more...]`) repeats. */
  operands?: string;
  /** One line for the command list. */
  summary: string;
  /** A paragraph for `vault <command> --help`, after the summary. */
  details?: string;
  options: O;
  /** The module that runs the command; loaded only when it is the one asked for. */
  load: () => Promise<{ run: (input: CommandInput<NoInfer<O>>) => Promise<number> }>;
}

/** Declares one command; keeps its option types for the module that runs it. */
export function defineCommand<const O extends OptionSpecs>(spec: CommandSpec<O>): CommandSpec<O> {
  return spec;
}

/** A mistake in how the command was called; the caller prints the message and the command's usage. */
export class UsageError extends Error {}

/** Every command accepts `--help`; it is listed in help, not declared per command. */
const HELP_OPTION: OptionSpec = { type: "boolean", short: "h", description: "show this help" };

/** Parses a command's arguments: returns `"help"` when help was asked for, or the command's input. */
export function parseCommandArgs<O extends OptionSpecs>(spec: CommandSpec<O>, args: string[], env: NodeJS.ProcessEnv): CommandInput<O> | "help" {
  const options = Object.fromEntries(
    Object.entries({ ...spec.options, help: HELP_OPTION }).map(([name, option]) => [name, { type: option.type, ...(option.short && { short: option.short }) }]),
  );
  let parsed;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    // node's messages name the option ("Unknown option '--emial'"); keep the first sentence.
    throw new UsageError(((error as Error).message.split(". ")[0] ?? "").replace(/\.$/, "") + ".");
  }
  if (parsed.values.help) return "help";
  checkOperands(spec.operands ?? "", parsed.positionals);
  const values: Record<string, string | boolean | undefined> = {};
  for (const [name, option] of Object.entries(spec.options)) {
    const given = parsed.values[name] as string | boolean | undefined;
    if (option.type === "boolean") {
      values[name] = given === true;
      continue;
    }
    const value = (given as string | undefined) ?? (option.env ? env[option.env] || undefined : undefined) ?? option.default;
    if (value === undefined && option.required) {
      throw new UsageError(`--${name} is required${option.env ? ` (or set ${option.env})` : ""}.`);
    }
    values[name] = value;
  }
  return { values: values as OptionValues<O>, operands: parsed.positionals };
}

function checkOperands(declared: string, given: string[]): void {
  const names = declared.split(/\s+/).filter((name) => name !== "");
  const required = names.filter((name) => name.startsWith("<")).length;
  const repeats = names.some((name) => name.includes("..."));
  if (given.length < required) throw new UsageError(`Missing ${names.slice(given.length, required).join(" ")}.`);
  if (!repeats && given.length > names.length) throw new UsageError(`Unexpected ${JSON.stringify(given[names.length])}: this command takes ${declared || "no operands"}.`);
}

/** `vault <name> --help`: usage, what the command does, and each option. */
export function commandHelp(name: string, spec: CommandSpec): string {
  const lines = [`usage: vault ${usageLine(name, spec)}`, "", wrap(spec.summary + (spec.details ? ` ${spec.details}` : ""), 2), "", "options:"];
  lines.push(...optionLines({ ...spec.options, help: HELP_OPTION }, 2));
  return `${lines.join("\n")}\n`;
}

/** `vault --help`: every command with its options. */
export function overviewHelp(commands: Record<string, CommandSpec>): string {
  const lines = ["usage: vault <command> [options]", "", "commands:"];
  for (const [name, spec] of Object.entries(commands)) {
    lines.push("", `  vault ${usageLine(name, spec)}`, wrap(spec.summary, 6));
    lines.push(...optionLines(spec.options, 6));
  }
  lines.push("", "`vault <command> --help` shows one command. Options may also be given as --name=value.");
  return `${lines.join("\n")}\n`;
}

/** After a usage mistake: the usage line and where the rest is, not the whole help. */
export function shortUsage(name: string, spec: CommandSpec): string {
  return `usage: vault ${usageLine(name, spec)}\n\`vault ${name} --help\` lists the options.\n`;
}

function usageLine(name: string, spec: CommandSpec): string {
  return [name, spec.operands, Object.keys(spec.options).length > 0 ? "[options]" : ""].filter(Boolean).join(" ");
}

function optionLines(options: OptionSpecs, indent: number): string[] {
  const entries = Object.entries(options).map(([name, option]) => {
    const flag = `${option.short ? `-${option.short}, ` : ""}--${name}${option.type === "string" ? ` <${option.value ?? "value"}>` : ""}`;
    const notes = [option.env && `or ${option.env}`, option.default !== undefined && `default ${option.default}`, option.required && "required"].filter(Boolean);
    return { flag, text: notes.length > 0 ? `${option.description} (${notes.join("; ")})` : option.description };
  });
  const width = Math.max(0, ...entries.map((entry) => entry.flag.length)) + 2;
  return entries.map((entry) => `${" ".repeat(indent)}${entry.flag.padEnd(width)}${entry.text}`);
}

function wrap(text: string, indent: number, width = 100): string {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/)) {
    if (line !== "" && indent + line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === "" ? word : `${line} ${word}`;
  }
  if (line !== "") lines.push(line);
  return lines.map((part) => `${" ".repeat(indent)}${part}`).join("\n");
}
