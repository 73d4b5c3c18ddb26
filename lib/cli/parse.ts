/**
 * Command-line parsing from the command table: node:util's `parseArgs`
 * splits the words (short groups like `-Pc`, `--jobs=2`, `--`), and this
 * module checks them against the table with batou's own messages (never the
 * parser's), converts typed values, and counts the positional arguments.
 *
 * @module
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { type LeafCommand, type OptionSpec, type OptionValues, UsageError } from "./command.ts";
import { HELP_OPTION, synopsis } from "./usage.ts";

/** What a command line asks for: the command's help, or a run with these inputs. */
export type Parsed<C extends LeafCommand> = { help: true } | { help: false; args: string[]; options: OptionValues<C["options"]> };

/**
 * The `parseArgs` configuration of a command: every option of its table (and
 * `--help`) with its node:util type. Not strict: unknown options and missing
 * values come back as tokens, and {@link parseCommandLine} reports them.
 */
export function parseArgsConfig(command: LeafCommand): ParseArgsConfig & { options: NonNullable<ParseArgsConfig["options"]>; tokens: true } {
  const options: NonNullable<ParseArgsConfig["options"]> = {};
  for (const [long, spec] of Object.entries({ ...command.options, help: HELP_OPTION })) {
    options[long] = { type: spec.type === "boolean" ? "boolean" : "string", ...(spec.short ? { short: spec.short } : {}) };
  }
  return { options, strict: false, allowPositionals: true, tokens: true };
}

/** A typed value from the text given on the command line. */
function convert(flag: string, spec: OptionSpec, text: string, fail: (message: string) => never): string | number | string[] {
  switch (spec.type) {
    case "positive-integer":
    case "positive-number": {
      const integer = spec.type === "positive-integer";
      const number = Number(text);
      if (text.trim() === "" || !Number.isFinite(number) || number <= 0 || (integer && !Number.isInteger(number))) {
        fail(`option ${flag} expects a positive ${integer ? "integer" : "number"}, got "${text}"`);
      }
      return number;
    }
    case "list": {
      const items = text.split(",").map((item) => item.trim()).filter(Boolean);
      if (items.length === 0) fail(`option ${flag} expects one or more names, separated by commas`);
      return items;
    }
    default:
      return text;
  }
}

/**
 * Parses `argv` (the words after the command's name) for `command`, called
 * `batou PATH...`. Throws a {@link UsageError} naming the problem, with the
 * usage line and where to find the full help.
 */
export function parseCommandLine<C extends LeafCommand>(path: string[], command: C, argv: string[]): Parsed<C> {
  const fail = (message: string): never => {
    throw new UsageError(message, { usage: synopsis(path, command), help: `batou ${path.join(" ")} --help` });
  };
  const specs: Record<string, OptionSpec> = { ...command.options, help: HELP_OPTION };
  const { tokens } = parseArgs({ ...parseArgsConfig(command), tokens: true, args: argv });
  // --help wins over everything else on the line: the user is asking how to write it.
  if (tokens.some((token) => token.kind === "option" && token.name === "help")) return { help: true };
  const values: Record<string, unknown> = {};
  const positionals: string[] = [];
  for (const token of tokens) {
    if (token.kind === "positional") positionals.push(token.value);
    if (token.kind !== "option") continue;
    const spec = Object.hasOwn(specs, token.name) ? specs[token.name] : undefined;
    if (!spec) fail(`unknown option "${token.rawName}"`);
    const flag = `--${token.name}`;
    if (spec!.type === "boolean") {
      if (token.value !== undefined) fail(`option ${flag} takes no value, got "${token.value}"`);
      values[token.name] = true;
      continue;
    }
    const form = `${flag} ${spec!.value ?? "VALUE"}`;
    if (token.value === undefined) fail(`option ${flag} needs a value: ${form}`);
    if (!token.inlineValue && token.value!.startsWith("-") && token.value !== "-") {
      fail(`option ${flag} needs a value: ${form}, got the option "${token.value}" (write ${flag}=${token.value} if that is the value)`);
    }
    values[token.name] = convert(flag, spec!, token.value!, fail);
  }
  for (const [long, spec] of Object.entries(command.options)) {
    if (long in values) continue;
    values[long] = spec.type === "boolean" ? false : spec.default;
  }
  checkArguments(command, positionals, fail);
  return { help: false, args: positionals, options: values as OptionValues<C["options"]> };
}

function checkArguments(command: LeafCommand, positionals: string[], fail: (message: string) => never): void {
  const required = command.arguments.filter((argument) => !argument.optional);
  const variadic = command.arguments.some((argument) => argument.variadic);
  if (positionals.length < required.length) {
    const missing = required.slice(positionals.length).map((argument) => argument.name);
    fail(`missing ${missing.join(" and ")}`);
  }
  if (!variadic && positionals.length > command.arguments.length) {
    const extra = positionals.slice(command.arguments.length).map((word) => `"${word}"`);
    fail(`unexpected argument${extra.length > 1 ? "s" : ""} ${extra.join(" ")}`);
  }
}
