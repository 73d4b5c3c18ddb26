#!/usr/bin/env bun
/**
 * batou's entry point: `bun batou.ts deploy ENV`. The same file is compiled
 * into the standalone executable (`bun run build` → dist/batou). Everything
 * else loads only after the auto-install guard (lib/no-auto-install.ts).
 */
import { agentArgv } from "./lib/agent-argv.ts";
import { installEarlyInterrupt } from "./lib/early-interrupt.ts";
import { endOutput } from "./lib/end-output.ts";
import { ensureNoAutoInstall } from "./lib/no-auto-install.ts";

const args = process.argv.slice(2);
// a Ctrl-C while the rest loads is reported and exits 130, not a silent death by the signal
// (not in rsync's helper: rsync reports for it)
if (args[0] !== "__rsh-bridge") installEarlyInterrupt(args.includes("--json"));
// rsync's helper loads no component code and must start fast.
if (args[0] !== "__rsh-bridge") ensureNoAutoInstall(import.meta.path, args);
await import("./lib/plugin.ts");
// The agent on a host loads only what it runs: not the deploying side's commands and SSH clients
// (ssh2 alone raised an agent's peak memory by ~60 MB).
const agent = agentArgv(args);
if (agent) {
  const { runAgent } = await import("./lib/remote/agent/agent.ts");
  process.exit(await runAgent({ projectRoot: process.cwd(), opening: agent.opening }));
}
const { main } = await import("./lib/cli/main.ts");
const code = await main(args);
// A pipe takes 64 KiB; what batou wrote beyond that is still queued and would be lost at the
// exit (a --json reader slower than the deployment lost the summary): end both streams, which
// waits for it, then exit (a reader that went away only ends the wait).
await Promise.all([endOutput(process.stdout), endOutput(process.stderr)]);
process.exit(code);
