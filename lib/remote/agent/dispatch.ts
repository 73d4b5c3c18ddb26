/**
 * The agent's dispatch loop: JSON lines from the deploying machine, the hello
 * first (a different protocol is an error, then exit 3), then requests,
 * checked at the boundary and handed to their handler; every request gets
 * exactly one result or error. Requests run concurrently (several deploys).
 *
 * @module
 */
import { hostname } from "node:os";
import { BatouError } from "../../engine/errors.ts";
import type { AgentMessage } from "./protocol.ts";
import { type AnyRequest, callHandler, checkHello, type Handlers, LineDecoder, parseRequest, serializeError } from "./protocol.ts";

/** What the loop needs from the agent. */
export interface DispatchOptions {
  handlers: Handlers;
  send: (message: AgentMessage) => void;
  /** Whether errors carry stack traces. */
  withStack: () => boolean;
  /** The deploying machine speaks another protocol. */
  onBadHello: () => void;
}

/** The loop: feed it the bytes of stdin; `inFlight` settles when no request is running. */
export class Dispatcher {
  private greeted = false;
  private readonly running = new Set<Promise<void>>();
  private readonly decoder: LineDecoder;

  constructor(private readonly options: DispatchOptions) {
    const { send } = options;
    const sessionError = (error: unknown) => send({ type: "error", id: 0, error: serializeError(error) });
    this.decoder = new LineDecoder(
      (message) => {
        if (!this.greeted) {
          try {
            checkHello(message, hostname(), "deploying machine");
            this.greeted = true;
          } catch (error) {
            sessionError(error);
            options.onBadHello();
          }
          return;
        }
        let request: AnyRequest;
        try {
          request = parseRequest(message);
        } catch (error) {
          return sessionError(error);
        }
        const task = this.handle(request).finally(() => this.running.delete(task));
        this.running.add(task);
      },
      (line) => sessionError(new BatouError("a line that is not JSON", { received: line.slice(0, 200) })),
    );
  }

  push(chunk: Buffer): void {
    this.decoder.push(chunk);
  }

  /** Settles when every running request has answered. */
  get inFlight(): Promise<unknown> {
    return Promise.allSettled([...this.running]);
  }

  private async handle(request: AnyRequest): Promise<void> {
    const { send, handlers } = this.options;
    try {
      const result = await callHandler(handlers, request, { id: request.id });
      send({ type: "result", id: request.id, result });
    } catch (error) {
      send({ type: "error", id: request.id, error: serializeError(error, this.options.withStack()) });
    }
  }
}
