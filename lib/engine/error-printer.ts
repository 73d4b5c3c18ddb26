/**
 * The one way batou shows an error, for every command and for the deploy
 * reporter: `ERROR: message` in bold red, then aligned `label: value` rows
 * naming the file and line, the host, the component, the attribute and the
 * rest; a stack trace only in debug mode. Text is escaped for the terminal. `--json` gets the same content as
 * one `{"event":"error",...}` object.
 *
 * How messages are written: see lib/engine/errors.ts.
 *
 * ```ts
 * for (const line of errorLines(errorReports(error)[0]!, { colors: pc.createColors(false) })) console.error(line);
 * ```
 *
 * @module
 */
import pc from "picocolors";
import { BatouError, ConfigurationErrors, type ErrorContext } from "./errors.ts";
import { escapeForTerminal } from "../terminal.ts";

type Colors = ReturnType<typeof pc.createColors>;

/** One error as it is shown. */
export interface ErrorReport {
  /** The error class (`ConfigurationError`, `SecretsError`, ...), for `--json`. */
  error: string;
  message: string;
  /** `[label, value]` rows: location first, then the rest. */
  rows: [string, string][];
  /** The rows as data, for `--json`. */
  context: ErrorContext;
  /** Shown in debug mode only. */
  stack?: string;
}

export interface ReportOptions {
  /** How the user gets the stack trace of an unexpected error (default: `BATOU_DEBUG=1`). */
  debugHint?: string;
}

/** An error of the operating system (ENOENT, EACCES, ...), as Node and Bun throw them. */
interface SystemError extends Error {
  code: string;
  syscall: string;
  path?: string;
  dest?: string;
  address?: string;
  port?: number;
}

function isSystemError(error: unknown): error is SystemError {
  return error instanceof Error && typeof (error as SystemError).code === "string" && typeof (error as SystemError).syscall === "string";
}

/** `ENOENT: no such file or directory, mkdir '/x'` → `cannot mkdir /x: no such file or directory`. */
function systemMessage(error: SystemError): string {
  const reason = error.message
    .replace(new RegExp(`^${error.code}:\\s*`), "")
    .replace(new RegExp(`,?\\s*${error.syscall}\\b.*$`), "")
    .trim();
  const address = error.address ? `${error.address}${error.port ? `:${error.port}` : ""}` : undefined;
  const where = [error.path, error.dest, address].filter(Boolean).join(" -> ");
  return `cannot ${error.syscall}${where ? ` ${where}` : ""}: ${reason || error.code}`;
}

/** `text` as escaped lines (a newline ends a line; every other control character is shown). */
function escapeLines(text: string): string[] {
  return text.split("\n").map(escapeForTerminal);
}

/**
 * What to show for any thrown value: a `BatouError` by its message and
 * details, each error of a `ConfigurationErrors` on its own, an operating
 * system error as "cannot SYSCALL PATH: reason", anything else as an
 * "unexpected error" with a hint how to see its stack.
 */
export function errorReports(error: unknown, options: ReportOptions = {}): ErrorReport[] {
  if (error instanceof ConfigurationErrors) return error.errors.flatMap((item) => errorReports(item, options));
  if (error instanceof BatouError) {
    return [{ error: error.name, message: error.message, rows: error.details(), context: error.context, stack: error.stack }];
  }
  if (isSystemError(error)) {
    const context = { code: error.code };
    return [{ error: error.name, message: systemMessage(error), rows: [["code", error.code]], context, stack: error.stack }];
  }
  const e = error instanceof Error ? error : undefined;
  const hint = `this may be a batou bug; ${options.debugHint ?? "BATOU_DEBUG=1 shows the stack trace"}`;
  return [{ error: e?.name ?? "Error", message: `unexpected error: ${e?.message ?? String(error)}`, rows: [["hint", hint]], context: { hint }, stack: e?.stack }];
}

/**
 * The lines of one error for a terminal or a log: every piece of text is
 * passed through `escapeForTerminal` (lib/terminal.ts), values of several lines
 * are indented under their label.
 */
export function errorLines(report: ErrorReport, options: { colors?: Colors; debug?: boolean } = {}): string[] {
  const c = options.colors ?? pc.createColors(false);
  const [first, ...more] = escapeLines(report.message);
  const lines = [c.red(c.bold(`ERROR: ${first}`)), ...more.map((line) => `  ${line}`)];
  const width = Math.max(0, ...report.rows.map(([label]) => label.length));
  for (const [label, value] of report.rows) {
    const [head, ...rest] = escapeLines(value);
    lines.push(`  ${escapeForTerminal(label).padStart(width)}: ${head}`);
    for (const line of rest) lines.push(`  ${" ".repeat(width)}  ${line}`);
  }
  if (options.debug && report.stack) lines.push(...escapeLines(report.stack).map((line) => c.dim(line)));
  return lines;
}

/** The `--json` form of one error. */
export function errorEvent(report: ErrorReport): { event: "error"; error: string; message: string; context: ErrorContext } {
  return { event: "error", error: report.error, message: report.message, context: report.context };
}

/** Writes every error in `error` as lines (through `write`, one call per line). */
export function printError(
  error: unknown,
  options: ReportOptions & { write: (line: string) => void; colors?: Colors; debug?: boolean },
): void {
  for (const report of errorReports(error, options)) for (const line of errorLines(report, options)) options.write(line);
}
