/**
 * A sub-command of the `batou` CLI. Each lives in `lib/cli/commands/<name>.ts`
 * and is listed in `lib/cli/main.ts`; the CLI itself stays a thin dispatcher.
 */
export interface Command {
  /** The word after `batou`, e.g. `deploy`. */
  name: string;
  /** One line for `batou --help`. */
  summary: string;
  /** Full usage text, printed for `batou NAME --help` and on usage errors. */
  usage: string;
  /** Runs the command; resolves to the process exit code (0 ok, 1 failed, 2 usage). */
  run(args: string[]): Promise<number>;
}

/** A usage error: printed with the command's usage, exit status 2. */
export class UsageError extends Error {
  override name = "UsageError";
}
