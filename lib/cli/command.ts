/**
 * The table every `batou` sub-command is declared in: its arguments and
 * options (type, short flag, value name, default, help text). From it come
 * the argument parser's configuration (lib/cli/parse.ts), the `--help` text
 * (lib/cli/usage.ts) and the check against docs/cli.md
 * (tests/cli/docs.test.ts).
 *
 * Adding a command: write `lib/cli/commands/NAME.ts` exporting
 * `defineCommand({...})` (or `defineGroup` for `batou NAME SUB ...`), add it to
 * the list in lib/cli/all-commands.ts, and give it a section in docs/cli.md.
 *
 * ```ts
 * export const historyCommand = defineCommand({
 *   name: "history",
 *   summary: "show the deployments a host recorded",
 *   arguments: [{ name: "ENV" }, { name: "HOST", optional: true }],
 *   options: { json: { type: "boolean", help: "one JSON object per line" } },
 *   async run({ args, options }) { ...; return 0; },
 * });
 * ```
 *
 * @module
 */
import { BatouError, type ErrorContext } from "../engine/errors.ts";

/**
 * How an option's value is read: `boolean` is a flag (false when absent);
 * `string` as given; `positive-integer` and `positive-number` are checked and
 * converted; `list` is split at commas (`--hosts a,b` → `["a", "b"]`).
 */
export type OptionType = "boolean" | "string" | "positive-integer" | "positive-number" | "list";

/** One option of a command, keyed by its long name (`"predict-only"` → `--predict-only`). */
export interface OptionSpec {
  type: OptionType;
  /** One letter: `-P`. */
  short?: string;
  /** The value's name in usage texts (`N` in `--jobs N`); options with a value only. */
  value?: string;
  /** The value when the option is absent (not for booleans: they are false). Shown in `--help`. */
  default?: string | number | string[];
  /** One line for `--help` and docs/cli.md. */
  help: string;
}

export type OptionTable = Record<string, OptionSpec>;

/** A positional argument: `ENV`, `[DIR]` (optional), `KEY...` (variadic: one or more). */
export interface ArgumentSpec {
  name: string;
  optional?: boolean;
  /** Takes every remaining argument; must be last. */
  variadic?: boolean;
}

type ValueType<T extends OptionType> = T extends "boolean"
  ? boolean
  : T extends "positive-integer" | "positive-number"
    ? number
    : T extends "list"
      ? string[]
      : string;

/** The parsed options of a table: booleans and options with a default always have a value. */
export type OptionValues<O extends OptionTable> = {
  [K in keyof O]: O[K]["type"] extends "boolean"
    ? boolean
    : O[K] extends { default: unknown }
      ? ValueType<O[K]["type"]>
      : ValueType<O[K]["type"]> | undefined;
};

/** A command that runs: `batou deploy`, `batou secrets add`. */
export interface LeafCommand<O extends OptionTable = OptionTable> {
  kind: "command";
  /** The word after `batou` (or after its group: `add` in `batou secrets add`). */
  name: string;
  /** One line for the list of commands. */
  summary: string;
  /** Paragraphs for `--help`, after the usage line. */
  description?: string;
  arguments: ArgumentSpec[];
  options: O;
  /** Internal: dispatched, never listed. */
  hidden?: boolean;
  /** Runs with parsed arguments; resolves to the exit code (0 ok, 1 failed). Errors are thrown, main prints them. */
  run(input: { args: string[]; options: OptionValues<O> }): Promise<number>;
}

/** A command with sub-commands: `batou secrets edit|add|...`, `batou lock release`. */
export interface CommandGroup {
  kind: "group";
  name: string;
  summary: string;
  description?: string;
  commands: Command[];
  hidden?: boolean;
}

export type Command = LeafCommand<any> | CommandGroup;

/** Declares a command; the option table's literal types type `run`'s `options`. */
export function defineCommand<const O extends OptionTable = {}>(
  spec: Omit<LeafCommand<O>, "kind" | "arguments" | "options"> & { arguments?: ArgumentSpec[]; options?: O },
): LeafCommand<O> {
  return { ...spec, kind: "command", arguments: spec.arguments ?? [], options: spec.options ?? ({} as O) };
}

/** Declares a group of sub-commands. */
export function defineGroup(spec: Omit<CommandGroup, "kind">): CommandGroup {
  return { ...spec, kind: "group" };
}

/**
 * Bad command-line input: printed with the command's usage line and a pointer
 * to its `--help`; exit status 2.
 */
export class UsageError extends BatouError {
  override name = "UsageError";
  constructor(message: string, context: ErrorContext = {}) {
    super(message, context);
  }
}
