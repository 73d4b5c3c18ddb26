/**
 * A local program as a {@link RemoteProcess}: for transports whose link to a
 * host is a program on this machine (`podman exec -i`, `kubectl exec -i`,
 * `nsenter`, ...). It runs in a process group of its own, so a Ctrl-C at
 * the terminal reaches batou alone, which then stops the hosts in order
 * (EOF to the agent: it finishes its file, releases its lock and exits), as
 * over SSH; `signal()` signals that group. Whatever still runs when batou
 * exits (a host that was still connecting when another failed the run) gets
 * TERM then, as a process group apart would otherwise outlive batou.
 *
 * @module
 */
import { type ChildProcess, spawn } from "node:child_process";
import { Duplex } from "node:stream";
import type { ExitStatus, RemoteProcess } from "./transport.ts";

/** A started local program: the process, and it as a RemoteProcess. */
export interface LocalProcess {
  readonly child: ChildProcess;
  readonly remote: RemoteProcess;
  /** Set when the program could not be started (e.g. `ENOENT`: not on PATH). */
  readonly startError: () => NodeJS.ErrnoException | undefined;
}

/** The programs started here that have not ended yet. */
const live = new Set<ChildProcess>();
let stopAtExit = false;

/** Whether the program still runs. */
export function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** Signals the program's process group (what it started too), or the program alone when that fails. */
export function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (!isRunning(child) || child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    child.kill(signal);
  }
}

/**
 * Signals TERM to `child`'s process group if it still runs when batou exits:
 * a program in a process group of its own (`detached`) would outlive batou.
 */
export function stopWhenBatouExits(child: ChildProcess): void {
  live.add(child);
  const drop = () => live.delete(child);
  child.once("exit", drop);
  child.once("error", drop); // never started
  if (!stopAtExit) {
    stopAtExit = true;
    process.once("exit", () => {
      for (const left of live) signalGroup(left, "SIGTERM");
    });
  }
}

/**
 * Starts `argv` with pipes for stdin, stdout and stderr. `exit` resolves
 * once the program ended and its stdout and stderr were read to their end
 * (Node's `close`); a program that could not start ends with code 127.
 */
export function startLocal(argv: readonly string[], options: { cwd?: string } = {}): LocalProcess {
  const child = spawn(argv[0]!, argv.slice(1), { cwd: options.cwd, stdio: ["pipe", "pipe", "pipe"], detached: true });
  let startError: NodeJS.ErrnoException | undefined;
  stopWhenBatouExits(child);
  const exit = new Promise<ExitStatus>((resolve) => {
    child.once("close", (code, signal) => resolve({ code, signal: signal?.replace(/^SIG/, "") ?? null }));
    child.once("error", (error) => {
      startError = error;
      resolve({ code: 127, signal: null });
    });
  });
  child.stdin!.on("error", () => {}); // a write after the program ended: its exit says what happened
  const stdio = Duplex.from({ writable: child.stdin!, readable: child.stdout! });
  stdio.on("error", () => {});
  const remote: RemoteProcess = {
    stdio,
    stderr: child.stderr!,
    exit,
    signal: (name) => signalGroup(child, `SIG${name}`),
    // as an SSH channel's close: EOF and EPIPE, no signal (the transport's close ends what is left)
    close: () => {
      child.stdin!.destroy();
      child.stdout!.destroy();
    },
  };
  return { child, remote, startError: () => startError };
}

/** How {@link runLocal} ended: the exit status, or `timeout` (then the program's group was killed). */
export interface LocalRun {
  ended: ExitStatus | "timeout";
  stdout: string;
  /** Trimmed. */
  stderr: string;
  /** Set when the program could not be started. */
  startError?: NodeJS.ErrnoException;
}

/** Runs `argv` to its end with no input, within `timeoutSeconds` (then it and what it started are killed). */
export async function runLocal(argv: readonly string[], options: { timeoutSeconds: number; cwd?: string }): Promise<LocalRun> {
  const { child, remote, startError } = startLocal(argv, options);
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  remote.stdio.on("data", (chunk: Buffer) => out.push(chunk));
  remote.stderr.on("data", (chunk: Buffer) => err.push(chunk));
  remote.stdio.end();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), options.timeoutSeconds * 1000)));
  const ended = await Promise.race([remote.exit, timedOut]);
  clearTimeout(timer);
  if (ended === "timeout") {
    signalGroup(child, "SIGKILL");
    await remote.exit;
  }
  return { ended, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8").trim(), startError: startError() };
}
