/**
 * The help texts, made from the command table (lib/cli/command.ts): one
 * command's usage, a group's list of sub-commands, and `batou --help`.
 *
 * @module
 */
import { VERSION } from "../version.ts";
import type { ArgumentSpec, Command, CommandGroup, LeafCommand, OptionSpec } from "./command.ts";

/** `ENV`, `[DIR]`, `KEY...`, `[FILE...]`. */
export function argumentText(argument: ArgumentSpec): string {
  const name = argument.variadic ? `${argument.name}...` : argument.name;
  return argument.optional ? `[${name}]` : name;
}

/** `-j, --jobs N` or `    --json`: how an option is written. */
export function optionText(long: string, spec: OptionSpec): string {
  const value = spec.type === "boolean" ? "" : ` ${spec.value ?? "VALUE"}`;
  return `${spec.short ? `-${spec.short}, ` : "    "}--${long}${value}`;
}

/** The `--help` option every command has. */
export const HELP_OPTION: OptionSpec = { type: "boolean", short: "h", help: "show this help" };

/** `batou secrets add KEY... [options]`: the usage line of a command. */
export function synopsis(path: string[], command: Command): string {
  if (command.kind === "group") return `batou ${path.join(" ")} <command> ...`;
  const args = command.arguments.map(argumentText);
  const options = Object.keys(command.options).length > 0 ? ["[options]"] : [];
  return ["batou", ...path, ...args, ...options].join(" ");
}

function defaultText(spec: OptionSpec): string {
  if (spec.default === undefined) return "";
  const value = Array.isArray(spec.default) ? spec.default.join(",") : String(spec.default);
  return ` (default: ${value})`;
}

/** `  left   right` rows with the right column aligned. */
function table(rows: [string, string][]): string[] {
  const width = Math.max(0, ...rows.map(([left]) => left.length));
  return rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`.trimEnd());
}

/** The `--help` text of a command (`path` is its words after `batou`). */
export function commandUsage(path: string[], command: LeafCommand): string {
  const options: [string, string][] = Object.entries({ ...command.options, help: HELP_OPTION }).map(([long, spec]) => [
    optionText(long, spec),
    spec.help + defaultText(spec),
  ]);
  return [`usage: ${synopsis(path, command)}`, "", command.description ?? command.summary, "", "options:", ...table(options)].join("\n");
}

/** The visible sub-commands of a group as `[words, summary]`, groups flattened. */
function listing(prefix: string[], commands: Command[]): [string, string][] {
  return commands
    .filter((command) => !command.hidden)
    .flatMap((command): [string, string][] =>
      command.kind === "group"
        ? listing([...prefix, command.name], command.commands)
        : [[[...prefix, command.name, ...command.arguments.map(argumentText)].join(" "), command.summary]],
    );
}

/** The `--help` text of a group: its sub-commands with their arguments. */
export function groupUsage(path: string[], group: CommandGroup): string {
  return [
    `usage: ${synopsis(path, group)}`,
    "",
    group.description ?? group.summary,
    "",
    "commands:",
    ...table(listing([], group.commands)),
    "",
    `batou ${path.join(" ")} <command> --help   usage of one command`,
  ].join("\n");
}

/** `batou --help`: every command, sub-commands included. */
export function globalUsage(commands: Command[]): string {
  return [
    `batou ${VERSION}: model deployments in TypeScript, converge hosts over SSH`,
    "",
    "usage: batou <command> [options]",
    "",
    "commands:",
    ...table(listing([], commands)),
    "",
    "batou --version            print the version",
    "batou <command> --help     usage of one command (also: batou help <command>)",
  ].join("\n");
}
