/**
 * `ProxyCommand` support: the command runs under `/bin/sh -c` (as OpenSSH
 * does) and its stdin/stdout become the byte stream ssh2 speaks SSH over.
 *
 * The returned Duplex owns the child: destroying or ending the stream ends the
 * child's stdin and, after a short grace period, kills it, so no proxy process
 * outlives its connection (nor batou: it runs in a process group of its own,
 * which gets TERM when batou exits); the proxy's exit closes the stream, so a lost link
 * is noticed at once. The child's stderr is kept (last 4 KiB) for error
 * messages, e.g. `nc: connect to 10.0.0.1 port 22 (tcp) failed: Connection refused`.
 *
 * @module
 */
import { type ChildProcess, spawn } from "node:child_process";
import { Duplex } from "node:stream";
import { proxyCommandArgv } from "../commands.ts";
import { stopWhenBatouExits } from "../local-process.ts";

/** A Duplex over a ProxyCommand's stdio, with access to the process and its stderr. */
export class ProxyCommandStream extends Duplex {
  readonly child: ChildProcess;
  readonly command: string;
  private stderrTail = "";
  private exited: Promise<number | null>;

  constructor(command: string, log?: (line: string) => void) {
    super({ allowHalfOpen: true });
    this.command = command;
    const [shell, args] = proxyCommandArgv(command);
    // A process group of its own: a Ctrl-C at the terminal reaches batou alone, which then
    // stops the agent over this still intact link (it reports what it wrote, releases its lock).
    const child = spawn(shell, args, { stdio: ["pipe", "pipe", "pipe"], detached: true });
    stopWhenBatouExits(child);
    this.child = child;
    this.exited = new Promise((resolve) => child.once("exit", (code) => resolve(code)));
    // A proxy that is gone is a link that is gone: close the stream (ssh2 then fails its
    // channels) once its last output is delivered, instead of leaving it half open.
    child.once("close", () => setImmediate(() => this.destroy()));
    child.stdout!.on("data", (chunk: Buffer) => {
      if (!this.push(chunk)) child.stdout!.pause();
    });
    child.stdout!.once("end", () => this.push(null));
    child.stderr!.on("data", (chunk: Buffer) => {
      const text = chunk.toString("utf8");
      this.stderrTail = (this.stderrTail + text).slice(-4096);
      for (const line of text.split("\n")) if (line.trim()) log?.(`proxy: ${line.trimEnd()}`);
    });
    child.stdin!.on("error", () => {}); // EPIPE after the proxy died: reported via 'end'/exit
    child.once("error", (error) => this.destroy(error));
  }

  /** The last lines the proxy wrote to stderr (empty when none). */
  get stderr(): string {
    return this.stderrTail.trim();
  }

  /** Resolves with the exit code once the proxy process has exited. */
  waitExit(): Promise<number | null> {
    return this.exited;
  }

  override _read(): void {
    this.child.stdout?.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, callback: (error?: Error | null) => void): void {
    const stdin = this.child.stdin;
    if (!stdin || stdin.destroyed) return callback();
    if (stdin.write(chunk)) callback();
    else stdin.once("drain", () => callback());
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.child.stdin?.end();
    this.reap();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.child.stdin?.destroy();
    this.child.stdout?.destroy();
    this.reap();
    callback(error);
  }

  /** Kills the proxy unless it exits by itself within 200 ms of losing its stdin. */
  private reap(): void {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const timer = setTimeout(() => this.child.kill("SIGTERM"), 200);
    timer.unref?.();
    this.child.once("exit", () => clearTimeout(timer));
  }
}
