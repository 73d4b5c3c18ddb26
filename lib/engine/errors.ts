/**
 * Errors a user sees. Every one states what failed and names the file, host,
 * component and attribute involved, so the CLI can print it without a stack
 * trace. `details` are printed as aligned `label: value` rows under the message.
 *
 * @example
 * ```ts
 * throw new ConfigurationError("Override of an unknown attribute", {
 *   file: "environments/prod.toml", component: "app", attribute: "prot",
 * });
 * ```
 */
export interface ErrorContext {
  file?: string;
  line?: number;
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
    const { file, line, host, component, attribute, ...rest } = this.context;
    if (file) rows.push(["file", line ? `${file}:${line}` : file]);
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
