/**
 * Runs a command on the machine batou runs on (the deploying machine for
 * local environments, the host itself for the remote agent). Strings run
 * through `sh -c`; arrays run without a shell. Stdin is closed unless `input`
 * is given, so a command waiting for input never hangs.
 *
 * A working directory that does not exist is an error naming the command and
 * the directory (not the spawn's `ENOENT`), except while predicting (`-P`):
 * there a directory that does not exist yet would be created by the deploy,
 * so the command runs in an empty stand-in directory instead and sees what it
 * would see in the new, empty directory (a check for a file in it fails, so
 * the step it guards "would run").
 *
 * @example
 * ```ts
 * const { stdout } = await runCommand("echo hi", { cwd: "/tmp" }); // "hi\n"
 * ```
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CommandError, DeploymentError } from "./errors.ts";

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

/** How a command runs beyond its options: set by the engine, not by components. */
export interface RunMode {
  /** Under `-P`: a missing working directory is replaced by an empty stand-in. */
  predicting?: boolean;
}

/** A command's working directory does not exist (outside `-P`). */
export class MissingDirectoryError extends DeploymentError {
  override name = "MissingDirectoryError";
  constructor(
    readonly command: string,
    readonly directory: string,
  ) {
    super(`cannot run "${command}": its working directory ${directory} does not exist`, {
      command,
      directory,
      hint: "create it first, e.g. with a Directory added before the component that runs the command",
    });
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

export async function runCommand(command: string | string[], options: CommandOptions = {}, mode: RunMode = {}): Promise<CommandResult> {
  const text = Array.isArray(command) ? command.join(" ") : command;
  if (options.cwd === undefined || isDirectory(options.cwd)) return spawn(command, text, options);
  if (!mode.predicting) throw new MissingDirectoryError(text, options.cwd);
  // An empty directory, as the missing one will be once created; removed with
  // whatever a (misbehaving) check wrote into it.
  const standIn = mkdtempSync(join(tmpdir(), "batou-predict-"));
  try {
    return await spawn(command, text, { ...options, cwd: standIn });
  } finally {
    rmSync(standIn, { recursive: true, force: true });
  }
}

async function spawn(command: string | string[], text: string, options: CommandOptions): Promise<CommandResult> {
  const argv = Array.isArray(command) ? command : ["sh", "-c", command];
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
