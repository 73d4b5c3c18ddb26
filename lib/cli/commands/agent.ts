/**
 * `batou agent` (hidden): the remote side of a deployment, started by the
 * deploying machine over SSH in the shipped project directory. Speaks JSON
 * lines on stdin/stdout (docs/remote.md); exits when stdin closes.
 */
import { runAgent } from "../../remote/agent/agent.ts";
import type { Command } from "../command.ts";

export const agentCommand: Command = {
  name: "agent",
  summary: "(internal) the remote agent, started by `batou deploy` over SSH",
  usage: `usage: batou agent

Internal: runs in the shipped project directory on a host and speaks batou's
JSON-lines protocol on stdin/stdout (see docs/remote.md). Exits when stdin closes.`,
  async run(args) {
    const dir = args[0] === "--directory" ? args[1] : undefined;
    return runAgent({ projectRoot: dir ?? process.cwd() });
  },
};
