/**
 * Runs a command on the machine batou runs on (the deploying machine for
 * local environments, the host itself for the remote agent). Strings run
 * through `sh -c`; arrays run without a shell. Stdin is closed unless `input`
 * is given, so a command waiting for input never hangs.
 *
 * @example
 * ```ts
 * const { stdout } = await runCommand("echo hi", { cwd: "/tmp" }); // "hi\n"
 * ```
 */
import { CommandError } from "./errors.ts";

export interface CommandOptions {
  cwd?: string;
  /** Added to the environment of the command. */
  env?: Record<string, string>;
  /** Written to stdin, which is then closed. */
  input?: string;
  /** Return instead of throwing on a non-zero exit. */
  ignoreReturnCode?: boolean;
  /** Exit codes that count as success (default `[0]`). */
  acceptableReturnCodes?: number[];
  /** Seconds before the command is killed and an error raised. */
  timeout?: number;
}

export interface CommandResult {
  stdout: string;
  stderr: string;
  code: number;
}

export async function runCommand(command: string | string[], options: CommandOptions = {}): Promise<CommandResult> {
  const argv = Array.isArray(command) ? command : ["sh", "-c", command];
  const text = Array.isArray(command) ? command.join(" ") : command;
  let proc: ReturnType<typeof Bun.spawn>;
  try {
    proc = Bun.spawn(argv, {
      cwd: options.cwd,
      env: options.env ? { ...process.env, ...options.env } : process.env,
      stdin: options.input === undefined ? "ignore" : new TextEncoder().encode(options.input),
      stdout: "pipe",
      stderr: "pipe",
      timeout: options.timeout ? options.timeout * 1000 : undefined,
      killSignal: "SIGKILL",
    });
  } catch (error) {
    // An array command whose program does not exist: report it like the shell would.
    throw new CommandError(text, 127, "", (error as Error).message);
  }
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout as ReadableStream).text(),
    new Response(proc.stderr as ReadableStream).text(),
    proc.exited,
  ]);
  if (proc.signalCode && options.timeout) {
    throw new CommandError(text, code, stdout, `timed out after ${options.timeout}s\n${stderr}`);
  }
  const acceptable = options.acceptableReturnCodes ?? [0];
  if (!options.ignoreReturnCode && !acceptable.includes(code)) {
    throw new CommandError(text, code, stdout, stderr);
  }
  return { stdout, stderr, code };
}
