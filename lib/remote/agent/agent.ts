/**
 * The batou agent: what runs on a host for one deployment, started by the
 * deploying machine over its transport as `.batou/batou-VERSION agent
 * [--opening B64]` in the shipped project directory (the opening: its first
 * protocol lines, commands.ts agentOpening). It speaks the JSON-lines protocol of
 * protocol.ts on stdin/stdout (dispatch.ts), loads the shipped project and
 * configures its host's roots and their providers (secrets arrive in memory
 * with `setup`), deploys root components on request (several at once when
 * asked) and holds the target directory's lock (handlers.ts).
 *
 * After the deploy marked `last` it releases its lock, answers and exits.
 * When its stdin closes or it gets SIGTERM/SIGINT/SIGHUP (Ctrl-C on the
 * deploying machine, a lost connection), it stops: running deploys end
 * before their next component (the file being written is finished), the
 * commands it started get TERM (KILL after 0.5 s), the lock is released and
 * it exits, within about a second (process.ts).
 *
 * @module
 */
import { hostname } from "node:os";
import { currentUser } from "../../engine/process-info.ts";
import { Dispatcher } from "./dispatch.ts";
import { agentHandlers, type AgentState } from "./handlers.ts";
import { AgentProcess } from "./process.ts";
import { hello, serializeError } from "./protocol.ts";
import { readAgentOpening } from "../commands.ts";

export interface AgentOptions {
  /** The shipped project (default: the current directory). */
  projectRoot?: string;
  /** The deploying machine's first lines from the command line (commands.ts agentOpening): read before stdin. */
  opening?: string;
}

/** Runs the agent until it is told to stop; never returns (the process exits). */
export async function runAgent(options: AgentOptions = {}): Promise<number> {
  const projectRoot = options.projectRoot ?? process.cwd();
  const agent: AgentProcess = new AgentProcess((code) => void exit(code));
  const state: AgentState = {
    projectRoot,
    stop: agent.stop,
    events: (id, root) => (event) => agent.send(root === undefined ? { type: "event", id, event } : { type: "event", id, event, root }),
    room: () => agent.room(),
    finish: () => void exit(0),
    debug: false,
  };
  const dispatcher = new Dispatcher({
    handlers: agentHandlers(state),
    send: (message) => agent.send(message),
    withStack: () => state.debug,
    onBadHello: () => void exit(3),
  });
  const exit = (code: number) => agent.exit(code, { settled: dispatcher.inFlight, cleanup: () => state.lock?.release() });

  agent.send(hello({ pid: process.pid, user: currentUser(), hostname: hostname(), cwd: projectRoot }));
  if (options.opening !== undefined) {
    try {
      dispatcher.push(Buffer.from(readAgentOpening(options.opening)));
    } catch (error) {
      agent.send({ type: "error", id: 0, error: serializeError(error) });
      void exit(2);
    }
  }
  agent.onInput((chunk) => dispatcher.push(chunk));
  return new Promise<number>(() => {});
}
