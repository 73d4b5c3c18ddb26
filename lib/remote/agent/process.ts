/**
 * The agent's process control: stdout belongs to the protocol (stray console
 * output of user code travels as `log` messages), a stop (stdin closed,
 * SIGTERM/SIGINT/SIGHUP/SIGPIPE) aborts {@link AgentProcess.stop}, and
 * {@link AgentProcess.exit} ends the commands the agent started, runs the
 * cleanup (releasing the lock) and exits.
 *
 * @module
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import type { AgentMessage } from "./protocol.ts";
import { encode } from "./protocol.ts";
import { endOutput } from "../../end-output.ts";

/**
 * The direct children of `pid` from /proc/PID/task/TID/children (each thread's own; one file per
 * thread, not a scan of every process), or undefined when the kernel has no such files.
 */
function childrenOf(pid: number): number[] | undefined {
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return []; // gone
  }
  const children: number[] = [];
  for (const tid of tasks) {
    let listed: string;
    try {
      listed = readFileSync(`/proc/${pid}/task/${tid}/children`, "utf8");
    } catch {
      if (!existsSync(`/proc/self/task/${process.pid}/children`)) return undefined;
      continue; // the thread ended meanwhile
    }
    for (const child of listed.split(" ")) if (child.trim()) children.push(Number(child));
  }
  return children;
}

/** Parent pid → child pids of every process, from a scan of /proc/N/stat (kernels without task children files). */
function processTree(): Map<number, number[]> {
  const children = new Map<number, number[]>();
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return children;
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
  return children;
}

/**
 * Pids of every process below `root` (Linux /proc; empty elsewhere). At every agent's exit: an
 * agent that started nothing reads a file per thread of its own, not the stat of each of the
 * host's processes (a few hundred files on a busy host).
 */
export function descendants(root: number): number[] {
  let tree: Map<number, number[]> | undefined;
  const below = (pid: number): number[] => {
    const direct = tree ? undefined : childrenOf(pid);
    if (direct === undefined) tree ??= processTree();
    return direct ?? tree!.get(pid) ?? [];
  };
  const result: number[] = [];
  const walk = (pid: number) => {
    for (const child of below(pid)) {
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

/** How long the exit waits at most for the deploying side to take the agent's last output. */
const OUTPUT_DRAIN_MS = 10_000;

/** Queued message bytes (UTF-16 units) that are written at once, without waiting for the turn to end. */
const MAX_QUEUED = 64 * 1024;
/**
 * What the agent lets stdout hold beyond the pipe before its deploy waits for the deploying side
 * (a first deploy of 10,000 files makes 11 MB of events; a few hundred files' never wait).
 */
const MAX_UNSENT = 2 ** 20;

const STOP_SIGNALS = [["SIGTERM", 15], ["SIGINT", 2], ["SIGHUP", 1], ["SIGPIPE", 13]] as const;

/** The agent process: its protocol output, its stop signal and its exit. */
export class AgentProcess {
  private readonly stopping = new AbortController();
  /** Aborted when the agent must stop: stdin closed, or a signal. */
  readonly stop = this.stopping.signal;
  private readonly rawWrite = process.stdout.write.bind(process.stdout);
  private exiting?: Promise<never>;
  /** Bytes written that stdout holds, not yet taken by the pipe (0 after each drain). */
  private unsent = 0;
  /** Pending while {@link unsent} is over {@link MAX_UNSENT} (see {@link room}). */
  private backlog?: Promise<void>;
  private releaseBacklog?: () => void;

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

  /** Messages not written yet: those of one turn of the event loop go out in one write. */
  private queued: string[] = [];
  private queuedBytes = 0;

  /**
   * Sends one protocol message, with the others of this turn of the event loop
   * (a deploy yields at least every 20 ms, stop-point.ts): one write, and one
   * SSH packet for the host's sshd to seal and the deploying side to open,
   * instead of one per event (a no-op of 100 files: ~200).
   */
  send(message: AgentMessage): void {
    const line = encode(message);
    this.queued.push(line);
    this.queuedBytes += line.length;
    if (this.queuedBytes >= MAX_QUEUED) this.writeQueued();
    else if (this.queued.length === 1) setImmediate(() => this.writeQueued());
  }

  /** Writes what is queued; a closed stdout means the deploying side is gone: stop. */
  private writeQueued(): void {
    if (!this.queued.length) return;
    const text = this.queued.length === 1 ? this.queued[0]! : this.queued.join("");
    this.queued = [];
    this.queuedBytes = 0;
    try {
      if (!this.rawWrite(text)) this.holdUnsent(text.length);
    } catch {
      void this.exit(0);
    }
  }

  /**
   * Counts what stdout holds beyond the pipe (Bun queues it in memory, in full) until it drains;
   * beyond {@link MAX_UNSENT} a backlog starts that ends with the drain, or at a stop.
   */
  private holdUnsent(length: number): void {
    if (this.unsent === 0) {
      process.stdout.once("drain", () => {
        this.unsent = 0;
        this.releaseBacklog?.();
      });
    }
    this.unsent += length;
    if (this.unsent <= MAX_UNSENT || this.backlog) return;
    this.backlog = new Promise<void>((resolve) => {
      const release = () => {
        this.backlog = this.releaseBacklog = undefined;
        this.stop.removeEventListener("abort", release);
        resolve();
      };
      this.releaseBacklog = release;
      this.stop.addEventListener("abort", release, { once: true });
    });
  }

  /**
   * While stdout holds more than {@link MAX_UNSENT} the pipe has not taken (the deploying side
   * reads slower than a tree makes events): a promise that resolves when it took them, or at a
   * stop. A deploy waits for it between components, so what waits is its work, not megabytes of
   * queued events.
   */
  room(): Promise<void> | undefined {
    return this.backlog;
  }

  /** Reads the deploying machine's bytes. */
  onInput(push: (chunk: Buffer) => void): void {
    process.stdin.on("data", push);
    process.stdin.resume();
  }

  /**
   * Stops running commands, waits (at most `graceMs`) for `settled`, runs
   * `cleanup`, waits until the last messages are delivered, exits. Every caller
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
      this.writeQueued();
      // what a slower reader has not taken yet is still queued in this process: ending stdout waits until
      // it is delivered (a write's callback does not: it came at once, and the exit lost the rest, the
      // last deploy's answer with it); a reader that went away ends the wait at once, a stalled one after 10 s
      await Promise.race([endOutput(process.stdout), Bun.sleep(OUTPUT_DRAIN_MS)]);
      process.exit(code);
    })();
    return this.exiting;
  }
}
