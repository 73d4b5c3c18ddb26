/**
 * The command line of the agent as the deploying machine starts it (`agent`, or `agent
 * --opening B64`: lib/remote/commands.ts agentCommand/launchScript). batou.ts starts such an
 * agent without the CLI, so that a host's agent loads only what it runs (the CLI's commands
 * and SSH clients raised its peak memory by ~10 MB at 100 files, ~60 MB with ssh2 in use).
 * Anything else (`agent --directory D`, `agent --help`) goes through the CLI.
 *
 * Kept free of batou's own imports: batou.ts reads it before anything else loads.
 *
 * ```ts
 * agentArgv(["agent", "--opening", "eyJ0"]); // { opening: "eyJ0" }
 * agentArgv(["deploy", "prod"]);             // undefined
 * ```
 */
export function agentArgv(args: readonly string[]): { opening?: string } | undefined {
  if (args[0] !== "agent") return undefined;
  if (args.length === 1) return {};
  if (args.length === 3 && args[1] === "--opening") return { opening: args[2] };
  return undefined;
}
