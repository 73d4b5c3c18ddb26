/**
 * `batou agent` (hidden): the remote side of a deployment, started by the
 * deploying machine over SSH in the shipped project directory. Speaks JSON
 * lines on stdin/stdout (docs/remote.md); exits when stdin closes.
 */
import { runAgent } from "../../remote/agent/agent.ts";
import { defineCommand } from "../command.ts";

export const agentCommand = defineCommand({
  name: "agent",
  summary: "(internal) the remote agent, started by `batou deploy` over SSH",
  description: `Internal: runs in the shipped project directory on a host and speaks batou's
JSON-lines protocol on stdin/stdout (see docs/remote.md). Exits when stdin closes.`,
  hidden: true,
  options: {
    directory: { type: "string", value: "DIR", help: "the project directory (default: the current directory)" },
    opening: { type: "string", value: "B64", help: "the deploying machine's first protocol lines (hello, lock, manifest), base64url" },
  },
  async run({ options }) {
    return runAgent({ projectRoot: options.directory ?? process.cwd(), opening: options.opening });
  },
});
