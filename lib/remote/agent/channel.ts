/**
 * A remote process that runs the launch script (commands.ts) or the agent:
 * its first stdout line decides whether the agent is talking (a JSON hello,
 * handed to an {@link AgentClient}) or the host answered with a probe
 * (collected until the channel closes). Keeps the tail of stderr for error
 * messages.
 *
 * @module
 */
import { PROBE_MARKER, type Probe, parseProbe } from "../commands.ts";
import { endReason, type RemoteProcess } from "../transport.ts";
import { AgentClient } from "./client.ts";
import type { Hello } from "./protocol.ts";

/** What the channel turned out to be. */
export type Launched = { kind: "agent"; hello: Hello } | { kind: "probe"; probe: Probe };

/** The channel ended before an agent or a probe spoke: its exit and the end of its stderr. */
export class LaunchFailure extends Error {
  constructor(
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(`exited with status ${exitCode ?? "?"} before the agent started`);
  }
}

export interface AgentChannelOptions {
  host: string;
  /** Stray stdout lines of the agent (console output of user code). */
  onLog: (line: string) => void;
  /** Every stderr line (for --debug). */
  onStderr: (line: string) => void;
  /** Whether the deploying side is closing (then a close is "was stopped"). */
  isClosing: () => boolean;
}

/**
 * The agent's stdin before its command runs: keeps what the client writes
 * until {@link HeldPipe.attach}; {@link HeldPipe.take} takes it out instead
 * (for the command line: the opening).
 */
class HeldPipe {
  private held: string[] = [];
  private target?: { write(text: string): void; end(): void };
  private ended = false;

  write(text: string): void {
    if (this.target) this.target.write(text);
    else this.held.push(text);
  }

  end(): void {
    if (this.target) this.target.end();
    else this.ended = true;
  }

  /** What was written so far, no longer to be sent. */
  take(): string {
    const text = this.held.join("");
    this.held = [];
    return text;
  }

  attach(target: { write(text: string): void; end(): void }): void {
    this.target = target;
    for (const text of this.held.splice(0)) target.write(text);
    if (this.ended) target.end();
  }
}

/**
 * Made before the command runs (the client's first lines may go in its
 * command line, {@link AgentChannel.takeOpening}), then {@link AgentChannel.attach}ed
 * to the remote process.
 */
export class AgentChannel {
  readonly client: AgentClient;
  /** Resolves once the agent greeted or the host answered with a probe. */
  readonly launched: Promise<Launched>;
  private stderrTail: string[] = [];
  /** The start of a stderr line whose end has not arrived yet. */
  private stderrPartial = "";
  private readonly pipe = new HeldPipe();
  private remote?: RemoteProcess;
  private probeDone!: (probe: Probe) => void;
  private failed!: (error: unknown) => void;

  constructor(private readonly options: AgentChannelOptions) {
    this.client = new AgentClient(options.host, this.pipe, options.onLog);
    const probe = new Promise<Probe>((resolve, reject) => {
      this.probeDone = resolve;
      this.failed = reject;
    });
    this.launched = Promise.race([
      this.client.greeting.then((hello): Launched => ({ kind: "agent", hello })),
      probe.then((p): Launched => ({ kind: "probe", probe: p })),
    ]);
    this.launched.catch(() => {});
  }

  /** What the client wrote so far (its hello and first requests), taken out of its stdin: for the command line. */
  takeOpening(): string {
    return this.pipe.take();
  }

  /** Puts back an opening that did not fit in the command line: it goes first on stdin. */
  restoreOpening(text: string): void {
    this.pipe.write(text);
  }

  /** The command runs: its stdin gets what the client wrote, its output is read. */
  attach(remote: RemoteProcess): void {
    const { options } = this;
    this.remote = remote;
    const channel = remote.stdio;
    let mode: "undecided" | "agent" | "probe" = "undecided";
    let buffered = "";

    channel.on("data", (chunk: Buffer) => {
      if (mode === "agent") return this.client.push(chunk);
      buffered += chunk.toString("utf8");
      if (mode === "probe" || !buffered.includes("\n")) return;
      if (buffered.startsWith(`${PROBE_MARKER}\n`)) mode = "probe";
      else {
        mode = "agent";
        this.client.push(buffered);
      }
    });
    // programs write a line in several writes (sudo: "sudo", ": ", "a password is required"),
    // which arrive as separate chunks: split lines across chunks, not per chunk
    const stderrLine = (line: string) => {
      if (!line.trim()) return;
      this.stderrTail = [...this.stderrTail.slice(-19), line];
      options.onStderr(line);
    };
    remote.stderr.on("data", (chunk: Buffer) => {
      const lines = (this.stderrPartial + chunk.toString("utf8")).split("\n");
      this.stderrPartial = lines.pop()!;
      lines.forEach(stderrLine);
    });
    remote.stderr.once("end", () => {
      stderrLine(this.stderrPartial);
      this.stderrPartial = "";
    });
    // The exit may be known before stdout and stderr are read to their end (sudo's
    // complaint, a probe): wait for both to end (briefly, if the link is gone).
    const ended = (stream: NodeJS.ReadableStream & { readableEnded: boolean }) =>
      new Promise<void>((resolve) => (stream.readableEnded ? resolve() : stream.once("end", () => resolve())));
    const outputEnded = Promise.all([ended(channel), ended(remote.stderr)]);
    void remote.exit.then(async (status) => {
      await Promise.race([outputEnded, Bun.sleep(1000)]);
      const parsed = mode === "probe" ? parseProbe(buffered) : undefined;
      if (parsed && status.code === 0) this.probeDone(parsed);
      else if (mode !== "agent") this.failed(new LaunchFailure(status.code, this.stderr(5)));
      this.client.closed(options.isClosing() ? "was stopped" : endReason(status), this.stderr(5) || undefined);
    });
    this.pipe.attach({ write: (text) => channel.write(text), end: () => channel.end() });
  }

  /** The last `lines` lines of stderr. */
  stderr(lines: number): string {
    const tail = this.stderrPartial.trim() ? [...this.stderrTail, this.stderrPartial] : this.stderrTail;
    return tail.slice(-lines).join("\n");
  }

  /** EOF to the agent, then waits up to `ms` for it to exit. */
  async end(ms: number): Promise<void> {
    this.client.end();
    if (this.remote) await Promise.race([this.remote.exit, Bun.sleep(ms)]);
  }
}
