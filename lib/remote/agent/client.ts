/**
 * The deploying machine's side of the agent protocol: sends requests over
 * any byte pipe (an SSH channel, or a child process's stdio in tests),
 * routes the agent's events to the request that caused them, and turns its
 * errors back into BatouErrors that name the host.
 *
 * @module
 */
import { BatouError } from "../../engine/errors.ts";
import type { DeployEvent, EventSink } from "../../engine/events.ts";
import {
  type AgentMessage,
  checkHello,
  deserializeError,
  encode,
  type Hello,
  hello,
  LineDecoder,
  type Method,
  parseAgentMessage,
  parseResult,
  type Request,
  type RequestMap,
} from "./protocol.ts";

/** The pipe to an agent. */
export interface AgentTransport {
  write(text: string): void;
  /** Closes the agent's stdin (it exits). */
  end(): void;
}

/** Events of a speculative verify (a setup's), with the root they belong to. */
export type SpeculationSink = (root: string, event: DeployEvent) => void;

/** How to send one request. */
export interface RequestOptions {
  /** Where its events go. */
  emit?: EventSink;
  /** Where its root-tagged events go (a setup's speculative verify). */
  speculated?: SpeculationSink;
  timeoutSeconds?: number;
}

interface Pending {
  method: Method;
  emit?: EventSink;
  speculated?: SpeculationSink;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  timer?: ReturnType<typeof setTimeout>;
}

export class AgentClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly decoder: LineDecoder;
  private helloResolve!: (hello: Hello) => void;
  private helloReject!: (error: unknown) => void;
  /** Resolves with the agent's hello once the versions are checked. */
  readonly greeting: Promise<Hello>;
  private closedReason: string | null = null;
  /** Bytes of protocol text sent (hello and requests) and received. */
  bytesSent = 0;
  bytesReceived = 0;

  constructor(
    readonly host: string,
    private readonly transport: AgentTransport,
    /** Stray output of the agent (console.log of user code, non-JSON lines). */
    private readonly onLog: (line: string) => void = () => {},
  ) {
    this.greeting = new Promise<Hello>((resolve, reject) => {
      this.helloResolve = resolve;
      this.helloReject = reject;
    });
    this.greeting.catch(() => {});
    let greeted = false;
    this.decoder = new LineDecoder(
      (raw) => {
        if (!greeted) {
          greeted = true;
          try {
            this.helloResolve(checkHello(raw, host, "agent"));
          } catch (error) {
            this.helloReject(error);
            this.transport.end();
          }
          return;
        }
        let message: AgentMessage;
        try {
          message = parseAgentMessage(raw);
        } catch (error) {
          return this.failAll(error instanceof BatouError ? new BatouError(error.message, { ...error.context, host }) : error);
        }
        this.dispatch(message);
      },
      (line) => (greeted ? this.onLog(line) : this.onLog(`(before hello) ${line}`)),
    );
    // ours first, without waiting for theirs: requests may follow at once (pipelined)
    this.write(encode(hello()));
  }

  /** Feed bytes from the agent's stdout. */
  push(chunk: Uint8Array | string): void {
    this.bytesReceived += chunk.length;
    this.decoder.push(chunk);
  }

  /** The pipe is gone: every open request fails with `reason`. */
  closed(reason: string, detail?: string): void {
    if (this.closedReason) return;
    this.closedReason = reason;
    const error = new BatouError(`the batou agent on ${this.host} ${reason}`, { host: this.host, detail });
    this.helloReject(error);
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(id);
      p.reject(new BatouError(`the batou agent on ${this.host} ${reason} during ${p.method}`, { host: this.host, detail }));
    }
  }

  get isClosed(): boolean {
    return this.closedReason !== null;
  }

  /** Sends a request; resolves with its result, streaming its events to `emit`. */
  request<M extends Method>(method: M, params: RequestMap[M]["params"], options: RequestOptions = {}): Promise<RequestMap[M]["result"]> {
    if (this.closedReason) return Promise.reject(new BatouError(`the batou agent on ${this.host} ${this.closedReason}`, { host: this.host }));
    const id = this.nextId++;
    const message: Request<M> = { type: "request", id, method, params };
    return new Promise((resolve, reject) => {
      const pending: Pending = { method, emit: options.emit, speculated: options.speculated, resolve: resolve as (v: unknown) => void, reject };
      if (options.timeoutSeconds !== undefined) {
        pending.timer = setTimeout(() => {
          this.pending.delete(id);
          reject(new BatouError(`${method} on ${this.host} did not finish within ${options.timeoutSeconds} s (timeout)`, { host: this.host }));
        }, options.timeoutSeconds * 1000);
      }
      this.pending.set(id, pending);
      try {
        this.write(encode(message));
      } catch (error) {
        this.closed("cannot be reached", (error as Error).message);
      }
    });
  }

  end(): void {
    try {
      this.transport.end();
    } catch {}
  }

  /** Every byte to the agent goes here, so `bytesSent` counts the hello too. */
  private write(text: string): void {
    this.bytesSent += text.length;
    this.transport.write(text);
  }

  /** Every open request (and the hello) fails with `error`. */
  private failAll(error: unknown): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(id);
      p.reject(error);
    }
    this.helloReject(error);
  }

  private dispatch(message: AgentMessage): void {
    switch (message.type) {
      case "log":
        this.onLog(message.line);
        return;
      case "event": {
        const pending = this.pending.get(message.id);
        if (message.root === undefined) pending?.emit?.(message.event);
        else pending?.speculated?.(message.root, message.event);
        return;
      }
      case "result":
      case "error": {
        // An error about the session itself (e.g. a malformed message): fail everything.
        if (message.id === 0 && message.type === "error") return this.failAll(deserializeError(message.error, this.host));
        const pending = this.pending.get(message.id);
        if (!pending) return;
        this.pending.delete(message.id);
        clearTimeout(pending.timer);
        if (message.type === "error") return pending.reject(deserializeError(message.error, this.host));
        try {
          pending.resolve(parseResult(pending.method, message.result));
        } catch (error) {
          pending.reject(error instanceof BatouError ? new BatouError(error.message, { ...error.context, host: this.host }) : error);
        }
        return;
      }
      case "hello":
        return;
    }
  }
}
