/**
 * Errors a user sees: one model for all of batou. Every error is a
 * `BatouError`: a `message` saying what failed and an ordered `context` naming
 * where (file and line, host, component, attribute) and what was expected. The
 * CLI prints `message`, then `details()` as aligned `label: value` rows, and
 * never a stack trace unless `--debug`.
 *
 * How a message is written (keep new ones to this):
 * - lower case, no final period, one line: `cannot load the component file: …`,
 *   `override of an unknown attribute "prot"`, `host "web1" names an unknown
 *   component "ap"`;
 * - a failed action is `cannot VERB OBJECT: STATE`; bad input names the input
 *   and what is wrong with it;
 * - names in double quotes, values as JSON; the location goes into the context
 *   (`file`, `line`, `host`, `component`, `attribute`), not into the message;
 *   what was allowed goes into `expected`, `given` or `known`, advice into `hint`;
 * - an error that only follows from another (a knock-on error) says so:
 *   `… (because "app" failed to configure)`, and is reported after its cause.
 *
 * @example
 * ```ts
 * throw new ConfigurationError('override of an unknown attribute "prot"', {
 *   file: "environments/prod.toml", line: 12, component: "app", attribute: "prot",
 * });
 * ```
 */
export interface ErrorContext {
  file?: string;
  line?: number;
  column?: number;
  host?: string;
  component?: string;
  attribute?: string;
  [label: string]: string | number | undefined;
}

/** Base of every error batou reports by itself (no stack trace unless --debug). */
export class BatouError extends Error {
  override name = "BatouError";
  readonly context: ErrorContext;

  constructor(message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.context = context;
  }

  /** `[label, value]` rows in a stable order: location first, then the rest. */
  details(): [string, string][] {
    const rows: [string, string][] = [];
    const { file, line, column, host, component, attribute, ...rest } = this.context;
    if (file) rows.push(["file", [file, line, line && column].filter(Boolean).join(":")]);
    if (host) rows.push(["host", host]);
    if (component) rows.push(["component", component]);
    if (attribute) rows.push(["attribute", attribute]);
    for (const [key, value] of Object.entries(rest)) {
      if (value !== undefined) rows.push([key, String(value)]);
    }
    return rows;
  }

  /** A plain-data form for `--json` and for the agent protocol. */
  toJSON(): { error: string; message: string; context: ErrorContext } {
    return { error: this.name, message: this.message, context: this.context };
  }
}

/** The suffix that marks a knock-on error: `(because "app" failed to configure)`. */
const KNOCK_ON = / \(because [^()]+\)$/;

/** `message` marked as a consequence of `cause` (`"app" failed to configure`). */
export function knockOnMessage(message: string, cause: string): string {
  return `${message} (because ${cause})`;
}

/** True when `error` only follows from another error (see {@link knockOnMessage}). */
export function isKnockOn(error: BatouError): boolean {
  return KNOCK_ON.test(error.message);
}

/**
 * Several errors found in one run, reported together. `errors` are in report
 * order: root causes first, by file and line; knock-on errors last.
 */
export class ConfigurationErrors extends BatouError {
  override name = "ConfigurationErrors";
  readonly errors: BatouError[];

  constructor(errors: BatouError[]) {
    const sorted = sortErrors(errors.flatMap((e) => (e instanceof ConfigurationErrors ? e.errors : [e])));
    super(sorted.map((e) => e.message).join("; "));
    this.errors = sorted;
  }
}

/** Throws `errors` as one `ConfigurationErrors` when there are any. */
export function throwIfAny(errors: BatouError[]): void {
  if (errors.length > 0) throw new ConfigurationErrors(errors);
}

/** Report order: causes before knock-on errors, then by file and line; errors without a file after those with one. */
export function sortErrors(errors: BatouError[]): BatouError[] {
  const key = (e: BatouError): [number, number, string, number] => [
    isKnockOn(e) ? 1 : 0,
    e.context.file ? 0 : 1,
    e.context.file ?? "",
    Number(e.context.line ?? 0),
  ];
  return errors
    .map((error, index) => ({ error, index, key: key(error) }))
    .sort((a, b) => {
      for (let i = 0; i < 4; i++) {
        const x = a.key[i]!;
        const y = b.key[i]!;
        if (x !== y) return x < y ? -1 : 1;
      }
      return a.index - b.index;
    })
    .map(({ error }) => error);
}

/** The model is inconsistent: environment, overrides, resources, configure(). */
export class ConfigurationError extends BatouError {
  override name = "ConfigurationError";
}

/** Configure could not finish yet (e.g. `requireOne` without a provider); retried silently. */
export class SilentConfigurationError extends BatouError {
  override name = "SilentConfigurationError";
}

/** A deployment step failed on a host. */
export class DeploymentError extends BatouError {
  override name = "DeploymentError";
}

/**
 * Thrown from `verify()` to say "this component needs `update()`". Any
 * `UpdateNeeded` (or a failed `assert*` helper) means the same.
 */
export class UpdateNeeded extends Error {
  override name = "UpdateNeeded";
  constructor(message = "update needed") {
    super(message);
  }
}

/** A shell command exited with a status it was not allowed to. */
export class CommandError extends BatouError {
  override name = "CommandError";
  constructor(
    readonly command: string,
    readonly exitCode: number,
    readonly stdout: string,
    readonly stderr: string,
    context: ErrorContext = {},
  ) {
    super(`command failed with exit code ${exitCode}: ${command}`, {
      ...context,
      stderr: stderr.trim().split("\n").slice(-10).join("\n") || undefined,
    });
  }
}

/** A configure/verify/update method of a component threw something unexpected. */
export class ComponentError extends BatouError {
  override name = "ComponentError";
}

/** batou's own source folder: frames in it are never "the user's line". */
const BATOU_LIB = new URL("..", import.meta.url).pathname;

/** Finds the first stack frame inside `projectRoot` that is the user's code: their file and line. */
export function userFrame(error: unknown, projectRoot: string): { file: string; line: number } | undefined {
  const stack = error instanceof Error ? (error.stack ?? "") : "";
  for (const match of stack.matchAll(/\(?((?:file:\/\/)?\/[^():\s]+):(\d+):\d+\)?/g)) {
    const file = match[1]!.replace(/^file:\/\//, "");
    if (file.startsWith(projectRoot + "/") && !file.includes("/node_modules/") && !file.startsWith(BATOU_LIB)) {
      return { file: file.slice(projectRoot.length + 1), line: Number(match[2]) };
    }
  }
  return undefined;
}
