/**
 * The agent's process control: stdout belongs to the protocol (stray console
 * output of user code travels as `log` messages), a stop (stdin closed,
 * SIGTERM/SIGINT/SIGHUP/SIGPIPE) aborts {@link AgentProcess.stop}, and
 * {@link AgentProcess.exit} ends the commands the agent started, runs the
 * cleanup (releasing the lock) and exits.
 *
 * @module
 */
import { readdirSync, readFileSync } from "node:fs";
import type { AgentMessage } from "./protocol.ts";
import { encode } from "./protocol.ts";

/** Pids of every process below `root` (Linux /proc; empty elsewhere). */
function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return [];
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(entry));
      children.set(ppid, list);
    } catch {}
  }
  const result: number[] = [];
  const walk = (pid: number) => {
    for (const child of children.get(pid) ?? []) {
      result.push(child);
      walk(child);
    }
  };
  walk(root);
  return result;
}

function signalAll(pids: number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {}
  }
}

/** Alive and not a zombie. */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/** Ends the commands this process started: TERM, then KILL after 0.5 s. */
async function stopChildren(): Promise<void> {
  const children = descendants(process.pid);
  if (!children.length) return;
  signalAll(children, "SIGTERM");
  const deadline = Date.now() + 500;
  while (Date.now() < deadline && children.some(running)) await Bun.sleep(20);
  signalAll(children.filter(running), "SIGKILL");
}

const STOP_SIGNALS = [["SIGTERM", 15], ["SIGINT", 2], ["SIGHUP", 1], ["SIGPIPE", 13]] as const;

/** The agent process: its protocol output, its stop signal and its exit. */
export class AgentProcess {
  private readonly stopping = new AbortController();
  /** Aborted when the agent must stop: stdin closed, or a signal. */
  readonly stop = this.stopping.signal;
  private readonly rawWrite = process.stdout.write.bind(process.stdout);
  private exiting?: Promise<never>;

  /**
   * Takes over stdout and the signals. `onStop` runs once when a stop comes
   * (with the exit status it asks for) and decides when to {@link exit}.
   */
  constructor(onStop: (code: number) => void) {
    const toLog = (...args: unknown[]) => this.send({ type: "log", id: 0, line: args.map((a) => (typeof a === "string" ? a : Bun.inspect(a))).join(" ") });
    console.log = toLog;
    console.info = toLog;
    console.debug = toLog;
    console.warn = toLog;
    console.error = toLog;
    process.stdout.write = ((chunk: string | Uint8Array) => {
      toLog(typeof chunk === "string" ? chunk.replace(/\n$/, "") : new TextDecoder().decode(chunk).replace(/\n$/, ""));
      return true;
    }) as typeof process.stdout.write;
    const stopWith = (code: number) => {
      if (this.stop.aborted) return;
      this.stopping.abort();
      onStop(code);
    };
    for (const [signal, number] of STOP_SIGNALS) process.on(signal, () => stopWith(128 + number));
    for (const event of ["end", "close", "error"]) process.stdin.on(event, () => stopWith(0));
  }

  /** Sends one protocol message; a closed stdout means the deploying side is gone: stop. */
  send(message: AgentMessage): void {
    try {
      this.rawWrite(encode(message));
    } catch {
      void this.exit(0);
    }
  }

  /** Reads the deploying machine's bytes. */
  onInput(push: (chunk: Buffer) => void): void {
    process.stdin.on("data", push);
    process.stdin.resume();
  }

  /**
   * Stops running commands, waits (at most `graceMs`) for `settled`, runs
   * `cleanup`, lets the last messages reach the pipe, exits. Every caller
   * waits for the same exit.
   */
  exit(code: number, options: { settled?: Promise<unknown>; graceMs?: number; cleanup?: () => void } = {}): Promise<never> {
    this.exiting ??= (async () => {
      this.stopping.abort();
      await stopChildren();
      if (options.settled) await Promise.race([options.settled, Bun.sleep(options.graceMs ?? 1000)]);
      try {
        options.cleanup?.();
      } catch {}
      await Promise.race([new Promise<void>((resolve) => this.rawWrite("", () => resolve())), Bun.sleep(500)]);
      process.exit(code);
    })();
    return this.exiting;
  }
}
