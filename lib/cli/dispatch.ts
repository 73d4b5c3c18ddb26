/**
 * Running a command line against a command table: finds the command,
 * answers `--help` and `help`, parses the arguments, runs the command, and
 * prints every error it throws through the one error printer
 * (lib/engine/error-printer.ts). Exit status: 0 ok, 1 failed, 2 a usage error.
 *
 * @module
 */
import pc from "picocolors";
import { printError } from "../engine/error-printer.ts";
import { colorWanted } from "../terminal.ts";
import { type Command, type CommandGroup, defineGroup, UsageError } from "./command.ts";
import { parseCommandLine } from "./parse.ts";
import { commandUsage, globalUsage, groupUsage } from "./usage.ts";

/** Where help texts and errors go (the commands themselves print to stdout/stderr directly). */
export interface CliOutput {
  out(text: string): void;
  err(text: string): void;
  /** Whether error lines are coloured. */
  color: boolean;
  /** Stack traces for every error (BATOU_DEBUG). */
  debug: boolean;
}

/** The process's own streams. */
export function processOutput(): CliOutput {
  return {
    out: (text) => process.stdout.write(text + "\n"),
    err: (text) => process.stderr.write(text + "\n"),
    color: colorWanted(process.stderr),
    debug: Boolean(process.env.BATOU_DEBUG),
  };
}

/** The help of `node`, called by the words of `path`. */
function usageOf(path: string[], node: Command): string {
  if (node.kind === "command") return commandUsage(path, node);
  return path.length === 0 ? globalUsage(node.commands) : groupUsage(path, node);
}

function unknownCommand(path: string[], group: CommandGroup, word: string): UsageError {
  const known = group.commands.filter((command) => !command.hidden).map((command) => command.name);
  return new UsageError(`unknown command "${[...path, word].join(" ")}"`, {
    commands: known.join(", "),
    help: `batou ${[...path, "--help"].join(" ")}`,
  });
}

/** `batou [GROUP...] help [WORDS...]`: the usage of what the words name. */
function help(path: string[], group: CommandGroup, words: string[], output: CliOutput): number {
  let node: Command = group;
  const at = [...path];
  for (const word of words) {
    if (node.kind === "command") throw new UsageError(`"batou ${at.join(" ")}" has no sub-commands`, { help: `batou ${at.join(" ")} --help` });
    const next: Command | undefined = node.commands.find((command) => command.name === word);
    if (!next) throw unknownCommand(at, node, word);
    at.push(word);
    node = next;
  }
  output.out(usageOf(at, node));
  return 0;
}

/** Walks the words down the table to a command, then parses and runs it. */
async function dispatch(commands: Command[], argv: string[], output: CliOutput): Promise<number> {
  let group = defineGroup({ name: "batou", summary: "batou", commands });
  const path: string[] = [];
  for (let i = 0; ; i++) {
    const word = argv[i];
    if (word === undefined) {
      output.err(usageOf(path, group));
      return 2;
    }
    if (word === "help") return help(path, group, argv.slice(i + 1), output);
    if (word === "--help" || word === "-h") {
      output.out(usageOf(path, group));
      return 0;
    }
    const next = group.commands.find((command) => command.name === word);
    if (!next) throw unknownCommand(path, group, word);
    path.push(word);
    if (next.kind === "group") {
      group = next;
      continue;
    }
    const parsed = parseCommandLine(path, next, argv.slice(i + 1));
    if (parsed.help) {
      output.out(commandUsage(path, next));
      return 0;
    }
    return await next.run(parsed);
  }
}

/**
 * Runs `batou ARGV` with `commands` as the table (main uses every command;
 * a test may use one) and returns the exit code. Every error is printed here.
 */
export async function runCommandLine(commands: Command[], argv: string[], output: CliOutput = processOutput()): Promise<number> {
  try {
    return await dispatch(commands, argv, output);
  } catch (error) {
    printError(error, { write: output.err, colors: pc.createColors(output.color), debug: output.debug });
    return error instanceof UsageError ? 2 : 1;
  }
}
